"""What kind of call is it: expansion, new logo, not a sales call, or unknown.

    classify_call(transcript, override=None) -> CallTypeResult
    decide(measure_call(transcript), account_evidence) -> CallTypeResult   # the same, in two steps

Whole-call evidence, never one line: how much of the call is about something
being sold at all (money, plans, demos, contracts, one side's product put to
the other), against meeting and team-work procedure; then whether the buyer
already has the product (their seats, usage, renewal, account team) or is
finding out about it (inbound interest, "how much is it", "what does it do").
The cues are data (`rubrics/call_types.yaml`). A seller the user named means
somebody is selling, so such a call is never `not_sales` unless the user says so.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from coach.callcues import CallTypeData, Cue, load_cues
from coach.scorecard import CallType, CallTypeInfo, Evidence
from coach.transcript import Role, RoleSource, Transcript, Turn

# Evidence quotes for the call type: a few, each cut to the matched phrase and its surroundings.
_MAX_EVIDENCE = 3
_QUOTE_CONTEXT = 60
# A usage-threshold or renewal-window trigger found by the rubric is an existing account's fact.
_TRIGGER_WEIGHT = 1.5


@dataclass
class _Family:
    weight: float = 0.0
    hits: list[tuple[float, int, str, str]] = field(default_factory=list)  # (weight, turn, quote, reason)


@dataclass
class CallTypeResult:
    value: CallType
    info: CallTypeInfo


def _quote(text: str, start: int, end: int) -> str:
    """The matched words with some context, cut at word boundaries; verbatim from the turn."""
    a = max(0, start - _QUOTE_CONTEXT)
    b = min(len(text), end + _QUOTE_CONTEXT)
    if a > 0:
        space = text.find(" ", a, start)
        a = space + 1 if space != -1 else a
    if b < len(text):
        space = text.rfind(" ", end, b)
        b = space if space != -1 else b
    return text[a:b].strip()


@dataclass
class _Scanned:
    """The part of the call the cues read: its turns joined in lower case, with where each turn starts."""

    low: str
    starts: list[int]  # offset of each scanned turn in `low`
    turns: list[Turn]
    words: int
    found_at: dict[str, list[int]] = field(default_factory=dict)  # shared by every cue's search


_SCAN_BLOCKS = 4


def _sample(turns: list[Turn], limit: int) -> list[Turn]:
    """All turns of a short call; of a long one, runs of turns from the start of each quarter.

    An hour's call has ~55,000 characters and reading them all costs more than the scoring
    budget allows; four runs spread over the call show its mix of talk as well as the whole.
    """
    if sum(len(t.text) + 1 for t in turns) <= limit:
        return turns
    picked: list[Turn] = []
    for block in range(_SCAN_BLOCKS):
        size = 0
        for turn in turns[block * len(turns) // _SCAN_BLOCKS:]:
            if size >= limit // _SCAN_BLOCKS:
                break
            picked.append(turn)
            size += len(turn.text) + 1
    return list({t.index: t for t in picked}.values())


def _scan(transcript: Transcript, limit: int) -> _Scanned:
    parts: list[str] = []
    starts: list[int] = []
    turns: list[Turn] = []
    size = 0
    for turn in _sample(transcript.turns, limit):
        low = turn.text.lower()
        if len(low) != len(turn.text):  # offsets must line up with the original text for quotes
            low = "".join(c.lower() if len(c.lower()) == 1 else c for c in turn.text)
        starts.append(size)
        turns.append(turn)
        parts.append(low)
        size += len(low) + 1
    low = "\n".join(parts)
    return _Scanned(low=low, starts=starts, turns=turns, words=len(low.split()))


def _count(scanned: _Scanned, cues: list[Cue]) -> _Family:
    """Weight of the cues over the scanned call, each cue capped over the call."""
    family = _Family()
    for cue in cues:
        for match in cue.hits(scanned.low, scanned.found_at):
            k = bisect_right(scanned.starts, match.start()) - 1
            turn, offset = scanned.turns[k], scanned.starts[k]
            family.weight += cue.weight
            quote = _quote(turn.text, match.start() - offset, min(match.end() - offset, len(turn.text)))
            family.hits.append((cue.weight, turn.index, quote, cue.reason))
    return family


def _evidence(transcript: Transcript, family: _Family) -> list[Evidence]:
    by_turn = {t.index: t for t in transcript.turns}
    seen: set[str] = set()
    out = []
    for _, index, quote, reason in sorted(family.hits, key=lambda h: (-h[0], h[1])):
        if reason in seen:  # one quote per kind of cue says more than three of the same
            continue
        seen.add(reason)
        turn = by_turn[index]
        out.append(Evidence(turn=index, speaker=transcript.speaker_name(turn), start_s=turn.start_s, quote=quote, note=reason))
        if len(out) >= _MAX_EVIDENCE:
            break
    return out


def _words(transcript: Transcript) -> int:
    # Each turn's spaces plus one (near enough for a length threshold): counted once over the
    # turns joined by spaces, which adds the one per turn but the last.
    turns = transcript.turns
    return " ".join(t.text for t in turns).count(" ") + 1 if turns else 0


def _user_named_seller(transcript: Transcript) -> bool:
    return any(s.role is Role.seller and s.role_source in (RoleSource.user, RoleSource.metadata) for s in transcript.speakers)


def _two_sides(transcript: Transcript) -> bool:
    """Somebody sells and somebody buys, as the roles step found them (any source)."""
    roles = {s.role for s in transcript.speakers}
    return Role.seller in roles and Role.customer in roles


@dataclass
class CallMeasure:
    """What the cues found in a call, before any account evidence from the rubric is added:
    the costly part of classifying, so a caller that learns the account evidence later
    (`coach.scoring`) measures once and decides twice."""

    transcript: Transcript
    override: CallType | None
    commercial: _Family
    existing: _Family
    prospect: _Family
    meeting: _Family
    total_words: int
    words: int
    named: bool
    two_sides: bool
    data: CallTypeData


def measure_call(
    transcript: Transcript, override: CallType | str | None = None, *, data: CallTypeData | None = None
) -> CallMeasure:
    data = data or load_cues()
    value = CallType(override) if override is not None else None
    if value is not None:  # the user's word decides: nothing to read
        empty = _Family()
        return CallMeasure(transcript, value, empty, empty, empty, empty, 0, 1, False, False, data)
    cues = data.call_types
    scanned = _scan(transcript, data.thresholds.scan_chars)
    return CallMeasure(
        transcript=transcript,
        override=None,
        commercial=_count(scanned, cues.commercial),
        existing=_count(scanned, cues.existing_customer),
        prospect=_count(scanned, cues.prospect),
        meeting=_count(scanned, cues.not_sales),
        total_words=_words(transcript),
        words=max(scanned.words, 1),
        named=_user_named_seller(transcript),
        two_sides=_two_sides(transcript),
        data=data,
    )


def classify_call(
    transcript: Transcript,
    override: CallType | str | None = None,
    *,
    account_evidence: list[Evidence] = (),
    data: CallTypeData | None = None,
) -> CallTypeResult:
    """The call's type. `account_evidence`: the rubric's usage/renewal trigger quotes, if any (an existing account)."""
    return decide(measure_call(transcript, override, data=data), account_evidence)


def decide(measure: CallMeasure, account_evidence: list[Evidence] = ()) -> CallTypeResult:
    """The call's type from what `measure_call` found and the rubric's account evidence."""
    if measure.override is not None:
        value = measure.override
        return CallTypeResult(value, CallTypeInfo(confidence=1.0, source="user", reason=f"call type given by the user ({value.value})"))
    transcript, limits = measure.transcript, measure.data.thresholds
    commercial, prospect, meeting = measure.commercial, measure.prospect, measure.meeting
    existing = _Family(measure.existing.weight, list(measure.existing.hits))  # a copy: decide may run again
    total_words, words, named, two_sides = measure.total_words, measure.words, measure.named, measure.two_sides
    for ev in account_evidence:
        existing.weight += _TRIGGER_WEIGHT
        existing.hits.append((_TRIGGER_WEIGHT, ev.turn, ev.quote, "a usage or renewal trigger on the customer's account"))
    sales = commercial.weight + existing.weight + prospect.weight
    density = sales * 1000 / words

    reason = ""
    if meeting.weight >= limits.min_meeting and meeting.weight >= limits.meeting_over_commercial * max(sales, 1.0):
        reason = (f"nobody is selling: meeting or committee procedure (weight {meeting.weight:.1f}) outweighs "
                  f"price, product and account talk (weight {sales:.1f})")
    elif total_words >= limits.long_call_words and density < limits.long_call_min_per_kword:
        reason = (f"nobody is selling: {total_words} words with only {sales:.1f} weight of price, product or account talk "
                  f"({density:.1f} per 1,000 words; a sales call this long has at least {limits.long_call_min_per_kword:g})")
    elif not two_sides and density < limits.min_commercial_per_kword:
        talking = {t.speaker for t in transcript.turns}
        who = "only one speaker, so nobody sells to anyone" if len(talking) == 1 else "no seller and buyer found"
        reason = (f"nobody is selling: {who}, and only {sales:.1f} weight of price, product or "
                  f"account talk ({density:.1f} per 1,000 words)")
    if reason and not named:
        strength = max(meeting.weight / (2 * limits.min_meeting), 1 - density / limits.min_commercial_per_kword)
        confidence = round(min(0.95, 0.6 + 0.35 * min(max(strength, 0.0), 1.0)), 2)
        return CallTypeResult(CallType.not_sales, CallTypeInfo(
            confidence=confidence, evidence=_evidence(transcript, meeting), reason=reason))

    lead, other = (existing, prospect) if existing.weight >= prospect.weight else (prospect, existing)
    value = CallType.expansion if lead is existing else CallType.new_logo
    weak = lead.weight < limits.min_type_weight
    if weak and (two_sides or named) and lead.weight - other.weight >= limits.type_margin:
        # Little evidence either way, but it leans: said with low confidence.
        side = "an existing account" if value is CallType.expansion else "a new prospect"
        reason = (f"a sales call that leans to {side} on little evidence (existing account {existing.weight:.1f}, "
                  f"new prospect {prospect.weight:.1f})")
        return CallTypeResult(value, CallTypeInfo(confidence=0.55, evidence=_evidence(transcript, lead), reason=reason))
    if weak and (two_sides or named) and prospect.weight == 0:
        # A seller and a buyer, and nothing at all says the buyer is new: the coach's own kind of
        # call, with low confidence so a reader knows it is the default, not a finding.
        reason = (f"a sales call with no sign that the buyer is new; read as an existing account "
                  f"(weight {existing.weight:.1f})")
        return CallTypeResult(CallType.expansion, CallTypeInfo(
            confidence=0.5, evidence=_evidence(transcript, existing) or _evidence(transcript, commercial), reason=reason))
    if lead.weight < limits.min_type_weight or lead.weight - other.weight < limits.type_margin:
        reason = (f"a sales call, but neither an existing account (weight {existing.weight:.1f}) nor a new prospect "
                  f"(weight {prospect.weight:.1f}) clearly shows")
        return CallTypeResult(CallType.unknown, CallTypeInfo(
            confidence=0.5, evidence=_evidence(transcript, commercial), reason=reason))
    share = lead.weight / (lead.weight + other.weight)
    confidence = round(min(0.95, 0.5 + 0.45 * share * min(lead.weight / (2 * limits.min_type_weight), 1.0)), 2)
    if value is CallType.expansion:
        reason = (f"the buyer already has the product: their seats, usage, plan, renewal or account team "
                  f"(weight {existing.weight:.1f} against {prospect.weight:.1f} for a new prospect)")
    else:
        reason = (f"the buyer does not have the product yet: inbound interest, first questions, what it costs "
                  f"(weight {prospect.weight:.1f} against {existing.weight:.1f} for an existing account)")
    return CallTypeResult(value, CallTypeInfo(confidence=confidence, evidence=_evidence(transcript, lead), reason=reason))
