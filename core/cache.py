"""Redis as a cache that degrades to "miss" when Redis is down, and says so in health.

Why degrade instead of failing: everything we cache (eligibility answers) can be recomputed from its source, so a
dead cache must cost speed, never availability. Why the short timeouts and the back-off: without them every request
would wait for a connect timeout while Redis is down.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import redis

log = logging.getLogger(__name__)

_REDIS_ERRORS = (redis.RedisError, OSError)


class Cache:
    """JSON values under string keys, with a TTL. Every method is safe to call while Redis is down."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "intelluxe:",
        socket_timeout: float = 0.5,
        retry_after: float = 5.0,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            health_check_interval=30,
        )
        self._retry_after = retry_after
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._last_error: str | None = None

    # While Redis is known down, skip it for `retry_after` seconds rather than paying a timeout per call.
    def _skip(self) -> bool:
        with self._lock:
            return self._down_since is not None and time.monotonic() - self._down_since < self._retry_after

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            first = self._down_since is None
            self._down_since = time.monotonic()
            self._last_error = type(exc).__name__
        if first:
            log.warning("redis unavailable (%s); cache reads are misses until it returns", type(exc).__name__)

    def _succeeded(self) -> None:
        with self._lock:
            if self._down_since is not None:
                log.info("redis is back; cache enabled")
            self._down_since = None
            self._last_error = None

    def get(self, key: str) -> Any | None:
        if self._skip():
            return None
        try:
            raw = self._client.get(self.prefix + key)
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            return None
        self._succeeded()
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            log.warning("dropping an undecodable cache entry")
            self.delete(key)
            return None

    def set(self, key: str, value: Any, ttl_seconds: int) -> bool:
        """Store `value` as JSON; False (not an error) when Redis is down."""
        if self._skip():
            return False
        try:
            self._client.set(self.prefix + key, json.dumps(value, separators=(",", ":")), ex=ttl_seconds)
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            return False
        self._succeeded()
        return True

    def delete(self, key: str) -> bool:
        if self._skip():
            return False
        try:
            self._client.delete(self.prefix + key)
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            return False
        self._succeeded()
        return True

    def health(self) -> tuple[str, str | None]:
        """("ok", None) or ("degraded", reason). Always asks Redis, so health sees a recovery at once."""
        try:
            self._client.ping()
        except _REDIS_ERRORS as exc:
            self._failed(exc)
            return "degraded", f"redis unavailable ({type(exc).__name__}); serving without cache"
        self._succeeded()
        return "ok", None

    def close(self) -> None:
        self._client.close()
