"""Per-key token buckets, in process memory.

Each server process limits on its own; with several processes behind a
balancer the effective limit is per process (documented in the README).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    def __init__(self, per_minute: int, burst: int, clock=time.monotonic):  # type: ignore[no-untyped-def]
        self.rate = per_minute / 60.0
        self.burst = burst
        self._clock = clock
        self._buckets: dict[int | str, _Bucket] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def wait(self, key: int | str) -> float:
        """The seconds until `key` has a token, without taking one (0 when it has one now)."""
        return self._take(key, take=False)

    def acquire(self, key: int | str) -> float:
        """Take one token; return 0 when allowed, else the seconds until one is free."""
        return self._take(key, take=True)

    def _take(self, key: int | str, *, take: bool) -> float:
        if not self.enabled:
            return 0.0
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), stamp=now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                if take:
                    bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    @staticmethod
    def retry_after_header(wait_s: float) -> str:
        return str(max(1, math.ceil(wait_s)))
