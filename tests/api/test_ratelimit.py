"""Per-key rate limit: 429 with Retry-After, one key's burst does not spend another's."""

from __future__ import annotations

from api.ratelimit import RateLimiter


def test_burst_then_429_with_retry_after(make_client, world_factory) -> None:  # type: ignore[no-untyped-def]
    client = make_client(rate_limit_per_minute=6, rate_limit_burst=3)
    world = world_factory(client)
    statuses = [client.get("/v1/rubrics", headers=world.a1.auth).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = client.get("/v1/rubrics", headers=world.a1.auth)
    assert limited.status_code == 429
    assert limited.json()["type"] == "urn:coach:problem:rate-limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 10
    # Another user's key has its own bucket.
    assert client.get("/v1/rubrics", headers=world.a1b.auth).status_code == 200
    # Unauthenticated requests are refused before they can spend anyone's tokens.
    assert client.get("/v1/rubrics").status_code == 401


def test_bucket_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert limiter.acquire(1) == 0 and limiter.acquire(1) == 0
    wait = limiter.acquire(1)
    assert wait == 1.0
    assert RateLimiter.retry_after_header(wait) == "1"
    now[0] = 1.0
    assert limiter.acquire(1) == 0
    assert limiter.acquire(1) > 0


def test_zero_rate_disables_limiting() -> None:
    limiter = RateLimiter(per_minute=0, burst=1)
    assert all(limiter.acquire(7) == 0 for _ in range(100))
