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
from coach.roleplay.session import Actor, ScriptedActor

log = logging.getLogger("coach.api")


@contextmanager
def roleplay_actor(settings: ApiSettings) -> Iterator[Actor]:
    if not settings.roleplay_llm:
        yield ScriptedActor()
        return
    from coach.llm.client import open_chat_model
    from coach.llm.errors import LLMError
    from coach.llm.settings import load_settings
    from coach.roleplay.actor import LLMActor

    with ExitStack() as stack:
        try:
            model = stack.enter_context(open_chat_model(load_settings()))
        except LLMError as exc:
            log.warning("role-play LLM unavailable, using scripted lines: %s", exc.one_line())
            yield ScriptedActor()
            return
        yield LLMActor(model)
