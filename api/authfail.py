"""Failed authentication, rate limited per client address: unknown API keys on `/v1` and
failed sign-ins on the pages share one bucket per address. Once it is empty the address
gets 429 with `Retry-After` before any key is looked up, so guessing keys costs time."""

from __future__ import annotations

from fastapi import Request

from api.problems import ApiProblem
from api.ratelimit import RateLimiter


class AuthFailures:
    def __init__(self, per_minute: int, burst: int):
        self._limiter = RateLimiter(per_minute, burst)

    @staticmethod
    def _address(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def check(self, request: Request) -> None:
        wait = self._limiter.wait(self._address(request))
        if wait > 0:
            retry = RateLimiter.retry_after_header(wait)
            raise ApiProblem(
                429,
                f"too many failed sign-ins or unknown API keys from this address; retry in {retry} s",
                type="urn:coach:problem:rate-limited",
                headers={"Retry-After": retry},
            )

    def record(self, request: Request) -> None:
        self._limiter.acquire(self._address(request))
