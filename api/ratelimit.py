"""Requests per requester: a token bucket in this process's memory (HITBOT_API_RATE_PER_S
refilled, HITBOT_API_BURST at most). N API processes behind a load balancer let a requester
N times the rate; simple, no shared state, and enough to stop a runaway loop."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

MAX_BUCKETS = 10_000


class TokenBucket:
    def __init__(self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self.clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: int) -> bool:
        """One request for `key`: True if allowed."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > MAX_BUCKETS:  # forget the idle ones: a full bucket is the default
                full = [k for k, (t, a) in self._buckets.items() if t + (now - a) * self.rate >= self.burst]
                for k in full:
                    del self._buckets[k]
            return allowed
