"""The container health command (`python /app/health_check.py`): exit 0 when /health answers 200.

Kept in core so the services' health_check.py files stay one line each. Standard library and core.config only: it
must work even when the service's own imports are broken. The audio-receiver serves /health over TLS on its
websocket port; its check trusts only the clinic CA, so an expired or wrongly-signed certificate makes the service
unhealthy, which is what the doctors' clients would find too.
"""

from __future__ import annotations

import os
import ssl
import sys
import urllib.error
import urllib.request
from pathlib import Path

from core.config import intelluxe_home


def tls_context() -> ssl.SSLContext:
    """Trust the clinic CA: TLS_CA, else ca.pem in TLS_CERT_DIR (default $INTELLUXE_HOME/certs)."""
    ca = os.environ.get("TLS_CA")
    if not ca:
        cert_dir = Path(os.environ.get("TLS_CERT_DIR") or intelluxe_home() / "certs")
        ca = str(cert_dir / "ca.pem")
    return ssl.create_default_context(cafile=ca)


def main(scheme: str = "http", default_port: str = "8000") -> int:
    host = "localhost" if scheme == "https" else "127.0.0.1"  # the receiver's certificate names localhost
    url = f"{scheme}://{host}:{os.environ.get('PORT', default_port)}/health"
    try:
        context = tls_context() if scheme == "https" else None
        with urllib.request.urlopen(url, timeout=5, context=context) as response:  # noqa: S310 - fixed loopback URL
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(f"health: {url} answered {exc.code}", file=sys.stderr)
    except (urllib.error.URLError, OSError) as exc:
        print(f"health: {url} unreachable ({type(exc).__name__}: {exc})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
