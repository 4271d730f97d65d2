"""The container health command of every service: `python -m core.healthcheck [--tls]` exits 0 when the service's
/health on this host answers 200.

core.config, core.tls and the standard library only: it must work even when the service's own imports are broken. The
audio-receiver serves /health over TLS on its websocket port (`--tls`); the check trusts only the clinic CA, so an
expired or wrongly-signed certificate makes the service unhealthy, which is what the doctors' clients would find too.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from pydantic import Field

from core.config import Settings
from core.tls import server_files


class HealthcheckSettings(Settings):
    port: int | None = Field(default=None, ge=0, le=65535, alias="PORT")
    tls_ca: Path | None = Field(default=None, alias="TLS_CA")


def tls_context(settings: HealthcheckSettings | None = None) -> ssl.SSLContext:
    """Trust the clinic CA: TLS_CA, else ca.pem in TLS_CERT_DIR (default $INTELLUXE_HOME/certs)."""
    settings = settings or HealthcheckSettings.from_env()
    ca = settings.tls_ca or (settings.tls_cert_dir or settings.home / "certs") / "ca.pem"
    return ssl.create_default_context(cafile=str(ca))


def check(*, tls: bool = False, settings: HealthcheckSettings | None = None) -> int:
    """0 when /health answers 200, else 1 with the reason on stderr. Over HTTPS when asked (`--tls`), or when the
    service serves it (core.tls: TLS_CERT_DIR holds its certificate)."""
    settings = settings or HealthcheckSettings.from_env()
    port = settings.port if settings.port is not None else (8443 if tls else 8000)  # the receiver's, else gunicorn's
    tls = tls or server_files(settings) is not None
    host = "localhost" if tls else "127.0.0.1"  # the receiver's certificate names localhost
    url = f"{'https' if tls else 'http'}://{host}:{port}/health"
    try:
        context = tls_context(settings) if tls else None
        with urllib.request.urlopen(url, timeout=5, context=context) as response:  # noqa: S310 - fixed loopback URL
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(f"health: {url} answered {exc.code}", file=sys.stderr)
    except (urllib.error.URLError, OSError) as exc:
        print(f"health: {url} unreachable ({type(exc).__name__}: {exc})", file=sys.stderr)
    return 1


def reported_status(base_url: str, settings: HealthcheckSettings | None = None) -> str | None:
    """What a running service's /health says of itself ("healthy", "degraded", "unhealthy"), or None when it does
    not answer with its JSON. `check` only asks for a 200, which a degraded service (a cache down) still gives."""
    context = tls_context(settings) if base_url.startswith("https:") else None
    try:
        with urllib.request.urlopen(f"{base_url}/health", timeout=5, context=context) as response:  # noqa: S310
            word = json.load(response).get("status")
    except urllib.error.HTTPError as exc:
        try:
            word = json.load(exc).get("status")
        except (ValueError, AttributeError):
            return None
    except (OSError, ValueError, AttributeError):
        return None
    return word if isinstance(word, str) else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.healthcheck", description=__doc__.split("\n")[0])
    parser.add_argument("--tls", action="store_true", help="the service speaks TLS (trust only the clinic CA)")
    args = parser.parse_args(argv)
    return check(tls=args.tls)


if __name__ == "__main__":
    sys.exit(main())
