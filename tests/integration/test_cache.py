"""The Redis cache: real Redis, and a real Redis stopped — reads become misses, writes are skipped, health says so."""

from __future__ import annotations

import time
from pathlib import Path

from core import embedded
from core.cache import Cache


def test_values_round_trip_with_ttl(redis_url: str, cache_prefix: str) -> None:
    cache = Cache(redis_url, prefix=cache_prefix)
    assert cache.set("member:1", {"deductible_remaining": "1500.00", "codes": ["99213"]}, ttl_seconds=60)
    assert cache.get("member:1") == {"deductible_remaining": "1500.00", "codes": ["99213"]}
    assert cache.get("member:2") is None
    assert cache.delete("member:1")
    assert cache.get("member:1") is None
    assert cache.health() == ("ok", None)
    cache.close()


def test_entries_expire(redis_url: str, cache_prefix: str) -> None:
    cache = Cache(redis_url, prefix=cache_prefix)
    cache.set("short", 1, ttl_seconds=1)
    time.sleep(1.2)
    assert cache.get("short") is None
    cache.close()


def test_redis_down_means_misses_skipped_writes_and_degraded_health(stoppable_redis: Path) -> None:
    cache = Cache(embedded.redis_url(stoppable_redis), retry_after=0.2)
    assert cache.set("k", {"v": 1}, ttl_seconds=60)
    assert embedded.stop_redis(stoppable_redis)

    started = time.monotonic()
    assert cache.get("k") is None
    assert cache.set("k", {"v": 2}, ttl_seconds=60) is False
    assert cache.delete("k") is False
    status, reason = cache.health()
    assert status == "degraded"
    assert reason is not None and "redis unavailable" in reason
    assert time.monotonic() - started < 3, "a dead cache must not stall callers"

    embedded.start_redis(stoppable_redis)
    time.sleep(0.3)
    assert cache.health() == ("ok", None)
    assert cache.get("k") == {"v": 1}, "the server reloaded its saved data or kept it"
    cache.close()


def test_an_unreachable_url_is_a_miss_not_an_error() -> None:
    cache = Cache("redis://127.0.0.1:1/0", socket_timeout=0.2)
    assert cache.get("anything") is None
    assert cache.set("anything", 1, ttl_seconds=5) is False
    assert cache.health()[0] == "degraded"
