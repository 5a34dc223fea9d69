"""Allow `python -m bot`, the same as the `kocbot` console script."""

from bot.cli import main

raise SystemExit(main())
