"""gunicorn settings shared by every Flask service (`gunicorn -c python:core.gunicorn_conf billing:create_app()`).

Read through core.config like every other setting: HOST and PORT (the container's 8000 by default; the runner's
local backend sets the published host port, so one `.conf` command serves both backends), WEB_CONCURRENCY,
GUNICORN_WORKER (gevent, or gthread with GUNICORN_THREADS), GUNICORN_TIMEOUT, LOG_LEVEL, and TLS_CERT_DIR for HTTPS
(core.tls). gunicorn's access log is off: it would write raw paths and query strings, which carry patient ids;
core.web logs the route template instead. What gunicorn refuses itself, before the app sees the request (a
request line over 4094 bytes, a malformed header), is answered in the suite's JSON error shape instead of
gunicorn's HTML page, and without its message, which quotes the request line.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Any

from gunicorn import util

from core.config import Settings
from core.tls import server_files

_settings = Settings.from_env()
bind = f"{_settings.host}:{_settings.port}"
# HTTPS with the clinic's certificate when TLS_CERT_DIR holds one (core.tls); plain HTTP otherwise.
_tls = server_files(_settings)
if _tls is not None:
    certfile, keyfile = (str(path) for path in _tls)
workers = _settings.web_concurrency
threads = _settings.gunicorn_threads
worker_class = _settings.gunicorn_worker
worker_connections = 1000  # gevent: connections one worker holds at once
timeout = _settings.gunicorn_timeout
graceful_timeout = 10
accesslog = None
# gunicorn 27's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl); several services on one
# host would clobber each other's, and nothing of ours uses it.
control_socket_disable = True
errorlog = "-"
loglevel = _settings.log_level.lower()

# With several workers each keeps its own metrics; prometheus_client's multiprocess mode merges them. The
# variable must be set before prometheus_client is first imported (it picks its value class at import), and
# workers inherit the master's modules, hence no top-level import of it here.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="intelluxe-metrics-")


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # type: ignore[no-untyped-def]
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def pre_request(worker, req):  # type: ignore[no-untyped-def]
    """gunicorn's default logs each request's path at debug level; paths carry patient and claim ids. core.web
    logs the route template instead, so this hook does nothing."""


def _json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn.util.write_error in the suite's error shape: {"error": {"code", "message", "fields"}}."""
    del mesg  # quotes the raw request line or header: a path may carry patient ids
    code = reason.lower().replace(" ", "_")
    body = json.dumps({"error": {"code": code, "message": reason, "fields": {}}}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin1") + body)


# The workers call util.write_error at the time of the error; they inherit this module's change from the master.
util.write_error = _json_error


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Under gevent, psycopg2 waits on the database through gevent, so one request's query never stalls the worker's
    other connections (gunicorn has already monkey-patched the standard library by now)."""
    if worker_class == "gevent":
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()


def post_request(worker, req, environ, resp):  # type: ignore[no-untyped-def]
    """Under gevent, let the worker's other connections run before this keep-alive connection's next request: a
    greenlet whose socket already holds data never yields on its own, so one busy client could starve the rest
    (hello-world at 32 connections: p99 1.4-2.2 s without this)."""
    if worker_class == "gevent":
        import gevent

        gevent.sleep(0)
