"""The PDF parser's steps, one module each; ``summarizer.pdf.parser.parse_pdf`` runs them in order and returns a
``Document``. May import ``text``, ``config`` and ``model``.
"""
