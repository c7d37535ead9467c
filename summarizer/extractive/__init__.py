"""The built-in summarizer that needs no key and no network: sentence ranking for papers, the lead-aware news
summarizer, and the backend that runs them section by section. May import ``pdf``, ``text``, ``config`` and
``model``.
"""
