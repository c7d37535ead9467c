"""Language-level tools every stage shares: sentence splitting, language and script detection, text kinds, token
counting (the locally cached tiktoken encoder), key terms, paragraphs and BM25 retrieval. May import
``config`` and ``model``.
"""
