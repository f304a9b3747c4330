"""One way from a call to its scorecard, for every front end.

    spec = resolve(rubric=path, sellers=["Dan Ortiz"], roles_file=path)   # once per run
    transcript = read(spec, path)                  # or read_bytes(spec, data, name=...)
    card = score(spec, transcript)                 # the rubric's checks, or a configured scorer
    card = grade(spec, transcript, card, grader)   # the LLM's part, when a model grades

`coach score` (one call, or a folder's on worker processes: `coach.batch`), `coach eval`,
`coach rubric try`, the API's upload reader and scoring jobs, and role-play finish all go
through these steps; none reads, scores or grades a call its own way.

What a run decides once is the `CallSpec`: the rubric (loaded and validated), the roles file
(parsed), the sellers, the format, the size limits, the call type and, for a role-play, what
was practised. A bad rubric or roles file fails before the first call is read. Between the
steps travel the validated models themselves (`Transcript`, `Scorecard`), never their JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from coach import readers
from coach.readers import DEFAULT_MAX_BYTES, ReadLimits
from coach.readers.roles import RoleSpec, load_roles_file, require_named_sellers
from coach.rubric.schema import Rubric, load_rubric
from coach.scorecard import CallType, PracticeInfo, Scorecard
from coach.transcript import Transcript

if TYPE_CHECKING:
    from coach.llm.grader import Grader

# A scorer other than the rubric's own checks (`COACH_SCORER`): it brings its own rubric.
Scorer = Callable[[Transcript], Scorecard]


class CallSpec(BaseModel):
    """How the calls of one run are read, scored and graded, decided before the first call."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rubric: Rubric  # the user's, the caller's, or (with the gate) the bundled default
    # Where the rubric comes from: `gate` lets the call-type gate pick a bundled rubric per call
    # (coach score, uploads); `user` is --rubric, named on the card; `run` is the caller's own
    # (eval against labels, rubric try, role-play), scored as given.
    rubric_from: Literal["gate", "user", "run"] = "run"
    sellers: tuple[str, ...] = ()  # names on the vendor side (`--seller`, an upload's sellers)
    # Each of `sellers` must be on the call: on the command line a typo would score nobody's
    # turns as the rep's. An upload's sellers may be a team's roster, of whom some were not there.
    sellers_on_call: bool = True
    roles: RoleSpec = Field(default_factory=RoleSpec)  # the parsed roles file
    format: str | None = None  # None: detected from each file's content
    # The call's title when the file names none: an upload's ("Acme <> Signalroom"), which the
    # scorer reads the parties from.
    title: str | None = None
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, gt=0)
    limits: ReadLimits = Field(default_factory=ReadLimits)
    call_type: CallType | None = None  # the user's word (`--call-type`); None lets the classifier decide
    practice: PracticeInfo | None = None  # a role-play: what its scorecard says was practised

    def for_call(
        self, *, sellers: Sequence[str], format: str | None = None, call_type: CallType | None = None,
        title: str | None = None,
    ) -> CallSpec:
        """The same run for one call whose sellers (format, call type, title) are its own: a labelled
        call, an upload, a rubric's example."""
        return self.model_copy(update={
            "sellers": tuple(sellers), "format": format or self.format, "call_type": call_type or self.call_type,
            "title": title or self.title,
        })  # fmt: skip


def resolve(
    *,
    rubric: Rubric | str | Path | None = None,
    sellers: Sequence[str] = (),
    roles_file: str | Path | None = None,
    format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: ReadLimits | None = None,
    call_type: CallType | None = None,
    practice: PracticeInfo | None = None,
    sellers_on_call: bool = True,
    gate: bool = False,
) -> CallSpec:
    """The run's spec; a rubric or roles file that does not load, or a format no reader has, raises
    its one-line error here. `rubric` None is the bundled rubric, or with `gate` the call-type gate's
    pick per call (every rubric it may pick is loaded now); a loaded `Rubric` is taken as is, a path
    is the user's `--rubric`."""
    if gate and rubric is None:
        from coach.rubric.choice import bundled_by_call_type

        bundled_by_call_type()  # a broken gate map or bundled rubric fails before the first call
    return CallSpec(
        rubric=rubric if isinstance(rubric, Rubric) else load_rubric(rubric),
        rubric_from="gate" if gate and rubric is None else "user" if gate or isinstance(rubric, (str, Path)) else "run",
        sellers=tuple(sellers),
        roles=load_roles_file(roles_file) if roles_file is not None else RoleSpec(),
        format=readers.normalise_format(format, "--format"),
        max_bytes=max_bytes,
        limits=limits or ReadLimits(),
        call_type=call_type,
        practice=practice,
        sellers_on_call=sellers_on_call,
    )


def read(spec: CallSpec, path: str | Path) -> Transcript:
    """The call at `path` with its roles assigned; `TranscriptError` (one line naming the file) otherwise."""
    transcript = readers.read_path(
        path, format=spec.format, sellers=spec.sellers, roles=spec.roles.roles, seller_domains=spec.roles.seller_domains,
        max_bytes=spec.max_bytes, limits=spec.limits,
    )  # fmt: skip
    return _checked(spec, transcript)


def read_bytes(spec: CallSpec, data: bytes, *, name: str) -> Transcript:
    """`read` for bytes already in memory (an upload); `name` is the file name errors cite."""
    transcript = readers.read_bytes(
        data, name=name, format=spec.format, sellers=spec.sellers, roles=spec.roles.roles,
        seller_domains=spec.roles.seller_domains, max_bytes=spec.max_bytes, limits=spec.limits,
    )  # fmt: skip
    return _checked(spec, transcript)


def adopt(spec: CallSpec, transcript: Transcript, *, name: str) -> Transcript:
    """`read` for a transcript already validated as our canonical model (an API JSON body): it is
    checked against the bounds and given the spec's roles, never written out and parsed again."""
    transcript = readers.adopt(
        transcript, name=name, sellers=spec.sellers, roles=spec.roles.roles, seller_domains=spec.roles.seller_domains,
        limits=spec.limits,
    )  # fmt: skip
    return _checked(spec, transcript)


def _checked(spec: CallSpec, transcript: Transcript) -> Transcript:
    if spec.sellers_on_call:
        require_named_sellers(transcript, spec.sellers)
    if spec.title and transcript.title is None:
        transcript.title = spec.title
    return transcript


def score(spec: CallSpec, transcript: Transcript, scorer: Scorer | None = None) -> Scorecard:
    """The heuristic scorecard: the spec's rubric and call type, or `scorer`'s (`COACH_SCORER`)."""
    if scorer is None:
        # Imported here: the upload readers' processes use this module to read, and reading
        # needs neither spaCy nor the checks.
        from coach.scoring import score_call, score_transcript

        if spec.rubric_from == "run":
            card = score_transcript(transcript, spec.rubric, call_type=spec.call_type)
        else:
            card = score_call(transcript, spec.rubric if spec.rubric_from == "user" else None, call_type=spec.call_type)
    else:
        card = scorer(transcript)
    if spec.practice is not None:
        card = card.model_copy(update={"practice": spec.practice})
    return card


def grade(spec: CallSpec, transcript: Transcript, card: Scorecard, grader: Grader | None) -> Scorecard:
    """The scorecard with the LLM's part merged in (or the reason it has none); as is without a grader.
    A grader never raises for a model's failure: the card says `llm_status: failed: ...`."""
    if grader is None:
        return card
    return grader.grade(transcript, card, rubric_of(spec, card))


def rubric_of(spec: CallSpec, card: Scorecard) -> Rubric:
    """The rubric that scored `card`: with the gate, the bundled one the card names. By id alone,
    as the API's overrides find it (api.store.effective): a card scored before a rubric's version
    bump is graded with that rubric's current items, not with the default rubric's."""
    if spec.rubric_from == "gate":
        from coach.rubric.choice import bundled_rubric

        return bundled_rubric(card.rubric.id) or spec.rubric
    return spec.rubric


def read_and_score(spec: CallSpec, path: str | Path, grader: Grader | None = None) -> tuple[Transcript, Scorecard]:
    """`read`, `score` and `grade` one call file: what the command-line front ends do per call."""
    transcript = read(spec, path)
    return transcript, grade(spec, transcript, score(spec, transcript), grader)


__all__ = ["CallSpec", "Scorer", "adopt", "grade", "read", "read_and_score", "read_bytes", "resolve", "rubric_of", "score"]
