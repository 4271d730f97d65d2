"""Container health command for this service: exit 0 when its /health answers 200."""

import sys

from core.healthcheck import main

sys.exit(main())
