"""Literature table: 2-50 papers (uploaded or from History) against columns, every cell citing its section
and page (click a cell to see the passage and the page), a synthesis across the papers, exports; tables are
kept in History (``ui/literature_table.py``)."""

from __future__ import annotations

import streamlit as st

from ui import browser_session as ui_session
from ui import literature_table

st.set_page_config(page_title="Summarizer · Literature table", page_icon="📑", layout="wide")
sid = ui_session.init_session(st)
literature_table.render(st, sid)
ui_session.save_session(st)
