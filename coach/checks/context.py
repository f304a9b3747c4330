"""One scored call, analysed once: every turn through the pipeline (one pass
over the whole call, `coach.text.callpass`), the rubric's matcher and the
line signals, shared by all detectors. Detectors read the turns' token arrays
from here and never run spaCy themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from coach.gcpause import collector_paused
from coach.rubric.params import BannedPhrase
from coach.rubric.schema import Rubric
from coach.scorecard import Evidence
from coach.text.callpass import call_arrays
from coach.text.lines import NO_SIGNALS, LineAnalyser, LineHit, LineSignals, SentenceInfo, get_analyser
from coach.text.matching import DocArrays
from coach.text.nlp import normalise
from coach.transcript import Role, Transcript, Turn

T = TypeVar("T")
Position = tuple[int, int]  # (turn position, character offset): orders events in the call

# An evidence quote is the sentence that matched, cut to this many characters around the
# match (a run-on ASR "sentence" can be a whole monologue), with an ellipsis where it was cut.
QUOTE_LIMIT = 300
ELLIPSIS = "\u2026"


def clip_quote(text: str, quote: str, focus: int | None = None, limit: int = QUOTE_LIMIT) -> str:
    """`quote` (found in `text`, the turn) as at most `limit` characters of it around `focus`
    (an offset in `text`), cut at word boundaries, with an ellipsis on each side that was cut."""
    if len(quote) <= limit:
        return quote
    start = text.find(quote)
    if start < 0:  # not a stretch of the turn: quote the turn itself
        start, quote = 0, text
        if len(text) <= limit:
            return text
    end = start + len(quote)
    if focus is None or not start <= focus < end:
        focus = start
    # a third of the window before what matched, the rest after it (the words that matched follow it)
    lo = max(start, min(focus - limit // 3, end - limit))
    hi = min(end, lo + limit)
    if lo > start:
        space = text.find(" ", lo, min(focus, hi))
        lo = space + 1 if space >= 0 else lo
    if hi < end:
        space = text.rfind(" ", max(lo, focus + 1), hi)
        hi = space if space > lo else hi
    piece = text[lo:hi].strip()
    return (ELLIPSIS if lo > start else "") + piece + (ELLIPSIS if hi < end else "")


@dataclass(slots=True)
class TurnView:
    position: int  # index into transcript.turns
    turn: Turn
    role: Role
    speaker: str  # display name
    sentences: list[SentenceInfo]
    signals: LineSignals
    arrays: DocArrays

    @property
    def words(self) -> int:
        return self.arrays.words

    @property
    def text(self) -> str:
        return self.turn.text

    def sentence_text(self, sent: SentenceInfo) -> str:
        return self.turn.text[sent.start_char : sent.end_char].strip()


def is_backchannel(ctx: CallContext, view: TurnView) -> bool:
    """ "mm-hmm", "right, right", "yeah": the other side listening, not taking the floor."""
    if view.words > 4:
        return False
    arrays = view.arrays
    strings = ctx.lexicon.nlp.vocab.strings
    words = [
        strings[lower]
        for i, lower in enumerate(arrays.lowers)
        if arrays.is_word(i)
    ]
    text = " ".join(words)
    text_joined = text.replace(" - ", "-").replace(" -", "-")
    backchannels = ctx.lexicon.backchannels
    if text in backchannels or text_joined in backchannels:
        return True
    return all(w in backchannels for w in words) if words else True



class CallContext:
    def __init__(
        self, transcript: Transcript, rubric: Rubric, analyser: LineAnalyser | None = None,
        arrays: list[DocArrays] | None = None,
    ):  # fmt: skip
        """`arrays`: the turns' token arrays from another reading of the same turns (`reread`)."""
        self.transcript = transcript
        self.rubric = rubric
        self.analyser = analyser or get_analyser(rubric)
        self.lexicon = self.analyser.lexicon
        with collector_paused():  # thousands of small objects, no cycles: see coach.gcpause
            if arrays is None:
                arrays = call_arrays(self.lexicon.nlp, [normalise(t.text) for t in transcript.turns])
            self._build(transcript, arrays)

    def reread(self, rubric: Rubric | None = None, transcript: Transcript | None = None) -> CallContext:
        """The same turns read with another rubric, or with other roles (`transcript`: a copy
        with the same turns): the token arrays depend on neither, so they are reused and only
        the rubric's matching and line analysis run again."""
        rubric = rubric or self.rubric
        analyser = get_analyser(rubric)
        same_words = analyser.lexicon.nlp is self.lexicon.nlp
        arrays = [view.arrays for view in self.turns] if same_words else None
        return CallContext(transcript or self.transcript, rubric, analyser, arrays)

    def _build(self, transcript: Transcript, call: list[DocArrays]) -> None:
        self.turns: list[TurnView] = []
        self._hits: dict[tuple[str, Role | None], list[tuple[TurnView, LineHit]]] = {}
        self._key_sentences: dict[tuple[str, Role | None], list[tuple[TurnView, SentenceInfo]]] = {}
        self._once: dict[Callable[[CallContext], object], object] = {}
        speaker_map = transcript.speaker_map
        if len(call) != len(transcript.turns):
            raise ValueError("token arrays of another call")
        for position, (turn, arrays) in enumerate(zip(transcript.turns, call)):
            speaker = speaker_map.get(turn.speaker)
            role = speaker.role if speaker else Role.unknown
            audience = role.value if role is not Role.unknown else None
            signals, sentences = self.analyser.analyse(turn.text, arrays, audience)
            self.turns.append(
                TurnView(
                    position=position,
                    turn=turn,
                    role=speaker.role if speaker else Role.unknown,
                    speaker=speaker.name if speaker else turn.speaker,
                    sentences=sentences,
                    signals=signals,
                    arrays=arrays,
                )
            )

    def once(self, derive: Callable[[CallContext], T]) -> T:
        """`derive(self)`, worked out once per reading of the call: for a fact of the call that
        several checks ask for (where the sponsor is first mapped, say)."""
        if derive not in self._once:
            self._once[derive] = derive(self)
        return self._once[derive]  # type: ignore[return-value]

    # -- selection ------------------------------------------------------------------------
    def by_role(self, role: Role | None) -> Iterator[TurnView]:
        return (t for t in self.turns if role is None or t.role is role)

    def hits(self, kind: str, role: Role | None = Role.seller) -> list[tuple[TurnView, LineHit]]:
        """Line-signal hits of one kind, in call order (computed once per call; do not mutate)."""
        cached = self._hits.get((kind, role))
        if cached is None:
            cached = [
                (view, hit)
                for view in self._signalled
                if role is None or view.role is role
                for hit in getattr(view.signals, kind)
            ]
            self._hits[(kind, role)] = cached
        return list(cached)

    @cached_property
    def _signalled(self) -> list[TurnView]:
        """The turns with any line signal (most share the empty one), in call order."""
        return [view for view in self.turns if view.signals is not NO_SIGNALS]

    def key_sentences(self, key: str, role: Role | None = None) -> list[tuple[TurnView, SentenceInfo]]:
        """Sentences where a lexicon key matched, in call order."""
        cached = self._key_sentences.get((key, role))
        if cached is None:
            found = self._sentences_by_key.get(key, [])
            cached = [(view, sent) for view, sent in found if role is None or view.role is role]
            self._key_sentences[(key, role)] = cached
        return list(cached)

    @cached_property
    def _sentences_by_key(self) -> dict[str, list[tuple[TurnView, SentenceInfo]]]:
        """Every sentence under each key that matched in it, in call order: one pass over the
        call instead of one per key asked for."""
        by_key: dict[str, list[tuple[TurnView, SentenceInfo]]] = {}
        for view in self.turns:
            for sent in view.sentences:
                for key in sent.keys:
                    by_key.setdefault(key, []).append((view, sent))
        return by_key

    def item_key(self, detector_type: str, group: str) -> str | None:
        item = self.rubric.find(detector_type)
        return f"{item.id}.{group}" if item else None

    def never_say_phrases(self, keep: Callable[[BannedPhrase], bool]) -> frozenset[str]:
        """Ids of the never-say item's phrases with a property (`product_talk`, `expansion_talk`)."""
        item = self.rubric.find("never_say.v1")
        phrases = item.detector.params.phrases if item is not None else []  # type: ignore[union-attr]
        return frozenset(p.id for p in phrases if keep(p))

    @cached_property
    def has_seller(self) -> bool:
        return any(t.role is Role.seller for t in self.turns)

    @cached_property
    def expansion_moves(self) -> list[tuple[Position, TurnView, str, str]]:
        """Seller moves that put expansion on the table: (position, turn, kind, quote)."""
        moves = []
        # a screen-share alone is not expansion: onboarding and support calls share screens too
        kinds = ("commercial_ask", "pitch", "demo_proposal", "pricing", "discovery", "diagnostic", "never_say")
        not_expansion = self.never_say_phrases(lambda p: not p.expansion_talk)
        for kind in kinds:
            for view, hit in self.hits(kind):
                if kind == "never_say" and hit.label in not_expansion:
                    continue
                if self.about_open_problem(view, hit):
                    continue
                moves.append(((view.position, hit.match_start), view, kind, hit.sentence))
        moves.sort(key=lambda m: m[0])
        return moves

    @cached_property
    def _escalation_at(self) -> int | None:
        """The turn position where the customer first names an open escalation or a live negotiation."""
        key = self.item_key("escalation_guard.v1", "escalation")
        found = self.key_sentences(key, Role.customer) if key else []
        return found[0][0].position if found else None

    @property
    def escalation_named(self) -> bool:
        return self._escalation_at is not None

    def about_open_problem(self, view: TurnView, hit: LineHit) -> bool:
        """A question or diagnosis about the customer's open escalation, after they named it:
        care for the account, not cross-sell discovery ("what has the outage cost you?")."""
        if hit.kind not in ("discovery", "diagnostic") or self._escalation_at is None or view.position <= self._escalation_at:
            return False
        return any(p.start == hit.start for p in view.signals.problem)

    @property
    def expansion_topic(self) -> bool:
        return bool(self.expansion_moves)

    # -- evidence -------------------------------------------------------------------------
    def evidence(self, view: TurnView, quote: str | None = None, note: str = "", focus: int | None = None) -> Evidence:
        """Evidence quoting `quote` (a stretch of the turn; the whole turn when None), cut to
        `QUOTE_LIMIT` characters around `focus` (the turn offset of what matched) when longer."""
        quote = clip_quote(view.turn.text, quote if quote is not None else view.turn.text, focus)
        return Evidence(
            turn=view.turn.index,
            speaker=view.speaker,
            start_s=self._start_of(view.turn, quote.strip(ELLIPSIS)),
            quote=quote,
            note=note,
        )

    def hit_evidence(self, view: TurnView, hit: LineHit, note: str = "") -> Evidence:
        return self.evidence(view, hit.sentence, note, focus=hit.match_start)

    def sentence_evidence(self, view: TurnView, sent: SentenceInfo, note: str = "") -> Evidence:
        spans = [span for found in sent.keys.values() for span in found]
        focus = view.arrays.char_span(*min(spans))[0] if spans else None
        return self.evidence(view, view.sentence_text(sent), note, focus=focus)

    @staticmethod
    def _start_of(turn: Turn, quote: str) -> float | None:
        """The finest start time the source gives for a quote: its cue if the reader kept cues."""
        for sentence in turn.sentences:
            if sentence.start_s is not None and (quote in sentence.text or sentence.text in quote):
                return sentence.start_s
        return turn.start_s
