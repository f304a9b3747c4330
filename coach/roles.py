"""Who is the seller: explicit mapping > metadata > a heuristic scorer with a confidence.

1. The user's word (`--seller NAME`, a roles file, an API field) is final. When
   the user names sellers, everyone else on the call is a customer.
2. Metadata: Gong's Internal/External affiliation; e-mail domains (a speaker
   sharing a seller's domain is a seller, a different company domain is a customer).
3. A heuristic over what each speaker said: vendor voice ("our platform",
   "we at X", "your usage", "your team"), who asks the discovery questions,
   who introduces whom ("I brought in Dan"), customer voice ("our controller",
   "your product", "let me think about it").

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

from coach.errors import ConfigError
from coach.transcript import Role, RoleSource, Speaker, Transcript

DEFAULT_THRESHOLD = 0.7
# A heuristic this sure of the opposite role makes us flag the user's/metadata label.
INVERSION_CONFIDENCE = 0.85
_SCALE = 2.5  # raw score -> probability: +2.5 points of evidence ~ 0.73

_FREEMAIL = frozenset({"gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "proton.me"})


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
        raise ConfigError(f"cannot read roles file: {exc}", source=str(path)) from None
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


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_YOUR_THINGS = _rx(r"\byour (?:usage|account|plan|seats?|licen[cs]es?|licensed|admins?|instance|workspace|rollout|users|renewal|subscription|tier|contract|adoption|team|teams|analysts|controller|close|org|organi[sz]ation|process|workflow|data|tickets?|current setup|stack)\b")
_DISCOVERY = _rx(r"\bwalk me through\b|\bhow does your team\b|\bhow do(?:es)? (?:your|you) (?:team )?(?:handle|manage|run|do)\b|\bwhat (?:has|did|does) (?:that|it|this) cost\b|\bwho on your team\b|\bif you could fix one thing\b|\bwhere (?:in that|do you) (?:cycle )?(?:do you )?lose\b")

# (pattern, weight, reason); positive = seller evidence, negative = customer evidence.
_VOICE: list[tuple[re.Pattern[str], float, str]] = [
    (_rx(r"\bwe at [A-Z]\w+|\bhere at [A-Z]\w+|\bI'?m (?:the |your )?(?:\w+ )?(?:CSM|AE|account (?:executive|manager)|customer success(?: manager)?|solutions? (?:engineer|consultant|architect))\b"), 3.0, "vendor self-introduction"),
    (_rx(r"\bour (?:platform|product|products|module|modules|solution|roadmap|pricing|integration|implementation team|support team|engineers|release|feature|tool|app|analytics product|reconciliation module)\b"), 1.5, "vendor voice ('our platform')"),
    (_rx(r"\b(?:teams|customers|companies|accounts) (?:like yours|at your (?:stage|size)|your size|of your size)\b"), 2.0, "compares the customer with other customers"),
    (_YOUR_THINGS, 0.8, "talks about 'your team/your usage'"),
    (_rx(r"\b(?:I|we) (?:noticed|saw|were looking at|pulled)\b|\blooking at your\b|\bin your (?:usage|account|dashboard)\b"), 1.5, "reports the customer's signal"),
    (_DISCOVERY, 2.0, "asks discovery questions"),
    (_rx(r"\bI'?ll (?:send|own|set up|book|put together|share) (?:the|a|an|over|you)\b|\bI'?ll get (?:that|the invite)\b"), 1.0, "owns the follow-up"),
    (_rx(r"\bthanks for (?:making|taking) (?:the )?time\b|\bthanks for having us\b"), 1.0, "hosts the call"),
    (_rx(r"\b(?:I've |I have )?(?:brought (?:in|along)|invited|asked \w+ to join|looped in)\b|\bmy colleague\b|\bjoining us\b"), 1.0, "brings a colleague in"),
    (_rx(r"\b(?:order form|proposal|quote|discount|upgrade|add(?:ing)? (?:the )?(?:seats|module)|pilot|diagnostic|no fit|not a fit|move on)\b"), 0.7, "commercial vocabulary"),
    # customer voice
    (_rx(r"\byour (?:platform|product|tool|software|app|system|pricing|support|sales (?:team|rep)|company|module|integration|dashboard|reporting|roadmap)\b"), -2.0, "talks about the vendor's product ('your platform')"),
    (_rx(r"\bour (?:controller|CFO|CEO|CTO|CIO|VP|director|head|board|budget|contract|renewal|finance|procurement|legal|security|IT|ops|analysts|close|ERP|fiscal|headcount|AP|accounts|warehouse|spend|books|audit|auditors)\b"), -1.2, "talks about 'our controller/our budget'"),
    (_rx(r"\b(?:we|I)(?:'re| are| have been|'ve been) (?:using|paying|running|stuck|drowning|struggling)\b|\bwe (?:use|still|spend|lose|pull|end up|track|rely on)\b|\bkills? us\b|\bkilling us\b"), -1.2, "describes their own operation"),
    (_rx(r"\b(?:let me|I need to|I'd need to|I'll have to|I have to) (?:think|check|run (?:it|this) by|talk to|loop in|get back)\b|\bsend me (?:some |more )?(?:info|information|a deck|details|something)\b|\bnot sure (?:yet|we)\b|\bmaybe next quarter\b"), -2.0, "customer hedging ('let me think')"),
    (_rx(r"\bhow much (?:does|would|is)\b|\bwhat (?:would|does) (?:it|that|this) cost us\b|\bwhat's the price\b|\byou guys\b|\byour (?:folks|people)\b"), -1.5, "asks the vendor about price/product"),
    (_rx(r"\b(?:our|my) (?:team|analysts|people|group|department)\b"), -0.5, "speaks for their own team"),
]
_CAP = 3  # count each pattern at most this many times per speaker

_YOU = re.compile(r"\byou(?:r)?\b", re.IGNORECASE)
_WORD = re.compile(r"\b[A-Z][a-z]+\b")

# Introductions: "<A> brought in Dan" -> Dan is on A's side; the seller-specific
# forms mark the introduced name as seller outright.
_SELLER_INTRO = _rx(
    r"\b(?:brought (?:in|along)|I(?:'ve| have) asked|invited|looped in|introduce you to|my colleague|meet) ([A-Z][a-z]+)"
)
_TITLE_WORDS = r"(?:account executive|AE|solutions? (?:engineer|consultant|architect)|CSM|customer success manager|account manager|specialist|product specialist)"
_SELLER_TITLE = re.compile(rf"\b([A-Z][a-z]+),? (?:is |who is |our |my )(?:our |my )?{_TITLE_WORDS}\b|\b{_TITLE_WORDS},? ([A-Z][a-z]+)\b")
_CUSTOMER_TITLE = re.compile(
    r"\bour (?:controller|CFO|CEO|VP|director|head of \w+|manager|analyst|lead|admin)(?: of \w+)?,? ([A-Z][a-z]+)\b"
    r"|\b([A-Z][a-z]+),? (?:is )?our (?:controller|CFO|CEO|VP|director|head of|manager|analyst|lead|admin)\b"
)


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
    for sid, texts in said.items():
        text = "\n".join(texts)
        for pattern, weight, reason in _VOICE:
            hits = len(pattern.findall(text))
            if hits:
                evidence[sid].add(weight * min(hits, _CAP), reason)

    # Who introduces whom: evidence flows from the introducer to the named speaker.
    first = _first_names(transcript.speakers)
    speaker_ids = {s.id for s in transcript.speakers}
    boosts: list[tuple[str, float, str]] = []
    for sid, texts in said.items():
        text = "\n".join(texts)
        for match in _SELLER_INTRO.finditer(text):
            target = first.get(match[1].casefold())
            if target and target != sid and target in speaker_ids:
                boosts.append((target, 2.5, f"introduced as a colleague by {sid}"))
        for match in _SELLER_TITLE.finditer(text):
            target = first.get((match[1] or match[2] or "").casefold())
            if target and target != sid:
                boosts.append((target, 3.0, "introduced with a vendor title"))
        for match in _CUSTOMER_TITLE.finditer(text):
            target = first.get((match[1] or match[2] or "").casefold())
            if target and target != sid and evidence[sid].score < 0:
                boosts.append((target, -2.0, "introduced by a customer as their colleague"))
    for target, points, reason in boosts:
        evidence[target].add(points, reason)

    # Turn-taking: whoever answers the discovery questions, or is addressed by name
    # with "your team/your usage" by a seller-sounding speaker, is on the customer side.
    answered: dict[str, int] = {}
    replied: dict[str, int] = {}
    addressed: dict[str, int] = {}
    turns = transcript.turns
    for i, turn in enumerate(turns):
        if evidence.get(turn.speaker, Evidence()).score <= 2:
            continue
        nxt = turns[i + 1].speaker if i + 1 < len(turns) else None
        if nxt and nxt != turn.speaker and _DISCOVERY.search(turn.text):
            answered[nxt] = answered.get(nxt, 0) + 1
        elif nxt and nxt != turn.speaker and "?" in turn.text and _YOU.search(turn.text):
            replied[nxt] = replied.get(nxt, 0) + 1
        if _YOUR_THINGS.search(turn.text):
            for word in _WORD.findall(turn.text):
                target = first.get(word.casefold())
                if target and target != turn.speaker:
                    addressed[target] = addressed.get(target, 0) + 1
    for target, n in answered.items():
        evidence[target].add(-0.8 * min(n, _CAP), "answers the discovery questions")
    for target, n in replied.items():
        evidence[target].add(-0.6 * min(n, _CAP), "answers the seller's questions")
    for target, n in addressed.items():
        evidence[target].add(-0.7 * min(n, _CAP), "addressed by a seller about 'your team'")

    # Calls have two sides: once someone clearly sells, a speaker with no seller
    # voice at all leans customer (not enough on its own to decide).
    if any(ev.p_seller >= DEFAULT_THRESHOLD for ev in evidence.values()):
        for ev in evidence.values():
            if ev.score < 0.5:
                ev.add(-1.0, "no seller voice on a call with a clear seller")
    return evidence


# -- assignment ----------------------------------------------------------------------------


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
            if s.id not in decided:
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
    seller_doms -= _FREEMAIL
    for s in speakers:
        dom = _domain(s.email)
        if s.id in decided or dom is None:
            continue
        if dom in seller_doms:
            _set(s, Role.seller, 0.9, RoleSource.metadata)
        elif dom in customer_doms or (seller_doms and dom not in _FREEMAIL):
            _set(s, Role.customer, 0.9 if dom in customer_doms else 0.8, RoleSource.metadata)
        else:
            continue
        decided.add(s.id)

    # 3. heuristic
    for s in speakers:
        if s.id in decided:
            continue
        ev = evidence[s.id]
        p = ev.p_seller
        if p >= threshold:
            _set(s, Role.seller, p, RoleSource.heuristic)
        elif 1 - p >= threshold:
            _set(s, Role.customer, 1 - p, RoleSource.heuristic)
        else:
            _set(s, Role.unknown, 0.0, RoleSource.none)
            lean = "seller" if p >= 0.5 else "customer"
            warnings.append(
                f"role of '{s.name}' is unknown: the text leans {lean} ({max(p, 1 - p):.2f}, "
                f"{ev.top_reasons()}), below the {threshold:.2f} threshold; name the sellers with --seller or --roles"
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
