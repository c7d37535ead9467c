"""The command line (``summarizer`` and ``python -m summarizer``): argument parsing and one-line messages on top
of the library. The top floor: may import every other floor; nothing in the library imports it.
"""
