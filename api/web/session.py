"""The browser session: a signed cookie holding which API key signed in and a CSRF token.

Signing out revokes the session server-side (its id goes on a revocation list kept
until the cookie would have expired), so an old copy of the cookie opens nothing.

The cookie carries the key's row id, never the key itself: a stolen cookie is worth one
session (until it expires or the key is revoked), not a long-lived credential. Every
visitor gets a session, signed in or not, so the sign-in form is CSRF-protected too.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel, ConfigDict, ValidationError

from api.settings import ApiSettings

_SALT = "coach.web.session.v1"
_SECRET_FILE = "session-secret"


class WebSession(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    csrf: str
    key_id: int | None = None
    user_id: int | None = None
    # A signed-in session's id: signing out puts it on the revocation list (RevokedSession).
    sid: str | None = None

    @classmethod
    def anonymous(cls) -> WebSession:
        return cls(csrf=secrets.token_urlsafe(32))

    @classmethod
    def signed_in(cls, key_id: int, user_id: int) -> WebSession:
        # A fresh CSRF token at sign-in: a token seen before signing in is worth nothing after.
        return cls(csrf=secrets.token_urlsafe(32), key_id=key_id, user_id=user_id, sid=secrets.token_urlsafe(24))

    def csrf_matches(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf.encode(), (token or "").encode())


def cookie_name(settings: ApiSettings) -> str:
    # `__Host-` makes browsers refuse the cookie unless Secure, host-only and Path=/.
    return "__Host-coach_session" if settings.cookie_secure else "coach_session"


def session_secret(settings: ApiSettings) -> str:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    # Development only (production refuses a missing secret): one secret per data directory,
    # so sessions survive a restart.
    path = Path(settings.data_dir) / _SECRET_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secret)
        return secret
    except OSError:
        return secrets.token_urlsafe(48)


class SessionCodec:
    def __init__(self, settings: ApiSettings):
        self.max_age_s = settings.session_max_age_s
        self._serializer = URLSafeTimedSerializer(session_secret(settings), salt=_SALT)

    def dumps(self, session: WebSession) -> str:
        return self._serializer.dumps(session.model_dump(exclude_none=True))

    def loads(self, value: str | None) -> WebSession | None:
        """The session in a cookie, or None when it is missing, forged, expired or malformed."""
        if not value:
            return None
        try:
            return WebSession.model_validate(self._serializer.loads(value, max_age=self.max_age_s))
        except (BadSignature, ValidationError, TypeError, ValueError):
            return None
