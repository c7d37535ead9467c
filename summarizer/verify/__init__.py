"""Checks a summary against its paper: faithfulness of each bullet, page grounding, coverage of the sections, and
per-section sanity checks. May import ``llm`` and every floor below it.
"""
