"""JSON transcripts: Gong API exports and the product's canonical JSON.

Gong's `/v2/calls/transcript` gives `callTranscripts[].transcript[]` monologues
(`speakerId`, `sentences[]` with `start`/`end`, officially milliseconds);
names, e-mails and the Internal/External affiliation live in a `parties` list
(from `/v2/calls/extensive`) that exports put at the top level, inside the call
or under `calls[]`. We look for it in all those places.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from coach.errors import TranscriptError
from coach.readers.cues import Cue, SpeakerInfo, clean_text
from coach.transcript import Transcript


def _id(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Id = Annotated[str, BeforeValidator(_id)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class GongSentence(_Lenient):
    start: float | None = None
    end: float | None = None
    text: str = ""


class GongMonologue(_Lenient):
    speaker_id: Id | None = Field(default=None, validation_alias=AliasChoices("speakerId", "speaker_id", "speaker"))
    topic: str | None = None
    sentences: list[GongSentence] = Field(default_factory=list)


class GongCall(_Lenient):
    call_id: Id | None = Field(default=None, validation_alias=AliasChoices("callId", "call_id", "id"))
    transcript: list[GongMonologue]


class GongParty(_Lenient):
    id: Id | None = None
    speaker_id: Id | None = Field(default=None, validation_alias=AliasChoices("speakerId", "speaker_id"))
    name: str | None = None
    email: str | None = Field(default=None, validation_alias=AliasChoices("emailAddress", "email"))
    affiliation: str | None = None
    title: str | None = None
    company: Any = Field(default=None, validation_alias=AliasChoices("company", "companyName", "company_name"))
    # CRM objects Gong links to the party: [{"system", "objects": [{"objectType": "Account", "fields": [...]}]}].
    # Any shape is accepted here so an odd context never costs the party its name.
    context: Any = None

    def company_name(self) -> str | None:
        """The party's company: a `company` field, else the name of the CRM account in `context`."""
        if isinstance(self.company, str) and self.company.strip():
            return " ".join(self.company.split())[:200]
        for context in self.context if isinstance(self.context, list) else []:
            objects = context.get("objects") if isinstance(context, dict) else None
            for obj in objects if isinstance(objects, list) else []:
                if not isinstance(obj, dict) or str(obj.get("objectType", "")).lower() != "account":
                    continue
                fields = obj.get("fields")
                for field in fields if isinstance(fields, list) else []:
                    if not isinstance(field, dict) or str(field.get("name", "")).lower() not in _ACCOUNT_NAME_FIELDS:
                        continue
                    value = field.get("value")
                    if isinstance(value, str) and value.strip():
                        return " ".join(value.split())[:200]
        return None


_ACCOUNT_NAME_FIELDS = ("name", "accountname", "account_name")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


def load_json(text: str, *, source: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise TranscriptError(f"invalid JSON: {exc.msg} (column {exc.colno})", source=source, line=exc.lineno) from None
    except (ValueError, RecursionError) as exc:
        raise TranscriptError(f"invalid JSON: {exc}", source=source) from None


def looks_like_gong(obj: Any) -> bool:
    if isinstance(obj, dict):
        return "callTranscripts" in obj or isinstance(obj.get("transcript"), list)
    return isinstance(obj, list) and bool(obj) and isinstance(obj[0], dict) and "transcript" in obj[0]


def looks_like_canonical(obj: Any) -> bool:
    return isinstance(obj, dict) and "turns" in obj and "speakers" in obj


def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


def _validation_message(exc: ValidationError) -> str:
    err = exc.errors()[0]
    more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
    return f"{_where(tuple(err['loc']))}: {err['msg']}{more}"


def read_canonical(obj: Any, *, source: str) -> Transcript:
    try:
        return Transcript.model_validate(obj)
    except ValidationError as exc:
        raise TranscriptError(f"not a canonical transcript: {_validation_message(exc)}", source=source) from None


def _find_parties(obj: Any, depth: int = 0) -> Iterator[Any]:
    if depth > 4:
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "parties" and isinstance(value, list):
                yield from value
            elif isinstance(value, dict | list) and key not in ("transcript", "sentences"):
                yield from _find_parties(value, depth + 1)
    elif isinstance(obj, list):
        for item in obj[:50]:
            if isinstance(item, dict):
                yield from _find_parties(item, depth + 1)


def gong_title(obj: Any) -> str | None:
    """The call's title: `metaData.title` (`/v2/calls/extensive`) or a call's own `title` (`/v2/calls`)."""
    calls = obj.get("calls") if isinstance(obj, dict) else None
    candidates: list[Any] = [obj, *(calls[:1] if isinstance(calls, list) else [])]
    if isinstance(obj, dict) and isinstance(obj.get("callTranscripts"), list) and obj["callTranscripts"]:
        candidates.append(obj["callTranscripts"][0])
    for candidate in candidates:
        if not isinstance(candidate, dict):
            continue
        for holder in (candidate.get("metaData"), candidate):
            title = holder.get("title") if isinstance(holder, dict) else None
            if isinstance(title, str) and title.strip():
                return " ".join(title.split())[:300]
    return None


def _times_in_ms(calls: list[GongMonologue]) -> bool:
    """Gong documents milliseconds, but hand-made and converted exports use seconds.

    A spoken sentence lasts about 0.5-30 s: a median span over 100 means ms.
    Without end times, a call longer than 6 h in seconds is implausible.
    """
    spans = [s.end - s.start for m in calls for s in m.sentences if s.start is not None and s.end is not None]
    if spans:
        return statistics.median(spans) > 100
    starts = [s.start for m in calls for s in m.sentences if s.start is not None]
    return bool(starts) and max(starts) > 6 * 3600


def read_gong(obj: Any, *, source: str) -> tuple[list[Cue], dict[str, SpeakerInfo], list[str]]:
    warnings: list[str] = []
    if isinstance(obj, dict) and "callTranscripts" in obj:
        raw_calls, prefix = obj["callTranscripts"], "callTranscripts"
    elif isinstance(obj, list):
        raw_calls, prefix = obj, ""
    else:
        raw_calls, prefix = [obj], ""
    if not isinstance(raw_calls, list) or not raw_calls:
        raise TranscriptError("Gong JSON: callTranscripts is empty or not a list", source=source)
    try:
        call = GongCall.model_validate(raw_calls[0])
    except ValidationError as exc:
        where = f"{prefix}[0]" if prefix else ""
        loc = exc.errors()[0]["loc"]
        raise TranscriptError(
            f"Gong JSON: {where}{'.' if where else ''}{_where(tuple(loc))}: {exc.errors()[0]['msg']}", source=source
        ) from None
    if len(raw_calls) > 1:
        warnings.append(f"file holds {len(raw_calls)} calls; read only the first (callId {call.call_id})")

    info: dict[str, SpeakerInfo] = {}
    for raw in _find_parties(obj):
        try:
            party = GongParty.model_validate(raw)
        except ValidationError:
            continue
        key = party.speaker_id or party.id
        if key is None or key in info:
            continue
        name = (party.name or "").strip() or (party.email or "").split("@")[0] or None
        if name:
            info[key] = SpeakerInfo(name=name, email=party.email, affiliation=party.affiliation, company=party.company_name())
        if party.id and party.speaker_id and party.id not in info and name:
            info[party.id] = info[key]

    # Division (not * 0.001) keeps 460230 ms as exactly 460.23 s.
    divisor = 1000 if _times_in_ms(call.transcript) else 1
    cues: list[Cue] = []
    unnamed: list[str] = []
    for monologue in call.transcript:
        key = monologue.speaker_id
        if key is not None and key not in info:
            unnamed.append(key)
            info[key] = SpeakerInfo(name=f"Speaker {len(unnamed)}")
        name = info[key].name if key is not None else None
        for sentence in monologue.sentences:
            text = clean_text(sentence.text)
            if not text:
                continue
            start = sentence.start / divisor if sentence.start is not None else None
            end = sentence.end / divisor if sentence.end is not None else None
            cues.append(Cue(name, text, start, end, None, key))
    if unnamed:
        warnings.append(f"{len(unnamed)} speaker id(s) have no entry in 'parties'; named them Speaker 1..{len(unnamed)}")
    return cues, info, warnings
