"""Entry point of `python -m bench`; see the package docstring for the options."""

from bench.cli import main

raise SystemExit(main())
