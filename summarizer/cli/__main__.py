"""``python -m summarizer.cli``: the same command line as ``python -m summarizer``."""

import sys

from summarizer.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
