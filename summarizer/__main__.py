"""``python -m summarizer``: the command line."""

from summarizer.cli.main import main

raise SystemExit(main())
