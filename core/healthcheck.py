"""The container health command (`python /app/health_check.py`): exit 0 when /health answers 200.

Kept in core so the three services' health_check.py files stay one line each. Standard library only: it must
work even when the service's own imports are broken.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - fixed loopback http URL
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(f"health: {url} answered {exc.code}", file=sys.stderr)
    except (urllib.error.URLError, OSError) as exc:
        print(f"health: {url} unreachable ({type(exc).__name__})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
