"""`python -m core.cli`: the `intelluxe` command."""

import sys

from core.cli import main

sys.exit(main())
