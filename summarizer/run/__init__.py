"""Running a whole document or a corpus: the engine that drives a backend section by section and yields progress
events, batch runs, and the review step between parsing and summarizing. May import ``ask`` and below.
"""
