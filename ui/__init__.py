"""Streamlit helpers shared by ``app.py`` and ``pages/``: the browser session's settings, the page list,
the Ask panel. Not part of the installable library; the library never imports this package.
"""
