"""Container health command: exit 0 when GET https://localhost:$PORT/health answers 200 (trusting the clinic CA)."""

import sys

from core.healthcheck import main

sys.exit(main("https", default_port="8443"))
