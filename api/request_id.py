"""`X-Request-ID` on every response: the client's own id when it is sane, else a new one,
so a support question can name the exact request (and the log line) it is about."""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send

from api.headers import editing_headers

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")


def request_id_of(raw: bytes | None) -> str:
    if raw:
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            text = ""
        if _SANE.fullmatch(text):
            return text
    return uuid.uuid4().hex


class RequestId:
    """Pure ASGI (no per-request task), so streaming responses keep streaming."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        request_id = request_id_of(given)
        scope.setdefault("state", {})["request_id"] = request_id

        def stamp(headers: MutableHeaders) -> None:
            headers[HEADER] = request_id  # replaces any the app set itself

        await self.app(scope, receive, editing_headers(send, stamp))
