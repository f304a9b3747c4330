"""LLM settings: where the model is, how to call it, what may leave the machine.

Read once from the environment (and an optional TOML file named by
`COACH_LLM_CONFIG`). The OpenAI variable names are the SDK's own so an existing
shell set-up works unchanged; everything else is `COACH_LLM_*`. The API key is a
`SecretStr` so it never lands in a scorecard, a log line or a repr.
"""

from __future__ import annotations

import ipaddress
import os
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from coach.errors import ConfigError

CONFIG_ENV = "COACH_LLM_CONFIG"


class EndpointKind(StrEnum):
    """What we are talking to; recorded on scorecards (the URL and key never are)."""

    embedded = "embedded"  # the bundled SmolLM2 server this process started
    local = "local"  # a configured endpoint on a loopback address (Ollama, vLLM, llama.cpp...)
    remote = "remote"  # anything else: OpenAI, Azure, a hosted gateway


class StructuredMode(StrEnum):
    auto = "auto"  # probe the endpoint once
    json_schema = "json_schema"  # OpenAI-style strict structured outputs
    json_object = "json_object"  # JSON mode with the schema passed along (llama.cpp grammar)


class RedactMode(StrEnum):
    auto = "auto"  # on for remote endpoints, off for local and embedded ones
    on = "on"
    off = "off"


class LLMMode(StrEnum):
    """Which model grades (`--llm MODE`, `COACH_LLM=MODE`); `coach.llm.choice` turns it into a decision."""

    auto = "auto"  # a configured endpoint if there is one, else heuristics only (the default)
    embedded = "embedded"  # the bundled SmolLM2 server; needs the `local-llm` extra
    endpoint = "endpoint"  # the configured endpoint, and an error if there is none
    off = "off"  # heuristics only


class Endpoint(BaseModel):
    """Where a run's requests go: the configured endpoint, or the embedded server it started."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None  # None: the SDK's default (api.openai.com)
    model: str
    kind: EndpointKind
    context_tokens: int


class LLMSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COACH_LLM_", extra="ignore", populate_by_name=True)

    mode: LLMMode = Field(default=LLMMode.auto, validation_alias=AliasChoices("COACH_LLM", "mode"))
    enabled: bool = Field(default=True, description="COACH_LLM_ENABLED=false turns the LLM off, like --no-llm")
    api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "api_key"))
    base_url: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "base_url"))
    model: str | None = Field(default=None, description="model name; defaults to the embedded one when no endpoint")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    seed: int | None = 7
    timeout_s: float = Field(default=120.0, gt=0)
    retries: int = Field(default=2, ge=0, le=10, description="SDK retries for timeouts, refused, 429, 5xx")
    concurrency: int = Field(default=2, ge=1, le=64)
    redact: RedactMode = RedactMode.auto
    structured_mode: StructuredMode = StructuredMode.auto
    max_output_tokens: int = Field(default=2048, ge=64)
    context_tokens: int = Field(default=8192, ge=1024, description="the model's context window")
    # The embedded server: how long to wait for it and how many threads it may use.
    embedded_start_timeout_s: float = Field(default=60.0, gt=0)
    # A 135M model on two shared cores can take minutes for a long call, and a
    # timed-out request keeps the single-slot server busy, so the embedded
    # server gets a long timeout and no retries.
    embedded_timeout_s: float = Field(default=900.0, gt=0)
    embedded_threads: int = Field(default=2, ge=1)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = os.environ.get(CONFIG_ENV)
        if config:
            # The file comes after the environment: a variable set for one run wins.
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
        return tuple(sources)

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value.strip().rstrip("/")

    # -- derived ---------------------------------------------------------------------
    @property
    def endpoint_configured(self) -> bool:
        return self.base_url is not None or self.api_key is not None

    def endpoint_kind(self) -> EndpointKind:
        if not self.endpoint_configured:
            return EndpointKind.embedded
        return EndpointKind.local if is_loopback_url(self.base_url) else EndpointKind.remote

    def configured_endpoint(self) -> Endpoint:
        """The endpoint in these settings; a ConfigError when it names no model."""
        if not self.model:
            raise ConfigError("COACH_LLM_MODEL must name the model when an endpoint is configured", source="environment")
        return Endpoint(base_url=self.base_url, model=self.model, kind=self.endpoint_kind(), context_tokens=self.context_tokens)

    def redaction_enabled(self, kind: EndpointKind) -> bool:
        if self.redact is RedactMode.auto:
            return kind is EndpointKind.remote
        return self.redact is RedactMode.on


def is_loopback_url(url: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; None means the SDK default (api.openai.com)."""
    if not url:
        return False
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(**overrides: Any) -> LLMSettings:
    """Settings from the environment (+ config file); bad values become one-line ConfigErrors."""
    try:
        return LLMSettings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        source = os.environ.get(CONFIG_ENV) or "environment"
        raise ConfigError(f"LLM setting {field}: {first['msg'].removeprefix('Value error, ')}", source=source) from None
