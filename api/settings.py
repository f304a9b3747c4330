"""One settings class for the API, read from `COACH_*` environment variables.

Settings are never a module global: the app factory receives them and routes
reach them through `api.deps.get_settings`, which tests may override.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from coach.errors import ConfigError
from coach.readers.limits import ReadLimits

if TYPE_CHECKING:
    from coach import pipeline


class Environment(StrEnum):
    development = "development"
    production = "production"


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COACH_", extra="ignore")

    environment: Environment = Environment.development
    data_dir: Path = Path("data")
    # None means SQLite in `data_dir` (coach.db, WAL mode), so a first run needs nothing.
    database_url: str | None = None

    max_upload_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    # Per API key; a burst of `rate_limit_burst` requests is allowed before the rate applies.
    rate_limit_per_minute: int = Field(default=600, ge=0)
    rate_limit_burst: int = Field(default=60, ge=1)

    # N > 0: uploads are read (validated) in N child processes, so uploads use every core
    # instead of queueing for the server process's one; 0: in the request's thread.
    read_processes: int = Field(default=2, ge=0)
    job_workers: int = Field(default=2, ge=0)
    # N > 0: score in N niced child processes, so a scoring backlog (about a CPU-second
    # per 60-minute call) does not slow request handling; 0: score in the worker threads.
    job_processes: int = Field(default=1, ge=0)
    # A running job whose lease has expired is presumed dead and is claimed again. The lease is
    # renewed every third of it while the job runs, so a dead worker's job waits at most this long.
    job_lease_s: float = Field(default=45.0, gt=0)
    # Failures of the call itself (its scorer raised, its process died); not restarts.
    job_max_attempts: int = Field(default=3, ge=1)
    # A failed run is retried after this many seconds, doubling with each attempt (capped at 300).
    job_retry_backoff_s: float = Field(default=2.0, ge=0)
    # PostgreSQL (Procrastinate workers): each worker process marks itself alive this often; one
    # silent for `queue_stalled_s` is dead, and its jobs are queued again by the next check
    # (every `queue_stalled_check_s`, any live worker), so a killed worker's job runs again
    # within stalled + check seconds (45 by default).
    queue_heartbeat_s: float = Field(default=10.0, gt=0)
    queue_stalled_s: float = Field(default=30.0, gt=0)
    queue_stalled_check_s: float = Field(default=15.0, gt=0)
    # Runs cut short by restarts or lost workers; only a call that takes the server down every
    # time gets this many.
    job_max_interruptions: int = Field(default=10, ge=1)
    # One call's scoring in its child process (job_processes > 0): past these it is stopped and
    # the call fails with the reason; the next call goes on. 0 turns a budget off.
    score_cpu_s: float = Field(default=120.0, ge=0)
    score_memory_mb: int = Field(default=1024, ge=0)
    # Back-pressure: an organisation with this many calls queued or scoring gets 429 + Retry-After.
    max_queued_per_org: int = Field(default=50, ge=1)
    backlog_retry_after_s: int = Field(default=30, ge=1)

    # Bounds on one upload (coach.readers.limits): past them the upload is a 422 naming the limit.
    max_lines: int = Field(default=200_000, ge=1)
    max_turns: int = Field(default=20_000, ge=1)
    max_speakers: int = Field(default=200, ge=1)
    max_turn_chars: int = Field(default=20_000, ge=1)
    max_call_chars: int = Field(default=1_000_000, ge=1)
    job_poll_s: float = Field(default=1.0, gt=0)
    # One server per database (the default deployment): jobs left `running` by a previous
    # process are requeued at start instead of waiting for their lease to expire.
    requeue_running_on_start: bool = True
    # "module:function" taking a Transcript and returning a Scorecard, in place of the bundled
    # rubric's checks (a team's own scorer); unset: the rubric's checks (`coach.pipeline.score`).
    scorer: str | None = None
    # On: after the heuristic scorecard is stored, a follow-up job grades the call with the LLM
    # grader `coach score` uses (OPENAI_BASE_URL etc., else the embedded model) and stores the
    # merged scorecard. Off by default: the embedded 135M model takes seconds to minutes per
    # call on the server's own cores and only gives second opinions on the bundled rubric;
    # turn it on with a capable endpoint configured.
    llm_grading: bool = False

    # How long a verified API key is trusted without a look-up (0 = look up every request).
    auth_cache_s: float = Field(default=5.0, ge=0)
    page_size_max: int = Field(default=500, ge=1)
    # Role-play customers voiced by the LLM (the embedded model unless an endpoint is configured);
    # off by default: the scenarios' scripted lines need no model.
    roleplay_llm: bool = False

    # Web pages (api/web/): signs the session cookie. In development a secret is made once
    # and kept in `data_dir`; production must set COACH_SESSION_SECRET (32+ characters).
    session_secret: SecretStr | None = None
    session_max_age_s: int = Field(default=12 * 3600, gt=0)
    # Browsers treat http://127.0.0.1 and http://localhost as secure, so Secure cookies work
    # there; turn this off only to serve the pages over plain http to another host.
    cookie_secure: bool = True
    # Failed sign-ins and unknown API keys, per client address: a burst, then this many a minute.
    auth_failures_per_minute: int = Field(default=10, ge=0)
    auth_failures_burst: int = Field(default=10, ge=1)
    # /readyz and writes answer 503 when the data directory's disk has less free space than this.
    min_free_disk_mb: int = Field(default=100, ge=0)
    # /docs, /redoc and /openapi.json: open in development; in production only with an API key
    # (Authorization: Bearer) or a signed-in page session, unless this is on.
    public_docs: bool = False

    @model_validator(mode="after")
    def _refuse_unsafe_outside_development(self) -> "ApiSettings":
        if self.environment is Environment.production:
            if self.database_url is None:
                raise ConfigError("COACH_DATABASE_URL must be set explicitly in production", source="settings")
            if self.rate_limit_per_minute == 0:
                raise ConfigError("COACH_RATE_LIMIT_PER_MINUTE=0 disables rate limiting; refused in production", source="settings")
            if self.auth_failures_per_minute == 0:
                raise ConfigError(
                    "COACH_AUTH_FAILURES_PER_MINUTE=0 lets anyone guess keys without limit; refused in production",
                    source="settings",
                )
            if self.session_secret is None or len(self.session_secret.get_secret_value()) < 32:
                raise ConfigError("COACH_SESSION_SECRET must be set to 32+ characters in production", source="settings")
            if not self.cookie_secure:
                raise ConfigError("COACH_COOKIE_SECURE=false sends the session cookie over plain http; refused in production", source="settings")
        return self

    def read_limits(self) -> ReadLimits:
        return ReadLimits(
            max_lines=self.max_lines, max_turns=self.max_turns, max_speakers=self.max_speakers,
            max_turn_chars=self.max_turn_chars, max_call_chars=self.max_call_chars,
        )

    def call_spec(self) -> "pipeline.CallSpec":
        """How this server reads and scores calls (`coach.pipeline`): the call-type gate's rubric for
        each call, the upload size limit and bounds. Built once per process that reads or scores."""
        from coach import pipeline  # spaCy and the rubric load only in processes that score or read

        return pipeline.resolve(max_bytes=self.max_upload_bytes, limits=self.read_limits(), sellers_on_call=False, gate=True)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'coach.db').resolve()}"


def settings_with(**options: object) -> ApiSettings:
    """Settings from COACH_* variables, with the command-line options a user gave (not None) winning."""
    return ApiSettings(**{name: value for name, value in options.items() if value is not None})  # type: ignore[arg-type]
