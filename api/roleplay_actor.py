"""The role-play actor the API uses: scripted lines, or the LLM when `COACH_ROLEPLAY_LLM` is on.

The model (and the embedded server, when no endpoint is configured) lives as
long as the app. If it cannot start, role-play still works on scripted lines
and the reason is logged once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from api.settings import ApiSettings
from coach.roleplay.actor import open_actor
from coach.roleplay.session import Actor

log = logging.getLogger("coach.api")


@contextmanager
def roleplay_actor(settings: ApiSettings) -> Iterator[Actor]:
    """The app's actor, open as long as the app (the embedded model server with it)."""

    def unavailable(why: str) -> None:
        log.warning("role-play LLM unavailable, using scripted lines: %s", why)

    with ExitStack() as stack:
        yield open_actor(stack, use_llm=settings.roleplay_llm, unavailable=unavailable)
