"""Who is on the call, as the call itself names them.

    parties = find_parties(transcript)

The customer (the customer-side speaker who talks most), the customer's and the
seller's companies, and the products the seller names. Each value is text the
call file holds, with where it came from (`PartySource`) and, when a turn says
it, that turn as evidence; a party the call never names stays None, so nothing
downstream (a practice scenario) ever shows a made-up name. The cues are data:
`rubrics/parties.yaml`.

Per side, the strongest source wins: the recorder's participant metadata, then
someone introducing their own company, then the call title, then the side's
e-mail domain.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

# The standard library's own regex parser, to read which literal text a pattern starts with.
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser as _sre_parser  # type: ignore[attr-defined]

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coach.datafiles import load_data_file
from coach.regex_start import find_all, literal_starts, matches_at
from coach.scorecard import Evidence, Parties, PartyFact, PartySource
from coach.transcript import Role, Transcript, Turn

BUNDLED = "parties.yaml"
_NAME_SLOT, _SELLER_SLOT = "{name}", "{seller}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _compiles(pattern: str, where: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{where}: not a regular expression: {exc}") from None
    return pattern


class Cue(_Model):
    pattern: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    not_first_words: list[str] = Field(default_factory=list)


class PartyCues(_Model):
    version: str = Field(min_length=1)
    name: str = Field(min_length=1)
    not_names: list[str] = Field(default_factory=list)
    placeholder_speaker: str = Field(min_length=1)
    personal_mail_domains: list[str] = Field(default_factory=list)
    longest_domain_word: int = Field(ge=3)
    introductions: list[Cue] = Field(min_length=1)
    # How many of a speaker's first turns may hold their self-introduction: people say who
    # they are when they first speak, and reading every turn of an hour's call costs time.
    introduction_turns: int = Field(default=8, ge=1)
    title_separators: list[str] = Field(min_length=1)
    title_meeting_words: str = Field(min_length=1)
    products: list[Cue] = Field(min_length=1)

    @field_validator("name", "placeholder_speaker", "title_meeting_words")
    @classmethod
    def _regex(cls, pattern: str) -> str:
        return _compiles(pattern, "pattern")

    @model_validator(mode="after")
    def _patterns(self) -> "PartyCues":
        for group, cues, wanted in (("introductions", self.introductions, "company"), ("products", self.products, "product")):
            for i, cue in enumerate(cues):
                compiled = re.compile(_compiles(_expand(cue.pattern, self.name, "Acme"), f"{group}[{i}].pattern"))
                if wanted not in compiled.groupindex:
                    raise ValueError(f"{group}[{i}].pattern: has no (?P<{wanted}>...) group")
        for i, word in enumerate(self.not_names):
            _compiles(word, f"not_names[{i}]")
        return self


def _expand(pattern: str, name: str, seller: str | None) -> str:
    pattern = pattern.replace(_NAME_SLOT, f"(?:{name})")
    return pattern.replace(_SELLER_SLOT, re.escape(seller)) if seller is not None else pattern


def load_party_cues(path: str | Path | None = None) -> PartyCues:
    """The validated cue file; None means the bundled `rubrics/parties.yaml`."""
    return load_data_file(PartyCues, path, BUNDLED, "party cue file")


class _Compiled:
    def __init__(self, cues: PartyCues):
        self.cues = cues
        self.not_name = re.compile(r"(?:%s)$" % "|".join(cues.not_names)) if cues.not_names else None
        self.placeholder = re.compile(cues.placeholder_speaker, re.IGNORECASE)
        self.introductions = [(re.compile(_expand(c.pattern, cues.name, None)), c) for c in cues.introductions]
        self.meeting_words = re.compile(cues.title_meeting_words, re.IGNORECASE)
        self.name = re.compile(cues.name)

    def is_name(self, text: str) -> bool:
        return bool(text) and not (self.not_name and self.not_name.match(text))


_COMPILED: dict[int, _Compiled] = {}


def _compiled(cues: PartyCues) -> _Compiled:
    # The loader caches the validated file, so one object per file version: key on it.
    found = _COMPILED.get(id(cues))
    if found is None or found.cues is not cues:
        if len(_COMPILED) > 8:
            _COMPILED.clear()
        found = _COMPILED[id(cues)] = _Compiled(cues)
    return found


def _offsets(texts: list[str]) -> list[int]:
    """Where each text starts in the texts joined by "\\n"."""
    offsets, size = [], 0
    for text in texts:
        offsets.append(size)
        size += len(text) + 1
    return offsets


def _required_words(seq: Any, flags: int) -> list[tuple[tuple[str, ...], bool]]:
    """Alternatives of literal words one of which every match contains ("(?i:suite|module)"), each
    with whether case is ignored; groups are looked into, repeats (maybe absent) are not."""
    out = []
    for op, arg in seq:
        if op is _c.SUBPATTERN:
            _, add, remove, sub = arg
            out += _required_words(sub, (flags | add) & ~remove)
        elif op is _c.BRANCH:
            words = ["".join(chr(a) for _, a in itertools.takewhile(lambda x: x[0] is _c.LITERAL, b)) for b in arg[1]]
            if all(words):
                out.append((tuple(words), bool(flags & re.IGNORECASE)))
    return out


_MIN_REQUIRED = 3  # a required word shorter than this is in too many turns to be worth looking for


class _Finder:
    """`finditer` of a pattern over each of many texts (a call's seller turns), the same matches, found faster.

    Most patterns open with literal words ("our ", "the "): those are found with `str.find` over
    all the texts at once, and the pattern matched only there; a regex search instead tries every
    position of an hour's seller talk. A pattern opening with a capital ("[A-Z]...") is searched
    for without its leading `\b`, which otherwise hides from the regex engine which characters a
    match can begin with; the boundary is checked here instead.
    """

    def __init__(self, pattern: str):
        self.regex = re.compile(pattern)
        parsed = _sre_parser.parse(pattern)
        self._anchors: tuple[str, ...] | None = None
        self._body: re.Pattern[str] | None = None
        plain = not self.regex.flags & (re.IGNORECASE | re.ASCII | re.LOCALE)
        # The most telling words a match must contain: a text without any of them is not searched.
        required = [
            (words, fold) for words, fold in _required_words(parsed.data, parsed.state.flags)
            if min(map(len, words)) >= _MIN_REQUIRED and all(w.isascii() for w in words)
        ] if plain else []  # fmt: skip
        best = max(required, key=lambda r: min(map(len, r[0])), default=None)
        self._required = best[0] if best and not best[1] else None
        self._required_folded = tuple(w.lower() for w in best[0]) if best and best[1] else None
        if plain and parsed.getwidth()[0] > 0:  # no empty match, whose resumption rules differ
            found = literal_starts(parsed.data)
            self._anchors = tuple(sorted(found)) if found else None
            # `\b` alone first (not `\bx|y`)
            if found is None and pattern.startswith("\\b") and parsed.data[0] == (_c.AT, _c.AT_BOUNDARY):
                self._body = re.compile(pattern[2:])

    def _holding(self, texts: list[str], offsets: list[int]) -> set[int]:
        """Which texts hold one of the words every match contains (found in all texts at once)."""
        if self._required is not None:
            keep: set[int] = set()
            joined, words = "\n".join(texts), self._required
        else:
            assert self._required_folded is not None
            # Case folds are exact on ASCII text (and keep its length); any other text is searched in full.
            keep = {k for k, text in enumerate(texts) if not text.isascii()}
            joined = "\n".join(" " * len(texts[k]) if k in keep else texts[k] for k in range(len(texts))).lower()
            words = self._required_folded
        for word in words:
            keep.update(bisect_right(offsets, at) - 1 for at in find_all(joined, word))
        return keep

    def each(self, texts: list[str]) -> list[list[re.Match[str]]]:
        """The matches in each text, in order."""
        if self._required is None and self._required_folded is None:
            return self._each(texts)
        keep = sorted(self._holding(texts, _offsets(texts)))
        found: list[list[re.Match[str]]] = [[] for _ in texts]
        for k, matches in zip(keep, self._each([texts[k] for k in keep])):
            found[k] = matches
        return found

    def _each(self, texts: list[str]) -> list[list[re.Match[str]]]:
        if self._anchors is None:
            return [list(self.finditer(text)) for text in texts]
        offsets = _offsets(texts)
        joined = "\n".join(texts)
        starts: dict[int, list[int]] = {}  # text -> where an anchor starts in it
        for anchor in self._anchors:
            for at in find_all(joined, anchor):
                k = bisect_right(offsets, at) - 1
                starts.setdefault(k, []).append(at - offsets[k])
        found: list[list[re.Match[str]]] = [[] for _ in texts]
        for k, positions in starts.items():
            found[k] = list(matches_at(self.regex, texts[k], positions))
        return found

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        if self._body is None:
            yield from self.regex.finditer(text)
            return
        search = self._body.search
        size = len(text)
        pos = 0
        while (match := search(text, pos)) is not None:
            at = match.start()
            # a word boundary as `\b` reads it (Unicode: a word character is alphanumeric or "_")
            before = at > 0 and (text[at - 1].isalnum() or text[at - 1] == "_")
            after = at < size and (text[at].isalnum() or text[at] == "_")
            if before != after:
                yield match
                pos = match.end()
            else:
                pos = at + 1


@lru_cache(maxsize=64)
def _finder(pattern: str) -> _Finder:
    return _Finder(pattern)  # reading a pattern costs more than a call's use of it: once per pattern


# -- reading the call ------------------------------------------------------------------------


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence of `text` around [start, end), verbatim."""
    left = max(text.rfind(p, 0, start) for p in ".?!")
    right = [i for i in (text.find(p, end) for p in ".?!") if i != -1]
    return text[left + 1 : (min(right) + 1) if right else len(text)].strip()


def _evidence(transcript: Transcript, turn: Turn, start: int, end: int, note: str) -> Evidence:
    return Evidence(turn=turn.index, speaker=transcript.speaker_name(turn), start_s=turn.start_s,
                    quote=_sentence(turn.text, start, end), note=note)  # fmt: skip


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _customer_person(transcript: Transcript, c: _Compiled) -> PartyFact | None:
    words: Counter[str] = Counter()
    for turn in transcript.customer_turns():
        words[turn.speaker] += len(turn.text.split())
    for speaker_id, _ in words.most_common():
        speaker = transcript.speaker_map[speaker_id]
        if not c.placeholder.match(speaker.name.strip()):
            detail = "the speaker label of the customer" + (" who spoke most" if len(words) > 1 else "")
            return PartyFact(value=" ".join(speaker.name.split()), source=PartySource.speakers, detail=detail)
    return None


def _from_metadata(transcript: Transcript, side: Role) -> PartyFact | None:
    found = Counter(s.company for s in transcript.speakers if s.role is side and s.company)
    if not found:
        return None
    company, _ = found.most_common(1)[0]
    who = next(s.name for s in transcript.speakers if s.role is side and s.company == company)
    return PartyFact(value=company, source=PartySource.metadata, detail=f"{who}'s company in the call's participant data")


def _introductions(transcript: Transcript, c: _Compiled) -> dict[Role, PartyFact]:
    found: dict[Role, PartyFact] = {}
    spoken: Counter[str] = Counter()
    # Speakers who may still introduce themselves; once none is left the rest of the call is not read.
    waiting = {i: s.role for i, s in transcript.speaker_map.items() if s.role is not Role.unknown}
    for turn in transcript.turns:
        if len(found) == 2 or not waiting:
            break
        speaker = transcript.speaker_map.get(turn.speaker)
        if speaker is None or speaker.role is Role.unknown or speaker.role in found:
            continue
        spoken[turn.speaker] += 1
        if spoken[turn.speaker] > c.cues.introduction_turns:
            waiting.pop(turn.speaker, None)
            continue
        first_name = speaker.name.split()[0] if speaker.name.split() else ""
        for pattern, cue in c.introductions:
            match = next((m for m in pattern.finditer(turn.text) if _own_intro(m, first_name, c)), None)
            if match is not None:
                found[speaker.role] = PartyFact(
                    value=match.group("company"), source=PartySource.introduction, detail=cue.reason,
                    evidence=_evidence(transcript, turn, match.start(), match.end(), cue.reason),
                )  # fmt: skip
                waiting = {i: role for i, role in waiting.items() if role is not speaker.role}
                break
    return found


def _own_intro(match: re.Match[str], first_name: str, c: _Compiled) -> bool:
    if not c.is_name(match.group("company")):
        return False
    said = match.groupdict().get("self")
    return said is None or said.lower() == first_name.lower()


def _domains(transcript: Transcript, side: Role, c: _Compiled) -> list[tuple[str, str]]:
    """(domain, who) per participant of the side with a work address, most common domain first."""
    personal = {d.lower() for d in c.cues.personal_mail_domains}
    pairs = []
    for s in transcript.speakers:
        if s.role is side and s.email and "@" in s.email:
            domain = s.email.rsplit("@", 1)[1].strip().lower()
            if domain and domain not in personal and "." in domain:
                pairs.append((domain, s.name))
    counts = Counter(d for d, _ in pairs)
    return sorted(pairs, key=lambda p: -counts[p[0]])


def _domain_label(domain: str) -> str:
    """The part of a domain that names the company: "mail.northwindfoods.co.uk" -> "northwindfoods"."""
    parts = domain.split(".")
    # Drop the public suffix: one label, or two for "co.uk"-style suffixes.
    body = parts[:-2] if len(parts) >= 3 and len(parts[-2]) <= 3 else parts[:-1]
    return body[-1] if body else parts[0]


def _spelling(text: str, wanted: str, c: _Compiled) -> tuple[str, int, int] | None:
    """The capitalised words in `text` that spell `wanted` (compacted), with where they are."""
    for match in c.name.finditer(text):
        words = match.group(0).split()
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1):
                if _compact(" ".join(words[i:j])) == wanted:
                    return " ".join(words[i:j]), match.start(), match.end()
    return None


def _from_email(transcript: Transcript, side: Role, c: _Compiled) -> PartyFact | None:
    """The side's e-mail domain, spelled as the call writes it ("Pinewood Realty" for pinewood-realty.com)
    when a turn or the title does; else the domain's own words when they are plain ("pinewood-realty",
    "quillsign"); a long run-together label ("maplecreditunion") has no spelling to trust and stays absent."""
    domains = _domains(transcript, side, c)
    if not domains:
        return None
    domain, who = domains[0]
    label = _domain_label(domain)
    wanted = _compact(label)
    detail = f"the e-mail domain of {who} ({domain})"
    if len(wanted) < 3:
        return None
    for turn in transcript.turns:
        if wanted[:3] in turn.text.lower():
            found = _spelling(turn.text, wanted, c)
            if found is not None:
                value, start, end = found
                return PartyFact(value=value, source=PartySource.email, detail=f"{detail}, as the call spells it",
                                 evidence=_evidence(transcript, turn, start, end, "names the company"))  # fmt: skip
    titled = _spelling(transcript.title, wanted, c) if transcript.title else None
    if titled is not None:
        return PartyFact(value=titled[0], source=PartySource.email, detail=f'{detail}, as the call title spells it')
    words = [w for w in re.split(r"[-_]+", label) if w]
    if not words or any(len(w) > c.cues.longest_domain_word for w in words):
        return None
    return PartyFact(value=" ".join(w[:1].upper() + w[1:] for w in words), source=PartySource.email, detail=detail)


def _title_sides(title: str, c: _Compiled) -> list[str]:
    for separator in c.cues.title_separators:
        if separator in title:
            sides = [c.meeting_words.sub("", part).strip(" :-|/") for part in title.split(separator)]
            sides = [s for s in sides if c.is_name(s) and s[:1].isupper()]
            if len(sides) == 2 and _compact(sides[0]) != _compact(sides[1]):
                return sides
    return []


def _same_company(a: str, b: str) -> bool:
    a, b = _compact(a), _compact(b)
    return bool(a and b) and (a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a))))


def _from_title(transcript: Transcript, known: dict[Role, PartyFact], c: _Compiled) -> dict[Role, PartyFact]:
    """A title "Acme <> Signalroom": the side matching a company the call names otherwise (or a
    side's e-mail domain) places the title's two names; the other is the other side's."""
    title = transcript.title or ""
    sides = _title_sides(title, c) if title else []
    if not sides:
        return {}
    anchors: list[tuple[Role, str]] = [(role, fact.value) for role, fact in known.items()]
    for role in (Role.seller, Role.customer):
        anchors += [(role, _domain_label(d)) for d, _ in _domains(transcript, role, c)]
    for role, anchor in anchors:
        for i, side in enumerate(sides):
            if _same_company(side, anchor):
                other = Role.customer if role is Role.seller else Role.seller
                detail = f'the call title "{title}"'
                return {role: PartyFact(value=side, source=PartySource.title, detail=detail),
                        other: PartyFact(value=sides[1 - i], source=PartySource.title, detail=detail)}  # fmt: skip
    return {}


def _companies(transcript: Transcript, c: _Compiled) -> dict[Role, PartyFact]:
    found: dict[Role, PartyFact] = {}
    for role in (Role.customer, Role.seller):
        fact = _from_metadata(transcript, role)
        if fact is not None:
            found[role] = fact
    for role, fact in _introductions(transcript, c).items():
        found.setdefault(role, fact)
    titled = _from_title(transcript, found, c)
    for role, fact in titled.items():
        # The title's spelling of a company the call already named is no new source; only fill gaps.
        found.setdefault(role, fact)
    for role in (Role.customer, Role.seller):
        if role not in found:
            fact = _from_email(transcript, role, c)
            if fact is not None:
                found[role] = fact
    customer, seller = found.get(Role.customer), found.get(Role.seller)
    if customer is not None and seller is not None and _same_company(customer.value, seller.value):
        # Both sides from one company: an internal call, or a side read wrongly. Neither is the customer's.
        found.pop(Role.customer)
    return found


def _products(transcript: Transcript, seller: PartyFact | None, c: _Compiled) -> list[PartyFact]:
    cues = c.cues
    named: list[PartyFact] = []
    described: list[PartyFact] = []
    seen: set[str] = set()
    patterns = []
    for cue in cues.products:
        if _SELLER_SLOT in cue.pattern and seller is None:
            continue
        patterns.append((_finder(_expand(cue.pattern, cues.name, seller.value if seller else None)), cue))
    turns = transcript.seller_turns()
    texts = [turn.text for turn in turns]
    found = [finder.each(texts) for finder, _ in patterns]
    for k, turn in enumerate(turns):
        for (_, cue), matches in zip(patterns, found):
            for match in matches[k]:
                words = match.group("product").split()
                while words and not c.is_name(words[0]):  # "The Enterprise tier", "So TestMaster Suite"
                    words.pop(0)
                if len(words) < 2 and match.group("product") != " ".join(words) or not words:
                    continue  # only the kind of product was left ("The Suite")
                if words[0].lower() in cue.not_first_words:
                    continue
                product = " ".join(words)
                if seller is not None and _compact(product) == _compact(seller.value):
                    continue
                key = _compact(product)
                if any(key in earlier or earlier in key for earlier in seen):
                    continue  # the same product said again, or with a word more ("ABOUT TestMaster Suite")
                seen.add(key)
                start = match.start("product") + match.group("product").index(words[0])
                fact = PartyFact(value=product, source=PartySource.mention, detail=cue.reason,
                                 evidence=_evidence(transcript, turn, start, match.end(), cue.reason))  # fmt: skip
                (named if product[:1].isupper() else described).append(fact)
    return named + described


def find_parties(transcript: Transcript, cues: PartyCues | None = None) -> Parties:
    c = _compiled(cues or load_party_cues())
    companies = _companies(transcript, c)
    seller = companies.get(Role.seller)
    return Parties(
        customer_person=_customer_person(transcript, c),
        customer_company=companies.get(Role.customer),
        seller_company=seller,
        products=_products(transcript, seller, c),
    )
