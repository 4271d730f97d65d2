"""The hello-world baseline of bench_verify: the least a Flask app under the services' gunicorn settings can do.

Why it exists: a requests/s figure of /verify means little on its own — it depends on the machine, the core count
and on what gunicorn's workers cost per request. Served by the very same command
(`gunicorn -c python:core.gunicorn_conf hello_app:app`) and loaded by the same client in the same run, this app
gives the ceiling that /verify is compared against, so the printed ratio travels between machines.

It reads the JSON body (so the request is consumed the same way) and answers a small JSON object; nothing else:
no auth, no database, no cache, no audit, no per-request log line.
"""

from __future__ import annotations

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

app = Flask("hello")


@app.post("/hello")
def hello() -> ResponseReturnValue:
    body = request.get_json(silent=True)
    return jsonify({"hello": "world", "fields": len(body) if isinstance(body, dict) else 0})


@app.get("/health")
def health() -> ResponseReturnValue:
    return jsonify({"status": "healthy"})
