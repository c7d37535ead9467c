"""Everything that turns what a user gives into a ``Document``: loading files by kind, fetching links and arXiv
ids behind the network guard, plain text / Markdown / HTML, and the optional Nougat parser. May import
``extractive``, ``pdf``, ``text``, ``config`` and ``model``.
"""
