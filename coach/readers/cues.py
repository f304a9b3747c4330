"""From cues (what a format gives us) to turns (what the product reasons about).

Every reader yields `Cue`s in file order: a speaker label (or None), the text
and the times when known. `build_transcript` merges consecutive cues of one
speaker into a turn, keeping each cue as a `Sentence` so evidence can still
point at the exact moment something was said.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from coach.errors import TranscriptError
from coach.readers.roles import UNKNOWN_SPEAKER_ID, UNKNOWN_SPEAKER_NAME
from coach.transcript import Speaker, Transcript


# Cues that start this much earlier than the previous one mean the file is out of
# order (some Teams exports), not ordinary crosstalk.
_OUT_OF_ORDER_S = 1.0
_MAX_TIME_S = 7 * 24 * 3600  # also rejects NaN, which fails every comparison
_SLUG = re.compile(r"[^\w]+")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.]*>")


@dataclass(slots=True)
class Cue:
    """A speaker-attributed piece of text as the source format gave it.

    A slotted dataclass rather than a pydantic model: a call has thousands, they
    never leave the readers, and `build_transcript` validates the result once.
    """

    speaker: str | None  # display name, None when the cue carries no label
    text: str
    start: float | None = None
    end: float | None = None
    line: int | None = None
    speaker_key: str | None = None  # source's own speaker id (Gong speakerId) when it has one


@dataclass(slots=True)
class SpeakerInfo:
    """Metadata a format knows about a speaker beyond its name (Gong parties)."""

    name: str
    email: str | None = None
    affiliation: str | None = None
    company: str | None = None


def clean_text(text: str) -> str:
    """Strip markup (VTT/SRT tags), decode entities, collapse whitespace."""
    if "<" in text:
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    # Most lines are already single-spaced: every whitespace character but " " is unprintable,
    # so a printable text without doubled or outer spaces is its own whitespace-collapsed form.
    if text.isprintable() and "  " not in text and not text.startswith(" ") and not text.endswith(" "):
        return text
    return " ".join(text.split())


def slug(name: str) -> str:
    return _SLUG.sub("_", name.casefold()).strip("_") or "speaker"


def _check_time(value: float | None, source: str, line: int | None) -> float | None:
    if value is None or 0 <= value <= _MAX_TIME_S:
        return value
    raise TranscriptError(f"time {value!r} is not a plausible offset in seconds", source=source, line=line)


def build_transcript(
    cues: Iterable[Cue],
    *,
    format: str,
    source: str,
    speaker_info: dict[str, SpeakerInfo] | None = None,
    warnings: list[str] | None = None,
) -> Transcript:
    """Merge cues into turns; ids are the source's speaker ids when it has them, else slugs of names."""
    warnings = list(warnings or [])
    cue_list = [c for c in cues if c.text]
    if not cue_list:
        raise TranscriptError("no speech found: the file has no non-empty cues or lines", source=source)

    starts = [c.start for c in cue_list if c.start is not None]
    if starts and any(b < a - _OUT_OF_ORDER_S for a, b in zip(starts, starts[1:])):
        # Stable: cues without times keep their place relative to their neighbours' order.
        order = {id(c): i for i, c in enumerate(cue_list)}
        last = 0.0
        keyed = []
        for c in cue_list:
            last = c.start if c.start is not None else last
            keyed.append((last, order[id(c)], c))
        cue_list = [c for _, _, c in sorted(keyed, key=lambda k: (k[0], k[1]))]
        warnings.append("cues were out of time order; sorted them by start time")

    speakers: dict[str, Speaker] = {}
    ids_by_key: dict[str, str] = {}
    keys: dict[str, str] = {}  # label as written -> normalised key ("Priya  Shah" == "priya shah")
    # Turns are accumulated as plain lists and validated once at the end: pydantic
    # attribute assignment per cue would cost more than the parsing itself.
    pending: list[tuple[str, list[str], list[dict], float | None, float | None]] = []
    unlabelled = 0
    duration = None
    current_id = None
    texts: list[str] = []
    sentences: list[dict] = []
    t_start = t_end = None

    for cue in cue_list:
        start, end = cue.start, cue.end
        if (start is not None and not 0 <= start <= _MAX_TIME_S) or (end is not None and not 0 <= end <= _MAX_TIME_S):
            _check_time(start, source, cue.line)  # raises for whichever is out of range, start first
            _check_time(end, source, cue.line)
        if start is not None and end is not None and end < start:
            end = start
        label = cue.speaker_key or cue.speaker
        key = keys.get(label) if label is not None else None
        if key is None and label is not None:
            key = keys[label] = cue.speaker_key or " ".join(label.split()).casefold()
        if key is None:
            unlabelled += 1
            sid = UNKNOWN_SPEAKER_ID
            if sid not in speakers:
                speakers[sid] = Speaker(id=sid, name=UNKNOWN_SPEAKER_NAME)
        else:
            sid = ids_by_key.get(key)
            if sid is None:
                info = (speaker_info or {}).get(key)
                name = info.name if info else (cue.speaker or key)
                # A source's own id (Gong speakerId) stays the id so users can join back to their system.
                sid = base = cue.speaker_key or slug(name)
                n = 2
                while sid in speakers:
                    sid = f"{base}_{n}"
                    n += 1
                ids_by_key[key] = sid
                speakers[sid] = Speaker(
                    id=sid,
                    name=name,
                    email=info.email if info else None,
                    affiliation=info.affiliation if info else None,
                    company=info.company if info else None,
                )
        last_time = end if end is not None else start
        if last_time is not None and (duration is None or last_time > duration):
            duration = last_time
        sentence = {"text": cue.text, "start_s": start, "end_s": end}
        if sid == current_id:
            sentences.append(sentence)
            texts.append(cue.text)
            if t_start is None:
                t_start = start
            if end is not None and (t_end is None or end > t_end):
                t_end = end
            continue
        if current_id is not None:
            pending.append((current_id, texts, sentences, t_start, t_end))
        current_id, texts, sentences, t_start, t_end = sid, [cue.text], [sentence], start, end
    if current_id is not None:
        pending.append((current_id, texts, sentences, t_start, t_end))
    turns = [
        {"index": i, "speaker": sid, "text": " ".join(parts), "start_s": t0, "end_s": t1, "sentences": sents}
        for i, (sid, parts, sents, t0, t1) in enumerate(pending)
    ]

    if unlabelled:
        if len(speakers) == 1:
            warnings.append("no speaker labels found: every cue is attributed to 'Unknown speaker'")
        else:
            warnings.append(f"{unlabelled} cue(s) had no speaker label; attributed to 'Unknown speaker'")
    # One validation of the whole document is several times faster than one per object.
    return Transcript.model_validate(
        {
            "source": source,
            "format": format,
            "duration_s": duration,
            "speakers": list(speakers.values()),
            "turns": turns,
            "warnings": warnings,
        }
    )
