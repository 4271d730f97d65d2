"""TLS between the clinic's apps and the services, and between the services, with the clinic's own CA.

`scripts/gen-certs.sh` (run by `intelluxe up` on first use) makes the clinic CA (ca.pem) and a server certificate
(cert.pem + key.pem) for localhost, 127.0.0.1 and any host names given, in $INTELLUXE_HOME/certs. A service whose
TLS_CERT_DIR holds cert.pem and key.pem serves HTTPS with them (core.gunicorn_conf), its health command checks it
over HTTPS, and its own outgoing calls (billing to insurance-verify, insurance-verify to a payer) trust the public
CAs and the clinic CA — so the payer sandbox on this host and a clearinghouse on the internet both verify.
Without TLS_CERT_DIR a service speaks plain HTTP (the tests' in-process apps, a service behind a TLS proxy).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from core.config import Settings


def server_files(settings: Settings) -> tuple[Path, Path] | None:
    """(cert.pem, key.pem) when TLS_CERT_DIR is set and holds both; None means plain HTTP."""
    cert_dir = settings.tls_cert_dir
    if cert_dir is None:
        return None
    cert, key = cert_dir / "cert.pem", cert_dir / "key.pem"
    return (cert, key) if cert.is_file() and key.is_file() else None


def clinic_ca(settings: Settings) -> Path | None:
    """The clinic CA's certificate in TLS_CERT_DIR, if there is one."""
    if settings.tls_cert_dir is None:
        return None
    ca = settings.tls_cert_dir / "ca.pem"
    return ca if ca.is_file() else None


def trust(settings: Settings) -> str | bool:
    """`verify=` for requests: the machine's CAs (REQUESTS_CA_BUNDLE when set, else certifi's) plus the clinic CA,
    as one bundle file remade when either changes; True (the public CAs alone) when there is no clinic CA."""
    ca = clinic_ca(settings)
    if ca is None:
        return True
    import certifi

    public = Path(settings.environ.get("REQUESTS_CA_BUNDLE") or certifi.where())
    bundle = ca.parent / "trust.pem"
    wanted = public.read_bytes() + b"\n" + ca.read_bytes()
    if not bundle.is_file() or bundle.read_bytes() != wanted:
        # Written whole then renamed: a service starting beside another never reads half a bundle.
        fd, tmp = tempfile.mkstemp(dir=ca.parent, prefix=".trust-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(wanted)
        os.replace(tmp, bundle)
    return str(bundle)
