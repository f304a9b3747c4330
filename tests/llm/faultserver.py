"""A tiny local HTTP server that answers chat-completion requests from a script.

Each scripted step is one of:
- `Reply(status, body, headers)`: answer with that status and body;
- `HANG`: read the request and answer nothing until the client gives up;
- `CLOSE`: read the request and drop the connection.
The last step repeats once the script runs out. Loopback only; stops with the fixture.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


HANG = "hang"
CLOSE = "close"
Step = Reply | str


def completion(content: str, *, prompt_tokens: int = 11, completion_tokens: int = 7) -> Reply:
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }  # fmt: skip
    return Reply(200, json.dumps(body))


def error(status: int, *, retry_after_ms: int | None = 5) -> Reply:
    headers = {"retry-after-ms": str(retry_after_ms)} if retry_after_ms is not None else {}
    return Reply(status, json.dumps({"error": {"message": f"scripted {status}", "type": "test"}}), headers)


class ScriptedServer:
    def __init__(self, steps: list[Step] | None = None, *, route=None):
        self.steps = list(steps or [])
        self.route = route  # optional callable(request_json) -> Step, overrides the script
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(payload)
                    if server.route is not None:
                        step = server.route(payload)
                    else:
                        index = min(len(server.requests) - 1, len(server.steps) - 1)
                        step = server.steps[index]
                if step == HANG:
                    server._release.wait(timeout=10)
                    self.close_connection = True
                    return
                if step == CLOSE:
                    self.close_connection = True
                    self.connection.close()
                    return
                data = step.body.encode()
                self.send_response(step.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in step.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> "ScriptedServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
