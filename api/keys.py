"""API keys: a high-entropy token shown once; only its SHA-256 is stored.

A slow password hash buys nothing here: the token has 256 bits of entropy, so
a fast digest is both safe and cheap on every request.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.orm import Session

from api.db.models import ApiKey

PREFIX = "coach_"


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_key(session: Session, user_id: int) -> str:
    """Create a key for the user and return the token (the only time it exists in clear)."""
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(user_id=user_id, key_hash=hash_key(token), prefix=token[: len(PREFIX) + 4]))
    session.flush()
    return token
