"""Security headers on every response the app sends, whichever route made it.

Pages set their own (api/web/routing.py); this covers everything else that can
be HTML (rendered scorecards, the API docs, error pages from other layers): a
response without a Content-Security-Policy gets a strict one, and every
response gets `nosniff` so a browser never guesses a type.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A rendered document: its own inline styles and data: images, no script, no framing.
DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; sandbox"
# The API docs: scripts and styles from this site only (Swagger UI and ReDoc set inline styles).
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        await self.app(scope, receive, editing_headers(send, _secure))


def _secure(headers: MutableHeaders) -> None:
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if headers.get("content-type", "").startswith("text/html"):
        headers.setdefault("Content-Security-Policy", DOCUMENT_CSP)
        headers.setdefault("X-Frame-Options", "DENY")


def editing_headers(send: Send, edit: Callable[[MutableHeaders], None]) -> Send:
    """`send`, with `edit` applied to the response's headers as it starts (pure ASGI, so
    streaming responses keep streaming)."""

    async def send_edited(message: Message) -> None:
        if message["type"] == "http.response.start":
            edit(MutableHeaders(scope=message))
        await send(message)

    return send_edited
