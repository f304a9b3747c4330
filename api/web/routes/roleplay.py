"""Role-play in the browser: pick a scenario, talk to the simulated customer, finish to a scorecard.

Every step is the `/v1/roleplay/sessions` flow's own store function (`start`, `play`,
`finish`, `get_visible_session`, `public`), so access, locking and scoring are the API's.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.access import visible
from api.db.models import RoleplaySessionRow
from api.deps import DbDep, Principal, ReadSession
from api.routes.roleplay import finish
from api.schemas.roleplay import RoleplaySessionCreate, RoleplaySessionPublic, TurnPublic
from api.store import roleplay as store
from api.db import Database
from api.store.errors import Conflict, Forbidden, Invalid
from api.web.auth import Csrf, PageUser
from api.web.routing import PageRoute
from api.web.templating import render
from coach.roleplay.facilitator import FacilitatorNote
from coach.roleplay.scenario import load_scenarios
from coach.roleplay.commands import COMMANDS, hint, parse_command
from coach.roleplay.session import Actor, ScriptedActor, SessionState

router = APIRouter(route_class=PageRoute, include_in_schema=False)


class ScenarioCard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    motion: str
    trigger: str
    difficulty: str
    persona_name: str
    persona_title: str
    company: str
    brief: str


class SessionRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    title: str
    status: str
    rep_turns: int
    call_id: int | None
    created_at: dt.datetime


class SessionView(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    title: str
    persona_name: str
    persona_title: str
    company: str
    brief: str
    difficulty: str  # the level this session is played at
    rep_name: str
    turns: list[TurnPublic]
    notes: dict[int, list[FacilitatorNote]]
    active: bool
    rep_turns: int
    call_id: int | None


def _actor(request: Request) -> Actor:
    # The same actor the API uses (the app's LLM actor when configured, else the scripted lines).
    return getattr(request.app.state, "roleplay_actor", None) or ScriptedActor()


def _scenarios() -> list[ScenarioCard]:
    return [
        ScenarioCard(
            id=s.id, title=s.title, motion=s.motion.value, trigger=s.trigger.value, difficulty=s.persona.difficulty.value,
            persona_name=s.persona.name, persona_title=s.persona.title, company=s.persona.company,
            brief=" ".join(s.rep_brief.split()),
        )
        for s in load_scenarios().values()
    ]


def _my_sessions(session: Session, user: Principal) -> list[SessionRow]:
    rows = session.scalars(
        select(RoleplaySessionRow)
        .where(
            visible(user, RoleplaySessionRow.org_id, RoleplaySessionRow.team_id, RoleplaySessionRow.user_id),
            RoleplaySessionRow.user_id == user.user_id,
        )
        .order_by(RoleplaySessionRow.id.desc())
        .limit(50)
    )
    found = []
    for row in rows:
        public = store.public(row)
        found.append(
            SessionRow(id=public.id, title=public.title, status=public.status, call_id=public.call_id,
                       rep_turns=sum(1 for t in public.turns if t.role == "rep"), created_at=public.created_at)
        )
    return found


def _view(public: RoleplaySessionPublic, rep_name: str) -> SessionView:
    notes: dict[int, list[FacilitatorNote]] = {}
    for note in public.notes:
        notes.setdefault(note.turn, []).append(note)
    return SessionView(
        id=public.id, title=public.title, persona_name=public.persona.name, persona_title=public.persona.title,
        company=public.persona.company, brief=public.rep_brief, difficulty=public.difficulty.value,
        rep_name=rep_name, turns=list(public.turns),
        notes=notes, active=public.status == "active", rep_turns=sum(1 for t in public.turns if t.role == "rep"),
        call_id=public.call_id,
    )


@router.get("/roleplay")
def roleplay_home(request: Request, user: PageUser, session: ReadSession) -> Response:
    return render(
        request, "roleplay_list.html.j2",
        {"title": "Role-play", "scenarios": _scenarios(), "sessions": _my_sessions(session, user), "error": None},
    )


@router.post("/roleplay", dependencies=[Csrf])
def roleplay_start(
    request: Request, user: PageUser, db: DbDep, scenario: Annotated[str, Form()] = "", difficulty: Annotated[str, Form()] = ""
) -> Response:
    try:
        body = RoleplaySessionCreate(scenario=scenario, difficulty=difficulty or None)
    except ValidationError:
        with db.reader() as session:
            return render(
                request, "roleplay_list.html.j2",
                {"title": "Role-play", "scenarios": _scenarios(), "sessions": _my_sessions(session, user),
                 "error": "Pick a scenario."},
                status=422,
            )
    row = store.start(db, user, body)
    return RedirectResponse(f"/roleplay/{row.id}", status_code=303)


def _session_page(request: Request, session: Session, user: Principal, session_id: int, *,
                  error: str | None = None, notice: list[str] | None = None, status: int = 200) -> Response:
    public = store.public(store.get_visible_session(session, user, session_id))
    return render(
        request, "roleplay_session.html.j2",
        {"title": public.title, "view": _view(public, user.name if public.user_id == user.user_id else "Rep"),
         "error": error, "notice": notice, "is_owner": public.user_id == user.user_id},
        status=status,
    )


async def _command(request: Request, session_id: int, user: Principal, db: Database, line: str, command: str) -> Response:
    """`/help`, `/hint`, `/restart`, `/end` typed in the chat: done for the rep, never said to the customer."""
    if command == "end":
        return await roleplay_finish(request, session_id, user, db)
    with db.reader() as session:
        row = store.get_visible_session(session, user, session_id)
        state = SessionState.from_json(row.state)
        if command == "restart":
            if row.user_id != user.user_id:
                raise Forbidden("only the rep who started a role-play session may restart it")
            body = RoleplaySessionCreate(scenario=row.scenario, seed=state.seed, difficulty=state.level)
        elif command == "help":
            return _session_page(request, session, user, session_id,
                                 notice=[f"/{name}: {text}" for name, text in COMMANDS.items()])  # fmt: skip
        elif command == "hint":
            return _session_page(request, session, user, session_id, notice=[f"Hint: {hint(state)}"])
        else:
            return _session_page(request, session, user, session_id, status=422,
                                 error=f"Unknown command {line.split()[0]}; /help lists the commands.")  # fmt: skip
    restarted = await run_in_threadpool(store.start, db, user, body)
    return RedirectResponse(f"/roleplay/{restarted.id}", status_code=303)


@router.get("/roleplay/{session_id}")
def roleplay_session(request: Request, session_id: int, user: PageUser, session: ReadSession) -> Response:
    return _session_page(request, session, user, session_id)


@router.post("/roleplay/{session_id}/turns", dependencies=[Csrf])
async def roleplay_turn(
    request: Request, session_id: int, user: PageUser, db: DbDep, line: Annotated[str, Form()] = ""
) -> Response:
    if not line.strip():
        with db.reader() as session:
            return _session_page(request, session, user, session_id, error="Write what you would say.", status=422)
    command = parse_command(line)
    if command is not None:
        return await _command(request, session_id, user, db, line, command)
    try:
        played = await run_in_threadpool(store.play, db, user, session_id, line, _actor(request))
    except (Conflict, Invalid) as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        with db.reader() as session:
            return _session_page(request, session, user, session_id, error=exc.detail, status=status)
    return RedirectResponse(f"/roleplay/{session_id}#turn-{played.customer.index}", status_code=303)


@router.post("/roleplay/{session_id}/finish", dependencies=[Csrf])
async def roleplay_finish(request: Request, session_id: int, user: PageUser, db: DbDep) -> Response:
    try:
        card = await run_in_threadpool(finish, request, user, db, session_id)
    except Conflict as exc:
        with db.reader() as session:
            return _session_page(request, session, user, session_id, error=exc.detail, status=409)
    return RedirectResponse(f"/calls/{card.call_id}", status_code=303)
