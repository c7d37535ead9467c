"""The app's pages are declared by app.py (``st.navigation``): the main page is named "Summarize".

Streamlit still has the older way, a ``pages/`` folder next to the main script, and a fresh server starts
in it: until app.py has run once, a browser that opens ``/Settings`` first gets that file alone, with the
folder's automatic sidebar naming the main page after its file ("app"). ``declared_pages_only`` — called
by every page through ``ui.browser_session.init_session`` — ends that mode and reruns, so app.py's declaration
is used from the first page served. It relies on ``PagesManager.uses_pages_directory``, a class flag of
Streamlit (pinned in requirements.txt) that ``st.navigation`` itself clears.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def declared_pages_only(st) -> None:
    """Rerun under app.py's ``st.navigation`` when Streamlit is still in its ``pages/`` folder mode."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # another Streamlit: its own behaviour, at worst the main page is called "app"
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        log.debug("pages: leaving the pages/ folder mode for app.py's st.navigation")
        st.rerun()
