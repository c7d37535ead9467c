"""Writing results for readers: Markdown (and the other formats) from a ``DocumentSummary``, with every document-
borne string escaped. The only floor that writes Markdown. May import ``verify`` and below.
"""
