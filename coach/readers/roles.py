"""Who is the seller: explicit mapping > metadata > a heuristic scorer with a confidence.

1. The user's word (`--seller NAME`, a roles file, an API field) is final. When
   the user names sellers, everyone else on the call is a customer.
2. Metadata: Gong's Internal/External affiliation; e-mail domains (a speaker
   sharing a seller's domain is a seller, a different company domain is a customer).
3. A heuristic over what each speaker said: vendor voice ("our platform",
   "we at X", "your usage", "your team"), who asks the discovery questions,
   who introduces whom ("I brought in Dan"), customer voice ("our controller",
   "your product", "let me think about it"). Which phrases mean which side is data:
   rubrics/role_heuristic.yaml (coach/readers/role_phrases.py validates it).

Below the threshold a role stays `unknown` and the transcript carries a warning
saying so; we never guess silently. When the user's labels or metadata
contradict a confident heuristic, a warning flags likely-inverted labels.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.callcues import load_cues
from coach.errors import ConfigError, TranscriptError
from coach.readers.role_phrases import load_role_phrases
from coach.transcript import Role, RoleSource, Speaker, Transcript

# Readers attribute cues that carry no speaker label to this placeholder; it is
# nobody in particular, so it never gets a role (the reader already warned).
UNKNOWN_SPEAKER_ID = "unknown_speaker"
UNKNOWN_SPEAKER_NAME = "Unknown speaker"

DEFAULT_THRESHOLD = 0.7
# A heuristic this sure of the opposite role makes us flag the user's/metadata label.
INVERSION_CONFIDENCE = 0.85
_SCALE = 2.5  # raw score -> probability: +2.5 points of evidence ~ 0.73
# Two speakers compared: a difference of 2.5 points ~ 0.73 (both sides' evidence counts, so the scale is wider).
_PAIR_SCALE = 2.5

_CAP = 3  # count each voice rule (and each kind of turn-taking evidence) at most this many times per speaker


class RoleSpec(BaseModel):
    """An explicit role mapping from the user (CLI flags or a roles file)."""

    model_config = ConfigDict(extra="forbid")

    roles: dict[str, Role] = Field(default_factory=dict)  # speaker name or id -> role
    seller_domains: list[str] = Field(default_factory=list)


def load_roles_file(path: str | Path) -> RoleSpec:
    """Read a YAML/JSON roles file.

    Two shapes: a flat mapping `name: seller|customer|unknown`, or one with
    `sellers:` / `customers:` lists and optional `seller_domains:` (so a
    labelled-fixture `<stem>.labels.yaml` works as a roles file; its other keys
    are ignored).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read roles file: {getattr(exc, 'strerror', None) or exc}", source=str(path)) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise ConfigError(
            f"roles file is not valid YAML/JSON: {getattr(exc, 'problem', None) or exc}",
            source=str(path),
            line=line + 1 if line is not None else getattr(exc, "lineno", None),
        ) from None
    if not isinstance(data, dict):
        raise ConfigError("roles file must be a mapping of speaker name to role", source=str(path))
    structured = {"sellers", "customers", "seller_domains"} & data.keys()
    try:
        if structured:
            roles: dict[str, str] = {}
            for key, role in (("sellers", "seller"), ("customers", "customer")):
                names = data.get(key) or []
                if not isinstance(names, list):
                    raise ConfigError(f"{key}: expected a list of names", source=str(path))
                roles.update({str(n): role for n in names})
            return RoleSpec(roles=roles, seller_domains=data.get("seller_domains") or [])
        return RoleSpec(roles={str(k): v for k, v in data.items()})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{where}: {err['msg']}", source=str(path)) from None


# -- heuristic ---------------------------------------------------------------------------


def _lower(text: str) -> str:
    low = text.lower()
    # Offsets must line up with `text`; a few characters (e.g. 'İ') change length when lowered.
    return low if len(low) == len(text) else "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _name_before(name_before: re.Pattern[str], text: str, start: int) -> str | None:
    match = name_before.search(text, max(0, start - 30), start)
    return match[1] if match else None


def _mentions(text: str, name: str) -> bool:
    i = text.find(name)
    while i != -1:
        end = i + len(name)
        if (i == 0 or not text[i - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return True
        i = text.find(name, i + 1)
    return False


@dataclass
class Evidence:
    """Heuristic read of one speaker (internal; reported through warnings)."""

    score: float = 0.0
    reasons: dict[str, float] = field(default_factory=dict)

    def add(self, points: float, reason: str) -> None:
        self.score += points
        self.reasons[reason] = self.reasons.get(reason, 0.0) + points

    @property
    def p_seller(self) -> float:
        return 1.0 / (1.0 + math.exp(-self.score / _SCALE))

    def top_reasons(self, n: int = 2) -> str:
        ranked = sorted(self.reasons.items(), key=lambda kv: -abs(kv[1]))[:n]
        return ", ".join(reason for reason, _ in ranked) or "no evidence"


def _first_names(speakers: Sequence[Speaker]) -> dict[str, str]:
    names: dict[str, list[str]] = {}
    for s in speakers:
        first = s.name.split()[0].casefold() if s.name.split() else ""
        if first:
            names.setdefault(first, []).append(s.id)
    return {k: v[0] for k, v in names.items() if len(v) == 1}


def score_speakers(transcript: Transcript) -> dict[str, Evidence]:
    """Seller-vs-customer evidence for every speaker, from what they said."""
    said: dict[str, list[str]] = {s.id: [] for s in transcript.speakers}
    for turn in transcript.turns:
        said.setdefault(turn.speaker, []).append(turn.text)
    evidence = {sid: Evidence() for sid in said}
    texts = {sid: "\n".join(parts) for sid, parts in said.items()}
    lows = {sid: _lower(text) for sid, text in texts.items()}
    cue_data = load_cues()
    phrases = load_role_phrases()
    intro = phrases.intro_rules
    sides, side_chars = cue_data.sides, cue_data.thresholds.side_scan_chars
    for sid, text in texts.items():
        for rule, hits in zip(phrases.voice_rules, phrases.voice_set.count(text, _CAP)):
            if hits:
                evidence[sid].add(rule.weight * hits, rule.reason)
        low, found_at = lows[sid][:side_chars], {}
        for cue in sides:
            hits = len(cue.hits(low, found_at))
            if hits:
                evidence[sid].add(cue.weight * hits, cue.reason)

    # Who introduces whom: evidence flows from the introducer to the named speaker.
    first = _first_names(transcript.speakers)
    boosts: list[tuple[str | None, str | None, float, str]] = []
    for sid, text in texts.items():
        low, at = lows[sid], {}
        for match in intro["seller_intro"].matches(text, low, at):
            target = first.get(match[1].casefold())
            boosts.append((target, sid, 2.5, "introduced as a colleague"))
            if target and target != sid:
                boosts.append((sid, None, 1.0, "introduces a colleague by name"))
        for match in intro["seller_title_before"].matches(text, low, at):
            boosts.append((first.get(match[1].casefold()), sid, 3.0, "introduced with a vendor title"))
        for match in intro["seller_title_after"].matches(text, low, at):
            name = _name_before(phrases.name_before_regex, text, match.start())
            boosts.append((first.get(name.casefold()) if name else None, sid, 3.0, "introduced with a vendor title"))
        for match in intro["colleague_after"].matches(text, low, at):
            name = _name_before(phrases.name_before_regex, text, match.start())
            boosts.append((first.get(name.casefold()) if name else None, sid, 2.5, "introduced as a colleague"))
        if evidence[sid].score < 0:
            for match in intro["customer_title_after"].matches(text, low, at):
                boosts.append((first.get(match[1].casefold()), sid, -2.0, "introduced by a customer as a colleague"))
            for match in intro["customer_title_before"].matches(text, low, at):
                name = _name_before(phrases.name_before_regex, text, match.start())
                boosts.append((first.get(name.casefold()) if name else None, sid, -2.0,
                               "introduced by a customer as a colleague"))
    colleagues: set[tuple[str, str]] = set()  # (introducer, introduced) on the seller side
    for target, introducer, points, reason in boosts:  # introducer None: evidence about the speaker itself
        if target and target != introducer:
            evidence[target].add(points, reason)
            if points > 0:
                colleagues.add((introducer, target))

    # "Parker from Tallyhub": a name with a company says little about the side, since a
    # buyer names their own company the same way ("this is Jessica from AutoTest Pro");
    # only a tie-breaker. Who speaks first says nothing: buyers open inbound calls.
    for s in transcript.speakers:
        own = s.name.split()[0] if s.name.split() else ""
        if own and f"{own} from " in texts.get(s.id, ""):
            if re.search(rf"\b{re.escape(own)} from (?-i:[A-Z])", texts[s.id]):
                evidence[s.id].add(0.5, "introduces themself by company ('Parker from Tallyhub')")

    # Turn-taking: whoever answers a seller-sounding speaker's questions, or is
    # addressed by name by one, is on the customer side; a speaker greeted or
    # thanked by name by a customer-sounding speaker is on the seller side.
    answered: dict[str, int] = {}
    replied: dict[str, int] = {}
    addressed: dict[str, int] = {}
    greeted: dict[str, int] = {}
    turns = transcript.turns
    names = [(name, sid) for name, sid in ((s.name.split()[0], s.id) for s in transcript.speakers if s.name.split())
             if name.casefold() in first]
    for i, turn in enumerate(turns):
        score = evidence[turn.speaker].score
        if score <= -1.5:
            head = turn.text[:40]
            for name, sid in names:
                if name in head and sid != turn.speaker and _mentions(head, name) and phrases.greeting_regex.match(head):
                    greeted[sid] = greeted.get(sid, 0) + 1
            continue
        if score < 1.5:
            continue
        nxt = turns[i + 1].speaker if i + 1 < len(turns) else None
        if nxt and nxt != turn.speaker and "?" in turn.text:
            low = _lower(turn.text)
            if phrases.discovery.count(turn.text, low, 1):
                answered[nxt] = answered.get(nxt, 0) + 1
            elif phrases.addressed_rule.count(turn.text, low, 1):
                replied[nxt] = replied.get(nxt, 0) + 1
        for name, sid in names:
            if name in turn.text and sid != turn.speaker and (turn.speaker, sid) not in colleagues \
                    and _mentions(turn.text, name):
                addressed[sid] = addressed.get(sid, 0) + 1
    for target, n in answered.items():
        evidence[target].add(-0.8 * min(n, _CAP), "answers the discovery questions")
    for target, n in replied.items():
        evidence[target].add(-0.6 * min(n, _CAP), "answers the seller's questions")
    for target, n in addressed.items():
        evidence[target].add(-0.6 * min(n, 2), "addressed by name by a seller")
    for target, n in greeted.items():
        evidence[target].add(0.7 * min(n, 2), "greeted or thanked by name by a customer")

    # Calls have two sides: once someone clearly sells, a speaker with no seller
    # voice at all leans customer (not enough on its own to decide). And a call
    # with a clear customer but no clear seller has its seller among the rest:
    # the one clear front-runner, if there is one, leans further that way.
    leaning = sorted(evidence.values(), key=lambda ev: -ev.score)
    if not any(ev.p_seller >= DEFAULT_THRESHOLD for ev in leaning) and any(
        1 - ev.p_seller >= DEFAULT_THRESHOLD for ev in leaning
    ) and leaning[0].score > 0.5 and (len(leaning) == 1 or leaning[1].score < 0):
        leaning[0].add(1.0, "the only seller voice on a call with a clear customer")
    # Checked after the front-runner's lean, which can make the seller clear.
    if any(ev.p_seller >= DEFAULT_THRESHOLD for ev in leaning):
        for ev in leaning:
            if ev.score < 0.5:
                ev.add(-1.0, "no seller voice on a call with a clear seller")
    return evidence


# -- assignment ----------------------------------------------------------------------------

_SINGLE = "\0single"  # marker key in `_heuristic_p`'s answer: the call has one speaker
# With one speaker nobody can be confidently the seller, whatever they say.
SINGLE_SPEAKER_CAP = 0.6


def _heuristic_p(transcript: Transcript, evidence: Mapping[str, Evidence], decided: set[str]) -> dict[str, float]:
    """P(seller) per speaker from the text.

    Two speakers and nothing decided: the two are compared with each other
    (each call has a seller side and a buyer side, so what matters is who sounds
    more like the vendor, not how loud each sounds alone). One speaker: capped
    near a coin toss. Otherwise each speaker's own evidence.
    """
    talking = [s.id for s in transcript.speakers if s.id != UNKNOWN_SPEAKER_ID]
    p = {sid: ev.p_seller for sid, ev in evidence.items()}
    if len(talking) == 1:
        only = talking[0]
        p[only] = min(max(p[only], 1 - SINGLE_SPEAKER_CAP), SINGLE_SPEAKER_CAP)
        p[_SINGLE] = 1.0
    elif len(talking) == 2 and not decided & set(talking):
        a, b = talking
        diff = evidence[a].score - evidence[b].score
        p[a] = 1.0 / (1.0 + math.exp(-diff / _PAIR_SCALE))
        p[b] = 1.0 - p[a]
    return p


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def _match_speaker(name: str, speakers: Sequence[Speaker]) -> Speaker | None:
    wanted = _norm(name)
    for s in speakers:
        if _norm(s.name) == wanted or s.id.casefold() == wanted:
            return s
    # "Priya" for "Priya Shah" when that first name is unique on the call.
    partial = [s for s in speakers if _norm(s.name).split()[:len(wanted.split())] == wanted.split()]
    return partial[0] if len(partial) == 1 else None


def require_named_sellers(transcript: Transcript, sellers: Sequence[str]) -> None:
    """Every `--seller` name must be someone on the call: a typo would score nobody's turns as the rep's."""
    missing = [name for name in sellers if _match_speaker(name, transcript.speakers) is None]
    if missing:
        present = ", ".join(repr(s.name) for s in transcript.speakers if s.id != UNKNOWN_SPEAKER_ID) or "none"
        names = ", ".join(repr(n) for n in missing)
        raise TranscriptError(
            f"--seller {names} matches no speaker in this call (speakers: {present})",
            source=transcript.source or transcript.id or "transcript",
        )


def _set(speaker: Speaker, role: Role, confidence: float, source: RoleSource) -> None:
    speaker.role = role
    speaker.role_confidence = round(confidence, 3)
    speaker.role_source = source


def _domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().casefold() or None


def assign_roles(
    transcript: Transcript,
    *,
    sellers: Sequence[str] = (),
    roles: Mapping[str, Role | str] | None = None,
    seller_domains: Sequence[str] = (),
    threshold: float = DEFAULT_THRESHOLD,
) -> Transcript:
    """Set every speaker's role, confidence and source in place; returns the transcript."""
    speakers = transcript.speakers
    evidence = score_speakers(transcript)
    warnings = transcript.warnings
    decided: set[str] = set()

    # 1. the user's word
    explicit: dict[str, Role] = {name: Role.seller for name in sellers}
    explicit.update({name: Role(role) for name, role in (roles or {}).items()})
    for name, role in explicit.items():
        speaker = _match_speaker(name, speakers)
        if speaker is None:
            warnings.append(f"role mapping names '{name}', who does not speak in this call")
            continue
        _set(speaker, role, 1.0, RoleSource.user)
        decided.add(speaker.id)
    if any(s.role is Role.seller for s in speakers if s.id in decided):
        # Naming the sellers says everyone else is on the customer side.
        for s in speakers:
            if s.id not in decided and s.id != UNKNOWN_SPEAKER_ID:
                _set(s, Role.customer, 1.0, RoleSource.user)
                decided.add(s.id)

    # 2. metadata: affiliation, then e-mail domains
    for s in speakers:
        if s.id in decided or not s.affiliation:
            continue
        affiliation = s.affiliation.casefold()
        if affiliation in ("internal", "vendor", "seller"):
            _set(s, Role.seller, 0.95, RoleSource.metadata)
            decided.add(s.id)
        elif affiliation in ("external", "customer", "buyer"):
            _set(s, Role.customer, 0.95, RoleSource.metadata)
            decided.add(s.id)
    seller_doms = {d.casefold().lstrip("@") for d in seller_domains}
    seller_doms |= {_domain(s.email) for s in speakers if s.id in decided and s.role is Role.seller} - {None}
    customer_doms = {_domain(s.email) for s in speakers if s.id in decided and s.role is Role.customer} - {None}
    free_mail = load_role_phrases().free_mail
    seller_doms -= free_mail
    for s in speakers:
        dom = _domain(s.email)
        if s.id in decided or dom is None:
            continue
        if dom in seller_doms:
            _set(s, Role.seller, 0.9, RoleSource.metadata)
        elif dom in customer_doms or (seller_doms and dom not in free_mail):
            _set(s, Role.customer, 0.9 if dom in customer_doms else 0.8, RoleSource.metadata)
        else:
            continue
        decided.add(s.id)

    # 3. heuristic
    p_seller = _heuristic_p(transcript, evidence, decided)
    for s in speakers:
        if s.id in decided or s.id == UNKNOWN_SPEAKER_ID:
            continue
        ev = evidence[s.id]
        p = p_seller[s.id]
        if p >= threshold:
            _set(s, Role.seller, p, RoleSource.heuristic)
        elif 1 - p >= threshold:
            _set(s, Role.customer, 1 - p, RoleSource.heuristic)
        else:
            lean = Role.seller if p >= 0.5 else Role.customer
            # The lean and its strength stay in the output: a reader can still see which way it went.
            _set(s, Role.unknown, max(p, 1 - p), RoleSource.none)
            s.role_guess = lean
            why = "only one speaker: a call needs two sides" if p_seller.get(_SINGLE) else ev.top_reasons()
            warnings.append(
                f"role of '{s.name}' is unknown: the text leans {lean.value} ({max(p, 1 - p):.2f}, "
                f"{why}), below the {threshold:.2f} threshold; name the sellers with --seller or --roles"
            )

    # 4. labels the text contradicts
    contradicted = []
    for s in speakers:
        if s.role_source not in (RoleSource.user, RoleSource.metadata) or s.role is Role.unknown:
            continue
        p = evidence[s.id].p_seller
        opposite = 1 - p if s.role is Role.seller else p
        if opposite >= INVERSION_CONFIDENCE:
            contradicted.append(s)
            other = "customer" if s.role is Role.seller else "seller"
            warnings.append(
                f"'{s.name}' is labelled {s.role.value} ({s.role_source.value}) but talks like a {other} "
                f"({opposite:.2f}: {evidence[s.id].top_reasons()}); check the labels"
            )
    labelled = [s for s in speakers if s.role_source in (RoleSource.user, RoleSource.metadata) and s.role is not Role.unknown]
    if len(labelled) >= 2 and len(contradicted) == len(labelled):
        warnings.append("seller and customer labels look inverted: every labelled speaker talks like the other side")
    if speakers and not any(s.role is Role.seller for s in speakers):
        warnings.append("no seller identified; seller-side checks cannot run until one is named (--seller NAME)")
    return transcript
