"""Password guessing: failed sign-ins counted per account and per address.

The counts live in Redis when one is configured, so every web worker sees the
same numbers (in memory otherwise, and while Redis is unreachable). The
counting uses `limits`, the rate-limit library under Flask-Limiter: a moving
window per account (`LOGIN_FAILURES_PER_ACCOUNT`) and per client address
(`LOGIN_FAILURES_PER_ADDRESS`). Only failures count; once a window is full,
every attempt in it is answered 429, the right password included, so a
guesser learns nothing. The lockout after `LOGIN_LOCKOUT_FAILURES` failures in
a row is kept on the user row (`locked_at`, see the security manager).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import Flask, current_app
from limits import parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)

_EXTENSION = "login_guard"


def storage_uri(redis_url: str) -> str:
    """The `limits` address of the app's Redis (memory when there is none)."""
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://") :]
    return redis_url


class LoginGuard:
    """Failed sign-ins counted in one store, shared by every worker using it."""

    def __init__(self, uri: str, config: Any) -> None:
        self.config = config
        self.uri = uri
        try:
            self.storage = (
                storage_from_string(
                    uri, key_prefix="login", socket_timeout=1, socket_connect_timeout=1
                )
                if uri.startswith("redis")
                else storage_from_string(uri)
            )
        except Exception:  # an unusable store must not stop sign-in
            logger.warning("Login counter store %s unusable; counting in memory", uri)
            self.storage = MemoryStorage()
        self.fallback = MemoryStorage()

    def _limits(self) -> list[tuple[Any, str]]:
        return [
            (parse(self.config["LOGIN_FAILURES_PER_ACCOUNT"]), "account"),
            (parse(self.config["LOGIN_FAILURES_PER_ADDRESS"]), "address"),
        ]

    def _keys(self, username: str, address: str) -> dict[str, str]:
        return {
            "account": (username or "").strip().lower(),
            "address": address or "-",
        }

    def _run(self, method: str, *args: Any) -> Any:
        for storage in (self.storage, self.fallback):
            try:
                return getattr(MovingWindowRateLimiter(storage), method)(*args)
            except (StorageError, OSError, ConnectionError) as error:
                logger.warning("Login counter store unreachable (%s)", error)
            except Exception as error:  # redis-py's own errors
                if storage is self.fallback:
                    raise
                logger.warning("Login counter store unreachable (%s)", error)
        return None

    def refused(self, username: str, address: str) -> bool:
        """True while either window of this account or address is full."""
        keys = self._keys(username, address)
        return any(
            not self._run("test", limit, kind, keys[kind])
            for limit, kind in self._limits()
        )

    def failed(self, username: str, address: str) -> None:
        """Count one failed sign-in against the account and the address."""
        keys = self._keys(username, address)
        for limit, kind in self._limits():
            self._run("hit", limit, kind, keys[kind])

    def clear(self) -> None:
        for storage in (self.storage, self.fallback):
            with contextlib.suppress(Exception):  # unreachable: nothing to clear
                storage.reset()


def guard(app: Flask | None = None) -> LoginGuard:
    app = app or current_app
    found = app.extensions.get(_EXTENSION)
    if found is None:
        uri = app.config.get("LOGIN_THROTTLE_STORAGE_URI") or storage_uri(
            app.config.get("REDIS_URL", "")
        )
        found = app.extensions[_EXTENSION] = LoginGuard(uri, app.config)
    return found


def enabled() -> bool:
    return bool(current_app.config.get("LOGIN_THROTTLE_ENABLED"))


def refused(username: str, address: str) -> bool:
    return enabled() and guard().refused(username, address)


def failed(username: str, address: str) -> None:
    if enabled():
        guard().failed(username, address)


def reset(app: Flask) -> None:
    """Forget every count (tests; an admin after an incident)."""
    guard(app).clear()
