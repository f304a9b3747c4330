import pytest

from coach.errors import ConfigError
from coach.llm.settings import EndpointKind, RedactMode, is_loopback_url, load_settings


def test_no_endpoint_means_the_embedded_model_without_redaction():
    settings = load_settings()
    assert settings.endpoint_kind() is EndpointKind.embedded
    assert settings.redaction_enabled(EndpointKind.embedded) is False


def test_remote_endpoint_redacts_by_default(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = load_settings()
    assert settings.endpoint_kind() is EndpointKind.remote
    assert settings.redaction_enabled(EndpointKind.remote) is True
    assert "sk-test" not in repr(settings)


def test_loopback_endpoint_is_local_and_redaction_is_configurable(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1/")
    monkeypatch.setenv("COACH_LLM_REDACT", "on")
    settings = load_settings()
    assert settings.base_url == "http://127.0.0.1:11434/v1"
    assert settings.endpoint_kind() is EndpointKind.local
    assert settings.redact is RedactMode.on
    assert settings.redaction_enabled(EndpointKind.local) is True


def test_config_file_is_read_and_environment_wins(monkeypatch, tmp_path):
    config = tmp_path / "llm.toml"
    config.write_text('model = "qwen2.5:7b"\nseed = 11\ntemperature = 0.2\n')
    monkeypatch.setenv("COACH_LLM_CONFIG", str(config))
    monkeypatch.setenv("COACH_LLM_SEED", "3")
    settings = load_settings()
    assert settings.model == "qwen2.5:7b"
    assert settings.temperature == 0.2
    assert settings.seed == 3


@pytest.mark.parametrize(("url", "local"), [
    ("http://localhost:8000/v1", True), ("http://127.0.0.2/v1", True), ("http://[::1]:8080", True),
    ("https://api.openai.com/v1", False), ("http://10.0.0.5/v1", False), (None, False),
])  # fmt: skip
def test_loopback_detection(url, local):
    assert is_loopback_url(url) is local


def test_bad_setting_is_one_line_naming_the_field(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "ftp://example")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "OPENAI_BASE_URL: expected an http(s) URL" in str(caught.value) and "\n" not in str(caught.value)
