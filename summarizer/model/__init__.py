"""The data that flows through every floor: a ``Document`` of ``Section``s, the per-section and whole-run results
(``SectionResult``, ``DocumentSummary``), and the library's own exceptions with their one-line user messages.
The bottom floor: it imports nothing else of the package.
"""
