import hashlib

import pytest
from conftest import SAMPLE_LINES, heuristic_card, make_call, make_rubric

from coach.errors import ConfigError
from coach.llm import embedded
from coach.llm.errors import EmbeddedServerError
from coach.llm.grader import LLMGrader, SkippedGrader
from coach.llm.session import llm_grader
from coach.llm.settings import load_settings
from coach.scorecard import Verdict


def test_disabled_means_skipped_without_touching_any_model():
    with llm_grader(enabled=False) as grader:
        assert isinstance(grader, SkippedGrader)
        call = make_call(SAMPLE_LINES)
        card = heuristic_card(call, {"next_step": Verdict.pass_})
        out = grader.grade(call, card, make_rubric(next_step="llm"))
    assert out.llm.llm_status == "skipped: --no-llm" and out.items == card.items


def test_configured_endpoint_needs_a_model_name():
    with pytest.raises(ConfigError, match="COACH_LLM_MODEL"):
        with llm_grader(load_settings(base_url="http://127.0.0.1:9/v1", model=None)):
            pass


def test_configured_endpoint_is_used_and_redaction_follows_its_kind():
    with llm_grader(load_settings(base_url="http://127.0.0.1:9/v1", model="m")) as grader:
        assert isinstance(grader, LLMGrader) and grader.redact_personal is False
        assert grader.model.info.endpoint_kind.value == "local"
    with llm_grader(load_settings(base_url="https://llm.example.com/v1", model="m", api_key="k")) as grader:
        assert grader.redact_personal is True and grader.model.info.endpoint_kind.value == "remote"


def test_bundled_weights_match_the_pinned_sha256():
    path = embedded.verified_gguf()
    assert path.name == embedded.GGUF_NAME
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == embedded.GGUF_SHA256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def test_tampered_weights_are_refused_and_the_scorecard_keeps_its_heuristics(monkeypatch, tmp_path):
    fake = tmp_path / embedded.GGUF_NAME
    fake.write_bytes(b"GGUF not really")
    monkeypatch.setattr(embedded, "gguf_path", lambda: fake)
    with pytest.raises(EmbeddedServerError, match="SHA-256 mismatch"):
        embedded.verified_gguf()
    with llm_grader(load_settings(base_url=None, api_key=None, mode="embedded")) as grader:
        call = make_call(SAMPLE_LINES)
        card = heuristic_card(call, {"next_step": Verdict.fail})
        out = grader.grade(call, card, make_rubric(next_step="llm"))
    assert out.items == card.items
    assert out.llm.llm_status.startswith("failed: ") and "SHA-256 mismatch" in out.llm.llm_status


def test_free_loopback_port_is_bindable():
    import socket

    port = embedded.free_loopback_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
