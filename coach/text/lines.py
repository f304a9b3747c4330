"""Per-line signals shared by scoring and role-play.

`analyse_seller_line(text)` tells what one seller line does: which of the three
discovery questions it asks, never-say hits, a commercial ask, a meeting or
diagnostic ask, a demo or pricing mention, a signal-led statement. The same
analysis runs on every turn of a scored call (`analyse_doc`), so a line is
judged the same way in a role-play and in a scorecard.

Negation ("I'm not going to send you a deck") and reported speech ("vendors
say it's the future of the category") cancel never-say, pitch, ask and demo
hits: the seller is not doing the thing.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field
from spacy.strings import hash_string

from coach.rubric.schema import Rubric, load_rubric
from coach.text.lexicon import QUESTION_FORMS, Lexicon, Spans, get_lexicon
from coach.text.matching import DocArrays
from coach.text.nlp import get_nlp, normalise

# Tokens that end the stretch a negation can reach back over ("I don't know, but let me send a deck").
_CLAUSE_BREAKS = frozenset(hash_string(w) for w in (",", ";", ":", "-", "--", "—", "but", "though", "although", "."))
_NEGATION_REACH = 8
_WHY, _NOT, _NT = hash_string("why"), hash_string("not"), hash_string("n't")
_WHO = hash_string("who")
_RATHER, _THAN = hash_string("rather"), hash_string("than")
# A modal before a pronoun ("would you", "can we") starts a new clause, whether or not a comma
# says so: speech-to-text drops the commas ("that can't happen would you want to add it").
_MODALS = frozenset(hash_string(w) for w in ("would", "could", "can", "will", "shall", "should", "may", "do", "does"))
_PRONOUNS = frozenset(hash_string(w) for w in ("you", "we", "i", "they"))
# ... and so does a subject with its auxiliary ("no new login i'll shoot over the deck").
_AUXILIARIES = frozenset(
    hash_string(w) for w in ("'ll", "will", "'d", "would", "can", "could", "'m", "am", "'re", "are", "'ve", "have", "should", "wanna", "gonna")
)
_LET, _LET_OBJECTS = hash_string("let"), frozenset(hash_string(w) for w in ("me", "'s", "us"))
_NOT_NEGATING_NEXT = frozenset(hash_string(w) for w in (",", "problem", "worries", "doubt"))
# The words that make a figure the customer's own: "your team crossed 85%", "you said".
_SECOND_PERSON = frozenset(hash_string(w) for w in ("you", "your", "yours", "yourself", "yourselves", "y'all", "ya", "u", "ur"))

class LineHit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    label: str = ""  # discovery question number, never-say phrase id...
    match: str  # the words that matched
    match_start: int  # character offset of the match in the line
    sentence: str  # the whole sentence, verbatim from the line
    start: int  # character offsets of the sentence in the line
    end: int


class LineSignals(BaseModel):
    """What one line does. Lists are empty when the line does not do it."""

    model_config = ConfigDict(extra="forbid")

    discovery: list[LineHit] = Field(default_factory=list)  # label "1" | "2" | "3"
    never_say: list[LineHit] = Field(default_factory=list)  # label = banned phrase id
    commercial_ask: list[LineHit] = Field(default_factory=list)
    meeting_ask: list[LineHit] = Field(default_factory=list)
    diagnostic: list[LineHit] = Field(default_factory=list)
    demo: list[LineHit] = Field(default_factory=list)  # a demo or screen-share happening now
    demo_proposal: list[LineHit] = Field(default_factory=list)  # a demo offered as the next step
    pricing: list[LineHit] = Field(default_factory=list)
    signal: list[LineHit] = Field(default_factory=list)
    pitch: list[LineHit] = Field(default_factory=list)  # product-first talk
    soft_answer: list[LineHit] = Field(default_factory=list)  # customer side: "let me think"
    yes_answer: list[LineHit] = Field(default_factory=list)
    info_request: list[LineHit] = Field(default_factory=list)  # customer side: "send me some info"
    # Added for role-play (issue 5): the director and facilitator read these too.
    sponsor_question: list[LineHit] = Field(default_factory=list)  # "who would sign off on this?"
    sponsor_plan: list[LineHit] = Field(default_factory=list)  # "could you introduce us to your CFO?"
    reopen: list[LineHit] = Field(default_factory=list)  # "which of the three questions matters most?"
    defer: list[LineHit] = Field(default_factory=list)  # "let's close the renewal first"
    neutrality: list[LineHit] = Field(default_factory=list)  # "if there's no fit, I'll tell you"
    when: list[LineHit] = Field(default_factory=list)  # a day or a time ("Thursday at 10am")
    vendor_cycle: list[LineHit] = Field(default_factory=list)  # "before our quarter-end"
    escalation: list[LineHit] = Field(default_factory=list)  # customer side: "open escalation", "renewal negotiation"
    problem: list[LineHit] = Field(default_factory=list)  # seller side: talk about the customer's open problem ("the outage")
    questions: int = 0

    @property
    def discovery_questions(self) -> list[int]:
        return sorted({int(h.label) for h in self.discovery})

    @property
    def signal_led(self) -> bool:
        return bool(self.signal)

    @property
    def asks_commercially(self) -> bool:
        return bool(self.commercial_ask)


_HIT_FIELDS = tuple(name for name in LineSignals.model_fields if name != "questions")
_SIGNAL_FIELDS = frozenset(LineSignals.model_fields)
_HIT_FIELD_NAMES = frozenset(LineHit.model_fields)
_setattr = object.__setattr__


def _constructed(cls: type[BaseModel], values: dict, fields_set: frozenset[str]) -> BaseModel:
    """What `cls.model_construct(**values)` builds when `values` holds every field in
    declaration order, without its per-call bookkeeping (a tenth of a call's budget on
    a 60-minute call, where hundreds of these are built)."""
    obj = cls.__new__(cls)
    _setattr(obj, "__dict__", values)
    _setattr(obj, "__pydantic_extra__", None)
    _setattr(obj, "__pydantic_fields_set__", set(fields_set))
    _setattr(obj, "__pydantic_private__", None)
    return obj


def _new_signals() -> LineSignals:
    """Empty signals, built without validation: every field is set here (hot path)."""
    values: dict = {name: [] for name in _HIT_FIELDS}
    values["questions"] = 0
    return _constructed(LineSignals, values, _SIGNAL_FIELDS)  # type: ignore[return-value]


# The signals of a line that does nothing: shared by every such line of a scored call, so
# never mutate what `LineAnalyser.analyse` returns (`analyse_line` hands out a copy).
NO_SIGNALS = _new_signals()


@dataclass(slots=True)
class SentenceInfo:
    """One sentence of a doc with the lexicon keys that matched inside it."""

    start_token: int
    end_token: int
    start_char: int
    end_char: int
    is_question: bool
    keys: Spans = field(default_factory=dict)

    def has(self, key: str) -> bool:
        return key in self.keys


def is_negated(lowers: list[int], sent_start: int, start: int, lexicon: Lexicon) -> bool:
    i = start - 1
    reach = 0
    negation = lexicon.negation_ids
    while i >= sent_start and reach < _NEGATION_REACH:
        word = lowers[i]
        if word in _CLAUSE_BREAKS:
            return False
        if i + 1 < start:
            after = lowers[i + 1]
            if (word in _MODALS and after in _PRONOUNS) or (word in _PRONOUNS and after in _AUXILIARIES):
                return False
            if word == _LET and after in _LET_OBJECTS:
                return False
        if word in negation:
            # "rather than a deck" rules the deck out; "what I'd rather do is spend 20 minutes" does not
            if word == _RATHER and (i + 1 >= len(lowers) or lowers[i + 1] != _THAN):
                i -= 1
                reach += 1
                continue
            # "why don't I send you the deck?" is an offer, not a negation
            if word in (_NT, _NOT) and i - 2 >= sent_start and lowers[i - 2] == _WHY:
                return False
            if i + 1 < len(lowers) and lowers[i + 1] in _NOT_NEGATING_NEXT:
                return False  # "no, ..." / "no problem" do not negate what follows
            return True
        i -= 1
        reach += 1
    return False


def is_reported(arrays: DocArrays, sent_start: int, start: int, lexicon: Lexicon) -> bool:
    """A reporting verb before the match whose subject is not the seller: "vendors say ...", "you've heard ..."."""
    lowers, lemmas = arrays.lowers, arrays.lemmas
    reporting, first_person = lexicon.reporting_ids, lexicon.first_person_ids
    for i in range(start - 1, sent_start - 1, -1):
        if lemmas[i] in reporting or lowers[i] in reporting:
            return not any(lowers[j] in first_person for j in range(max(sent_start, i - 3), i))
    return False


def _sentences(text: str, arrays: DocArrays, matches: Spans) -> list[SentenceInfo]:
    """`text` is the doc's text or the line it was made from (normalising keeps offsets and "?"):
    `doc.text` would build a Token object per token."""
    sentences = []
    opener_spans = matches.get("language.question_openers")
    form_spans = matches.get(QUESTION_FORMS)
    for (start, end), (start_char, end_char) in zip(arrays.bounds, arrays.chars):
        last = text[end_char - 1 : end_char]
        is_question = (
            last == "?"
            or (opener_spans is not None and any(start <= s < start + 3 for s, _ in opener_spans))
            # unpunctuated speech-to-text: an interrogative anywhere in the sentence asks
            or (form_spans is not None and last.isalnum() and any(start <= s < end for s, _ in form_spans))
        )
        sentences.append(SentenceInfo(start, end, start_char, end_char, is_question, {}))
    if not sentences:
        return sentences
    # assign each match to the sentence holding its first token
    if len(sentences) == 1:
        only = sentences[0]
        for key, spans in matches.items():
            for span in spans:
                if span[1] <= only.end_token:  # a wildcard must not reach into the next sentence
                    only.keys.setdefault(key, []).append(span)
        return sentences
    starts = [s.start_token for s in sentences]
    for key, spans in matches.items():
        for span in spans:
            sentence = sentences[max(bisect_right(starts, span[0]) - 1, 0)]
            if span[1] <= sentence.end_token:
                sentence.keys.setdefault(key, []).append(span)
    return sentences


class LineAnalyser:
    """Maps lexicon keys to line signals for one rubric (item ids looked up once)."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        rubric = lexicon.rubric

        def prefix(detector_type: str) -> str | None:
            item = rubric.find(detector_type)
            return item.id if item else None

        self.discovery_id = prefix("discovery_questions.v1")
        discovery = rubric.find("discovery_questions.v1")
        self.questions = []
        if discovery is not None:
            params = discovery.detector.params
            for number, spec in ((1, params.q1), (2, params.q2), (3, params.q3)):  # type: ignore[union-attr]
                rows = [[f"{self.discovery_id}.q{number}.{g}" for g in row] for row in spec.require]
                weak = [[f"{self.discovery_id}.q{number}.{g}" for g in row] for row in spec.weak_require]
                self.questions.append((number, rows, weak, f"{self.discovery_id}.q{number}.exclude"))
        never = prefix("never_say.v1")
        self.never_say_prefix = f"{never}.phrase." if never else None
        self.pricing_key = f"{never}.pricing" if never else None
        ask = prefix("ask_once.v1")
        diag = prefix("diagnostic_framing.v1")
        demo = prefix("no_demo_before_discovery.v1")
        opening = prefix("signal_first_opening.v1")
        soft_no = prefix("soft_no_reopen.v1")
        sponsor = prefix("exec_sponsor.v1")
        guard = prefix("escalation_guard.v1")
        neutral = prefix("neutrality_statement.v1")
        step = prefix("next_step.v1")
        timeline = prefix("customer_timeline.v1")
        self.simple: list[tuple[str, str | None, bool]] = [
            # (signal field, lexicon key, cancelled by negation/reported speech)
            ("commercial_ask", f"{ask}.commercial_ask" if ask else None, True),
            ("meeting_ask", f"{ask}.meeting_ask" if ask else None, True),
            ("diagnostic", f"{diag}.diagnostic" if diag else None, True),
            ("demo_proposal", f"{diag}.demo_next_step" if diag else None, True),
            ("demo", f"{demo}.demo" if demo else None, True),
            ("pricing", self.pricing_key, True),
            ("signal", f"{opening}.signal" if opening else None, False),
            ("pitch", f"{opening}.pitch" if opening else None, True),
            ("soft_answer", f"{ask}.soft_answer" if ask else None, False),
            ("yes_answer", f"{ask}.yes_answer" if ask else None, False),
            ("info_request", f"{soft_no}.info_request" if soft_no else None, False),
            ("sponsor_question", f"{sponsor}.sponsor_question" if sponsor else None, False),
            ("sponsor_plan", f"{sponsor}.plan" if sponsor else None, True),
            ("reopen", f"{soft_no}.reopen" if soft_no else None, False),
            ("defer", f"{guard}.defer" if guard else None, False),
            ("neutrality", f"{neutral}.statement" if neutral else None, False),
            ("when", f"{step}.when" if step else None, False),
            ("vendor_cycle", f"{timeline}.vendor_cycle" if timeline else None, True),
            ("escalation", f"{guard}.escalation" if guard else None, False),
            ("problem", f"{guard}.problem" if guard else None, False),
        ]
        self.claim_key = f"{opening}.claim" if opening else None
        self.weak_commercial = f"{ask}.weak_commercial_ask" if ask else None
        self.deadline_offer = f"{ask}.deadline_offer" if ask else None
        self.sponsor_cue = f"{sponsor}.sponsor_cue" if sponsor else None
        self.sponsor_weak_cue = f"{sponsor}.weak_cue" if sponsor else None
        self.proposal_key = "language.proposals"
        # Keys that can put a hit on a statement (a question is always looked at): most
        # sentences of a call match only other keys (facts, language) and are skipped at once.
        self.discovery_keys = frozenset(
            key for _, rows, weak_rows, _ in self.questions for row in (*rows, *weak_rows) for key in row
        )
        self.never_say_keys = frozenset(
            key for key in lexicon.keys if self.never_say_prefix and key.startswith(self.never_say_prefix)
        )
        never_item = rubric.find("never_say.v1")
        phrases = [p.id for p in never_item.detector.params.phrases] if never_item else []  # type: ignore[union-attr]
        self.never_say_rank = {f"{self.never_say_prefix}{phrase}": rank for rank, phrase in enumerate(phrases)}
        self.signal_keys = frozenset(
            [key for _, key, _ in self.simple if key]
            + ([self.weak_commercial] if self.weak_commercial else [])
            + list(self.never_say_keys)
        )

    def analyse(
        self, text: str, arrays: DocArrays, audience: str | None = None
    ) -> tuple[LineSignals, list[SentenceInfo]]:
        """Signals of one line (`arrays` of its doc); `audience` ("seller"/"customer") skips
        the other side's patterns."""
        lexicon = self.lexicon
        matches = lexicon.match(arrays, audience)
        # only a turn's last sentence can lack final punctuation (the sentencizer splits at it)
        if text[-1:].isalnum():
            matches.update(lexicon.match_question_forms(arrays))
        sentences = _sentences(text, arrays, matches)
        signals = NO_SIGNALS  # most lines of a call do none of these things: no 22 empty lists for them
        questions = 0
        for index, sent in enumerate(sentences):
            keys = sent.keys
            if not sent.is_question and self.signal_keys.isdisjoint(keys):
                continue
            if signals is NO_SIGNALS:
                signals = _new_signals()
            if sent.is_question:
                questions += 1
            quote = text[sent.start_char : sent.end_char].strip()
            lead = len(text[sent.start_char : sent.end_char]) - len(text[sent.start_char : sent.end_char].lstrip())

            def hit(kind: str, span: tuple[int, int], label: str = "") -> LineHit:
                match_start, match_end = arrays.char_span(*span)
                return _constructed(  # type: ignore[return-value]
                    LineHit,
                    {
                        "kind": kind,
                        "label": label,
                        "match": text[match_start:match_end],
                        "match_start": match_start,
                        "sentence": quote,
                        "start": sent.start_char + lead,
                        "end": sent.start_char + lead + len(quote),
                    },
                    _HIT_FIELD_NAMES,
                )

            def live(span: tuple[int, int]) -> bool:
                return not is_negated(arrays.lowers, sent.start_token, span[0], lexicon) and not is_reported(
                    arrays, sent.start_token, span[0], lexicon
                )

            if sent.is_question and not self.discovery_keys.isdisjoint(keys):
                strong: list[tuple[int, tuple[int, int]]] = []
                weak: list[tuple[int, tuple[int, int]]] = []
                for number, rows, weak_rows, exclude in self.questions:
                    if exclude in keys:
                        continue
                    row = next((r for r in rows if all(k in keys for k in r)), None)
                    if row is not None:
                        strong.append((number, keys[row[0]][0]))
                        continue
                    row = next((r for r in weak_rows if all(k in keys for k in r)), None)
                    if row is not None:
                        weak.append((number, keys[row[0]][0]))
                asked = strong + weak if len(strong) + len(weak) == 1 or not strong else strong
                for number, span in sorted(asked):
                    signals.discovery.append(hit("discovery", span, str(number)))
            if self.never_say_prefix and not self.never_say_keys.isdisjoint(keys):
                # Several banned phrases in one sentence: in the order they are said, then in
                # the rubric's order (explicit, so the matcher's internals cannot reorder evidence).
                said = []
                for key in self.never_say_keys.intersection(keys):
                    live_spans = [s for s in keys[key] if live(s)]
                    if live_spans:
                        said.append((live_spans[0], self.never_say_rank[key], key))
                for span, _, key in sorted(said):
                    signals.never_say.append(hit("never_say", span, key[len(self.never_say_prefix) :]))
            # an ask is a question or a proposal ("let's add the seats"), not a statement about a promo
            asking = (
                sent.is_question
                or self.proposal_key in keys
                or self.deadline_offer in keys
                or _tag_question(sentences, index)
            )
            for kind, key, cancellable in self.simple:
                if key is None or key not in keys:
                    continue
                if kind == "commercial_ask" and not asking:
                    continue
                spans = [s for s in keys[key] if live(s)] if cancellable else keys[key]
                if kind == "signal" and self.claim_key in keys:
                    spans = [s for s in spans if not _vendor_claim(arrays.lowers, sent, s, keys[self.claim_key])]
                if spans:
                    getattr(signals, kind).append(hit(kind, spans[0]))
            # a sentence that asks for a meeting is not also a commercial ask on a weak cue alone
            if (
                asking
                and self.weak_commercial
                and self.weak_commercial in keys
                and not signals_in_sentence(signals, sent.start_char + lead, ("commercial_ask", "meeting_ask", "diagnostic"))
            ):
                spans = [s for s in keys[self.weak_commercial] if live(s)]
                if spans:
                    signals.commercial_ask.append(hit("commercial_ask", spans[0]))
            cue = self.sponsor_cue if self.sponsor_cue in keys else self.sponsor_weak_cue
            if (
                sent.is_question
                and cue in keys
                and not signals_in_sentence(signals, sent.start_char + lead, ("sponsor_question",))
                and _WHO in arrays.lowers[sent.start_token : sent.end_token]
            ):
                # "Who would sign off on this?", "who holds the budget?": a who-question about
                # authority asks for the sponsor
                signals.sponsor_question.append(hit("sponsor_question", keys[cue][0]))
        if questions:
            signals.questions = questions
        return signals, sentences


def _vendor_claim(lowers: list[int], sent: SentenceInfo, span: tuple[int, int], claims: list[tuple[int, int]]) -> bool:
    """Whether a figure belongs to the vendor's other customers, not to this one.

    "We've seen teams cut testing cycles by 50%" and "our customers typically save 30%" are
    claims; "we noticed your team crossed 85%" is the customer's signal. A figure is a claim
    when a claim ("we've seen teams", "our customers", "customers like you") comes before it
    with no word of the customer's own ("you", "your", outside the claim) in between, or when
    the sentence has a claim and no such word at all.
    """

    def own_words(start: int, end: int) -> bool:
        return any(
            lowers[i] in _SECOND_PERSON and not any(c <= i < d for c, d in claims) for i in range(start, end)
        )

    if not own_words(sent.start_token, sent.end_token):
        return True
    return any(c <= span[0] and not own_words(c, span[1]) for c, _ in claims)


def _tag_question(sentences: list[SentenceInfo], index: int) -> bool:
    """A statement followed by a short question asks too: "...signed this month. Can we get that done?" """
    if index + 1 >= len(sentences):
        return False
    following = sentences[index + 1]
    return following.is_question and following.end_token - following.start_token <= 8


def signals_in_sentence(signals: LineSignals, start: int, kinds: tuple[str, ...]) -> bool:
    return any(h.start == start for kind in kinds for h in getattr(signals, kind))


_analysers: dict[int, tuple[Lexicon, LineAnalyser]] = {}


def get_analyser(rubric: Rubric | None = None) -> LineAnalyser:
    lexicon = get_lexicon(rubric or load_rubric())
    cached = _analysers.get(id(lexicon))
    if cached is not None and cached[0] is lexicon:
        return cached[1]
    analyser = LineAnalyser(lexicon)
    _analysers[id(lexicon)] = (lexicon, analyser)
    return analyser


def analyse_line(text: str, rubric: Rubric | None = None, audience: str | None = None) -> LineSignals:
    analyser = get_analyser(rubric)
    nlp = analyser.lexicon.nlp
    signals = analyser.analyse(text, DocArrays.of(nlp(normalise(text))), audience)[0]
    return _new_signals() if signals is NO_SIGNALS else signals


def analyse_seller_line(text: str, rubric: Rubric | None = None) -> LineSignals:
    """Signals of one seller line (role-play and scoring share this)."""
    return analyse_line(text, rubric, "seller")


def analyse_customer_line(text: str, rubric: Rubric | None = None) -> LineSignals:
    """Signals of one customer line; read `soft_answer`, `yes_answer`, `info_request`."""
    return analyse_line(text, rubric, "customer")


__all__ = ["LineHit", "LineSignals", "SentenceInfo", "analyse_seller_line", "analyse_customer_line", "get_nlp"]
