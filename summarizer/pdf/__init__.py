"""The PDF parser's steps, one module each; ``summarizer.pdf_parser.parse_pdf`` runs them in order."""
