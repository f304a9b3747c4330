"""Request body size limit, enforced while the body streams in (not after buffering it)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import ApiProblem, problem_response


def too_large(limit: int) -> ApiProblem:
    return ApiProblem(
        413, f"the request body is over the {limit}-byte upload limit", type="urn:coach:problem:payload-too-large"
    )


class BodySizeLimit:
    def __init__(self, app: ASGIApp, limit: int, slack: int):
        self.app = app
        self.limit = limit
        # Multipart framing and JSON escaping add to the file's own size; the route
        # checks the file itself against `limit` once the body is parsed.
        self.max_bytes = limit + slack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await problem_response(too_large(self.limit))(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise too_large(self.limit)
            return message

        await self.app(scope, limited, send)
