"""Login throttling: failures counted per account and per address, shared by all workers.

Counters live in Redis when REDIS_URL is set (every gunicorn worker and replica sees the same
numbers); the embedded default keeps them in process memory.
"""

import logging
import threading
import time

import redis
from flask import current_app

log = logging.getLogger(__name__)


class MemoryCounters:
    def __init__(self):
        self._lock = threading.Lock()
        self._data: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, ttl: int) -> int:
        now = time.monotonic()
        with self._lock:
            count, expires = self._data.get(key, (0, now + ttl))
            if expires <= now:
                count, expires = 0, now + ttl
            self._data[key] = (count + 1, expires)
            return count + 1

    def get(self, key: str) -> int:
        with self._lock:
            count, expires = self._data.get(key, (0, 0.0))
            return count if expires > time.monotonic() else 0

    def set(self, key: str, value: int, ttl: int) -> None:
        with self._lock:
            self._data[key] = (value, time.monotonic() + ttl)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class RedisCounters:
    def __init__(self, client: redis.Redis, prefix: str):
        self._r = client
        self._prefix = prefix

    def incr(self, key: str, ttl: int) -> int:
        pipe = self._r.pipeline()
        pipe.incr(self._prefix + key)
        pipe.expire(self._prefix + key, ttl, nx=True)
        return int(pipe.execute()[0])

    def get(self, key: str) -> int:
        return int(self._r.get(self._prefix + key) or 0)

    def set(self, key: str, value: int, ttl: int) -> None:
        self._r.set(self._prefix + key, value, ex=ttl)

    def delete(self, key: str) -> None:
        self._r.delete(self._prefix + key)


class ResilientCounters:
    """Redis counters that fall back to this process's memory while Redis is unreachable:
    sign-in keeps working and is still throttled, per process, until Redis returns."""

    def __init__(self, primary: RedisCounters):
        self._primary = primary
        self._fallback = MemoryCounters()

    def __getattr__(self, name):
        primary_call, fallback_call = getattr(self._primary, name), getattr(self._fallback, name)

        def call(*args):
            try:
                return primary_call(*args)
            except redis.RedisError:
                log.warning("login counters: Redis unreachable, using process memory")
                return fallback_call(*args)

        return call


def counters():
    app = current_app._get_current_object()
    store = app.extensions.get("login_counters")
    if store is None:
        url = app.config["REDIS_URL"]
        if url:
            client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            store = ResilientCounters(RedisCounters(client, app.config["QUEUE_PREFIX"] + ":login:"))
        else:
            store = MemoryCounters()
        app.extensions["login_counters"] = store
    return store


def _keys(username: str, address: str) -> tuple[str, str, str]:
    name = username.strip().lower()
    return f"fail:user:{name}", f"fail:ip:{address}", f"lock:user:{name}"


def is_blocked(username: str, address: str) -> bool:
    """True while the account is locked or the address has used up its attempts."""
    cfg = current_app.config
    user_key, ip_key, lock_key = _keys(username, address)
    store = counters()
    return store.get(lock_key) > 0 or store.get(ip_key) >= cfg["LOGIN_ADDRESS_LIMIT"]


def record_failure(username: str, address: str) -> None:
    cfg = current_app.config
    user_key, ip_key, lock_key = _keys(username, address)
    store = counters()
    store.incr(ip_key, cfg["LOGIN_WINDOW_SECONDS"])
    if store.incr(user_key, cfg["LOGIN_WINDOW_SECONDS"]) >= cfg["LOGIN_MAX_FAILURES"]:
        store.set(lock_key, 1, cfg["LOGIN_LOCK_SECONDS"])
        store.delete(user_key)


def record_success(username: str, address: str) -> None:
    user_key, _ip_key, _lock_key = _keys(username, address)
    counters().delete(user_key)
