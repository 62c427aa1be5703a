from __future__ import annotations

import asyncio

import pytest

from kinabot.guard import Edge, RateLimiter, client_ip, error_body, request_id

PROXY = frozenset({"10.0.0.1", "10.0.0.2"})


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", None, "203.0.113.9"),
        # Not from a trusted proxy: the header is the client's own claim and is ignored.
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),
        ("10.0.0.1", "198.51.100.7", "198.51.100.7"),
        # The client wrote the first address; the proxy appended the real one.
        ("10.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        # Two trusted proxies in a row are skipped.
        ("10.0.0.1", "198.51.100.7, 10.0.0.2", "198.51.100.7"),
        ("10.0.0.1", "not-an-address", "10.0.0.1"),
        ("10.0.0.1", "2001:db8::1", "2001:db8::1"),
        (None, None, "unknown"),
    ],
)
def test_client_ip_believes_only_trusted_proxies(peer: str | None, forwarded: str | None, expected: str) -> None:
    assert client_ip(peer, forwarded, PROXY) == expected


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("a")
    assert wait == pytest.approx(1.0)
    assert limiter.take("b") == 0.0, "another client has its own bucket"
    clock.now += 1.0
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0
    assert limiter.rejected == 2
    clock.now += 60
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0], "the bucket refills to the burst, no further"
    assert limiter.take("a") > 0


def test_zero_rate_turns_the_limit_off() -> None:
    limiter = RateLimiter(per_minute=0, burst=1)
    assert not limiter.enabled
    assert all(limiter.take("a") == 0.0 for _ in range(1000))


def test_idle_clients_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=2, clock=clock)
    monkeypatch.setattr(RateLimiter, "MAX_CLIENTS", 10)
    for i in range(10):
        limiter.take(f"old{i}")
    clock.now += 3600
    limiter.take("new")
    assert set(limiter._buckets) == {"new"}


async def _call(app: Edge, path: str, body: bytes, headers: list | None = None) -> tuple[int, dict, bytes]:
    chunks = [body[i : i + 100] for i in range(0, len(body), 100)] or [b""]
    incoming = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "path": path, "method": "POST", "headers": headers or []}
    await app(scope, receive, send)
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


async def _echo(scope, receive, send) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": request_id.get().encode() + b" " + body})


def test_edge_limits_api_bodies_even_without_content_length() -> None:
    seen = []
    edge = Edge(_echo, 1000, lambda rid: error_body("body_too_large", "too large"), lambda s, st, t: seen.append(st))
    status, headers, body = asyncio.run(_call(edge, "/api/ask", b"x" * 1001))
    assert status == 413 and b"body_too_large" in body
    assert headers[b"x-content-type-options"] == b"nosniff"
    status, _, body = asyncio.run(_call(edge, "/api/ask", b"y" * 1000))
    assert status == 200 and body.endswith(b"y" * 1000)
    # Outside the API (an admin upload, say) the body is not capped here.
    status, _, _ = asyncio.run(_call(edge, "/admin/api/documents", b"z" * 5000))
    assert status == 200
    assert seen == [413, 200, 200]


def test_edge_sets_request_id_and_security_headers() -> None:
    edge = Edge(_echo, 1000, lambda rid: b"")
    _status, headers, body = asyncio.run(_call(edge, "/api/ask", b"{}", [(b"x-request-id", b"abc-123")]))
    assert headers[b"x-request-id"] == b"abc-123" and body.startswith(b"abc-123 ")
    assert headers[b"content-security-policy"].startswith(b"default-src 'none'")
    # A request id with odd characters is not echoed back (log and header injection).
    _, headers, _ = asyncio.run(_call(edge, "/", b"", [(b"x-request-id", b"bad\nid")]))
    assert headers[b"x-request-id"] != b"bad\nid" and len(headers[b"x-request-id"]) == 32
    assert b"script-src 'self'" in headers[b"content-security-policy"]
    for name in (b"referrer-policy", b"x-frame-options", b"permissions-policy", b"strict-transport-security"):
        assert name in headers
