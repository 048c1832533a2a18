"""Lets `python -m marac_prep` behave like the `marac-prep` command."""

from marac_prep.cli import main

raise SystemExit(main())
