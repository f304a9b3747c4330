"""Scoring a folder of labelled calls and measuring the rubric against the labels.

Each call `<stem>.<ext>` has a sibling `<stem>.labels.yaml` (format in the team
brief): the seller-side names, the motion and trigger, and every rubric item's
verdict as a sales coach judged it.

How agreement is measured, per item:
- `fail` is the positive class for precision and recall: a coach cares most
  about catching failures, and about not accusing a rep of one they did not
  commit. precision = flagged fails that are real fails; recall = real fails
  that were flagged. Either is `None` when its denominator is empty (no fail
  predicted / none labelled), and a gate must treat `None` as unmet.
- accuracy is over all three verdicts (pass, fail, not_applicable).
- the confusion table counts labelled verdict -> scored verdict; an item the
  scorecard does not contain is scored as `missing` and counts as wrong.
- motion and trigger are compared as plain accuracy with their own confusion.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach import pipeline
from coach.callfiles import CALL_SUFFIXES
from coach.errors import CoachError
from coach.llm.agreement import GradedPair, LLMAgreement, llm_agreement
from coach.llm.grader import Grader
from coach.rubric.schema import Rubric
from coach.scorecard import CallType, Motion, Scorecard, Trigger, Verdict
from coach.transcript import Role

LABELS_SUFFIX = ".labels.yaml"
# The mission's four core items (RUBRIC.md); a rubric's own `core` flags take precedence in reports.
CORE_ITEMS = ("signal_first_opening", "discovery_questions", "ask_once", "never_say")
MISSING = "missing"


class LabelsError(CoachError):
    """A labels file is unreadable or does not match the labels schema."""


class Labels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sellers: list[str] = Field(min_length=1)
    motion: Motion
    trigger: Trigger
    items: dict[str, Verdict] = Field(min_length=1)
    discovery_asked: list[Literal[1, 2, 3]] | None = None
    notes: str = ""


class Mismatch(BaseModel):
    call: str
    field: str  # "items.ask_once", "motion", "trigger", "discovery_asked"
    expected: str
    got: str


class ItemAgreement(BaseModel):
    id: str
    core: bool
    n: int
    true_fail: int
    false_fail: int
    missed_fail: int
    precision: float | None
    recall: float | None
    accuracy: float | None
    confusion: dict[str, dict[str, int]]  # labelled verdict -> scored verdict -> count


class FactAgreement(BaseModel):
    name: str
    n: int
    correct: int
    accuracy: float | None
    confusion: dict[str, dict[str, int]]


class EvalReport(BaseModel):
    folder: str
    calls: int
    errors: list[str] = Field(default_factory=list)  # one line per call that could not be evaluated
    items: list[ItemAgreement]
    motion: FactAgreement
    trigger: FactAgreement
    discovery_asked: FactAgreement
    mismatches: list[Mismatch]
    llm: LLMAgreement | None = None  # `coach eval --llm`: items/mismatches above are then the LLM-graded cards

    def item(self, item_id: str) -> ItemAgreement:
        return next(i for i in self.items if i.id == item_id)


class LabelledCall(BaseModel):
    name: str
    labels: Labels
    scorecard: Scorecard


# -- loading ---------------------------------------------------------------------------------


def load_labels(path: Path, item_ids: Collection[str] | None = None) -> Labels:
    """Read and validate one labels file; `item_ids` (the rubric's) must be labelled exactly."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LabelsError(f"cannot read labels: {exc.strerror}", source=str(path)) from None
    except (yaml.YAMLError, UnicodeDecodeError):
        raise LabelsError("labels file is not valid YAML", source=str(path)) from None
    if not isinstance(data, dict):
        raise LabelsError("expected a mapping with sellers, motion, trigger and items", source=str(path))
    try:
        labels = Labels.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "document"
        raise LabelsError(f"{field}: {error['msg']}", source=str(path)) from None
    if item_ids is not None:
        missing = [i for i in item_ids if i not in labels.items]
        unknown = [i for i in labels.items if i not in item_ids]
        if missing:
            raise LabelsError(f"items: no verdict for rubric item(s) {', '.join(missing)}", source=str(path))
        if unknown:
            raise LabelsError(f"items.{unknown[0]}: not an item of the rubric", source=str(path))
    return labels


def labelled_pairs(folder: Path) -> tuple[list[tuple[Path, Path]], list[str]]:
    """(call, labels) pairs in `folder`, and one-line errors for labels without a call or calls without labels."""
    if not folder.is_dir():
        raise LabelsError("not a folder", source=str(folder))
    pairs: list[tuple[Path, Path]] = []
    errors: list[str] = []
    labelled: set[Path] = set()
    for labels in sorted(folder.glob(f"*{LABELS_SUFFIX}")):
        stem = labels.name[: -len(LABELS_SUFFIX)]
        calls = [p for p in folder.glob(f"{stem}.*") if p != labels and p.suffix.lower() in CALL_SUFFIXES]
        if len(calls) != 1:
            problem = "no call file" if not calls else f"{len(calls)} call files ({', '.join(sorted(p.name for p in calls))})"
            errors.append(f"{labels}: {problem} with stem {stem!r}")
            continue
        pairs.append((calls[0], labels))
        labelled.add(calls[0])
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in CALL_SUFFIXES and path not in labelled and ".scorecard." not in path.name:
            errors.append(f"{path}: no {path.stem}{LABELS_SUFFIX} beside it")
    return pairs, errors


# -- measuring -------------------------------------------------------------------------------


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _confusion(
    pairs: Iterable[tuple[str, str]], rows: Sequence[str], columns: Sequence[str] | None = None
) -> dict[str, dict[str, int]]:
    """labelled -> scored -> count, with every known row and column present (zeros included)."""
    columns = rows if columns is None else columns
    table = {expected: {got: 0 for got in columns} for expected in rows}
    for expected, got in pairs:
        row = table.setdefault(expected, {c: 0 for c in columns})
        row[got] = row.get(got, 0) + 1
    return table


def item_agreement(item_id: str, pairs: Sequence[tuple[Verdict, Verdict | None]], *, core: bool) -> ItemAgreement:
    fail = Verdict.fail
    true_fail = sum(1 for e, g in pairs if e is fail and g is fail)
    false_fail = sum(1 for e, g in pairs if e is not fail and g is fail)
    missed_fail = sum(1 for e, g in pairs if e is fail and g is not fail)
    keys = [v.value for v in Verdict]
    return ItemAgreement(
        id=item_id,
        core=core,
        n=len(pairs),
        true_fail=true_fail,
        false_fail=false_fail,
        missed_fail=missed_fail,
        precision=_ratio(true_fail, true_fail + false_fail),
        recall=_ratio(true_fail, true_fail + missed_fail),
        accuracy=_ratio(sum(1 for e, g in pairs if e is g), len(pairs)),
        confusion=_confusion(((e.value, g.value if g else MISSING) for e, g in pairs), keys, keys + [MISSING]),
    )


def fact_agreement(name: str, pairs: Sequence[tuple[str, str]], keys: Sequence[str]) -> FactAgreement:
    correct = sum(1 for e, g in pairs if e == g)
    return FactAgreement(
        name=name, n=len(pairs), correct=correct, accuracy=_ratio(correct, len(pairs)), confusion=_confusion(pairs, keys)
    )


def compare(
    folder: str, calls: Sequence[LabelledCall], errors: Sequence[str] = (), core: Collection[str] = CORE_ITEMS
) -> EvalReport:
    """Agreement between labels and scorecards; pure, so the arithmetic is testable on its own."""
    item_ids: list[str] = []
    for call in calls:
        item_ids += [i for i in call.labels.items if i not in item_ids]
    per_item: dict[str, list[tuple[Verdict, Verdict | None]]] = {i: [] for i in item_ids}
    mismatches: list[Mismatch] = []
    motions: list[tuple[str, str]] = []
    triggers: list[tuple[str, str]] = []
    asked: list[tuple[str, str]] = []
    for call in calls:
        scored = {i.id: i for i in call.scorecard.items}
        for item_id, expected in call.labels.items.items():
            got = scored[item_id].verdict if item_id in scored else None
            per_item[item_id].append((expected, got))
            if got is not expected:
                mismatches.append(
                    Mismatch(call=call.name, field=f"items.{item_id}", expected=expected.value, got=got.value if got else MISSING)
                )
        for name, expected_fact, got_fact, bucket in (
            ("motion", call.labels.motion.value, call.scorecard.motion.value, motions),
            ("trigger", call.labels.trigger.value, call.scorecard.trigger.value, triggers),
        ):
            bucket.append((expected_fact, got_fact))
            if expected_fact != got_fact:
                mismatches.append(Mismatch(call=call.name, field=name, expected=expected_fact, got=got_fact))
        if call.labels.discovery_asked is not None:
            expected_asked = _asked_text(call.labels.discovery_asked)
            got_asked = _asked_text(_scored_asked(call.scorecard))
            asked.append((expected_asked, got_asked))
            if expected_asked != got_asked:
                mismatches.append(Mismatch(call=call.name, field="discovery_asked", expected=expected_asked, got=got_asked))
    return EvalReport(
        folder=folder,
        calls=len(calls),
        errors=list(errors),
        items=[item_agreement(i, per_item[i], core=i in core) for i in item_ids],
        motion=fact_agreement("motion", motions, [m.value for m in Motion]),
        trigger=fact_agreement("trigger", triggers, [t.value for t in Trigger]),
        discovery_asked=fact_agreement("discovery_asked", asked, []),
        mismatches=mismatches,
    )


def _scored_asked(card: Scorecard) -> list[Any]:
    try:
        asked = card.item("discovery_questions").details.get("asked")
    except KeyError:
        return []
    return list(asked) if isinstance(asked, (list, tuple)) else []


def _asked_text(asked: Iterable[Any]) -> str:
    return "[" + ", ".join(str(q) for q in sorted(set(asked), key=str)) + "]"


# -- the whole folder ------------------------------------------------------------------------


def evaluate_dir(
    folder: Path,
    spec: pipeline.CallSpec | None = None,
    *,
    grader: Grader | None = None,
    on_call: Callable[[str, bool], None] | None = None,
) -> EvalReport:
    """Read, score and compare every labelled call in `folder` (the spec's rubric and call type,
    each call's sellers from its labels); bad files become `errors`, not exceptions.

    With `grader` (the LLM's) each heuristic scorecard is graded too, and the
    report's `llm` part compares the two. `on_call(name, ok)` follows progress.
    """
    spec = spec or pipeline.resolve()
    rubric = spec.rubric
    item_ids = [item.id for item in rubric.items]
    pairs, errors = labelled_pairs(folder)
    calls: list[LabelledCall] = []
    graded: list[GradedPair] = []
    for call_path, labels_path in pairs:
        try:
            labels = load_labels(labels_path, item_ids)
            call = spec.for_call(sellers=labels.sellers)
            transcript = pipeline.read(call, call_path)
            card = pipeline.score(call, transcript)
            if grader is not None:
                heuristic, card = card, pipeline.grade(call, transcript, card, grader)
                graded.append(GradedPair(call=call_path.name, labels=labels.items, heuristic=heuristic, graded=card))
        except Exception as exc:  # a detector bug on one call is reported, and the rest still count
            errors.append(
                exc.one_line() if isinstance(exc, CoachError)
                else f"{call_path}: internal error ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})"
            )  # fmt: skip
            if on_call is not None:
                on_call(call_path.name, False)
            continue
        calls.append(LabelledCall(name=call_path.name, labels=labels, scorecard=card))
        if on_call is not None:
            on_call(call_path.name, True)
    report = compare(str(folder), calls, errors, core=_core_ids(rubric))
    if grader is not None:
        report.llm = llm_agreement(graded)
    return report


def _core_ids(rubric: Rubric) -> tuple[str, ...]:
    return tuple(item.id for item in rubric.items if item.core) or CORE_ITEMS


# -- folders labelled with one labels.json (real transcripts: ../shared/data/real-dev) -------------

REAL_LABELS = "labels.json"


class RealLabel(BaseModel):
    """One call in a `labels.json`: `call_type` (`sales_new_logo`, `sales_expansion`, `not_sales`) and, for
    sales calls, who sells and who buys. Other keys (domain, words...) are ignored."""

    model_config = ConfigDict(extra="ignore")

    call_type: str
    seller: str | None = None
    customer: str | None = None

    @property
    def expected_type(self) -> CallType:
        return CallType(self.call_type.removeprefix("sales_"))


class RealCall(BaseModel):
    name: str
    expected_type: CallType
    call_type: CallType
    seller: str | None = None  # the labelled seller
    sellers_found: list[str] = Field(default_factory=list)
    seller_right: bool = False
    score: float | None = None
    judged: int = 0  # items with pass or fail


class RealEvalReport(BaseModel):
    folder: str
    calls: int
    sales_calls: int
    seller_right: int  # the labelled seller is the seller and the labelled customer is not
    seller_wrong: int  # someone else was made the seller
    seller_none: int  # no seller found (honestly unknown)
    call_type_right: int
    call_type_confusion: dict[str, dict[str, int]]  # expected -> found -> calls
    not_sales_calls: int
    not_sales_unscored: int  # no score, no pass/fail verdict and no seller
    results: list[RealCall]
    errors: list[str] = Field(default_factory=list)


def real_label_files(folder: Path) -> list[Path]:
    """`folder/labels.json`, else one level down (`real-dev/sales_calls/labels.json`, `real-dev/meetings/...`)."""
    own = folder / REAL_LABELS
    return [own] if own.is_file() else sorted(folder.glob(f"*/{REAL_LABELS}"))


def _real_labels(path: Path) -> dict[str, RealLabel]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LabelsError(f"cannot read labels: {exc}", source=str(path)) from None
    if not isinstance(data, dict):
        raise LabelsError("labels.json must map call names to labels", source=str(path))
    try:
        return {name: RealLabel.model_validate(value) for name, value in data.items()}
    except (ValidationError, ValueError) as exc:
        raise LabelsError(f"bad label: {' '.join(str(exc).split())[:200]}", source=str(path)) from None


def _real_call(name: str, label: RealLabel, card: Scorecard) -> RealCall:
    sellers = [s.name for s in card.call.speakers if s.role is Role.seller]
    right = bool(label.seller) and label.seller in sellers and label.customer not in sellers
    return RealCall(
        name=name, expected_type=label.expected_type, call_type=card.call_type, seller=label.seller,
        sellers_found=sellers, seller_right=right, score=card.score,
        judged=sum(1 for i in card.items if i.verdict is not Verdict.not_applicable),
    )


def evaluate_real_dir(folder: Path, spec: pipeline.CallSpec | None = None) -> RealEvalReport:
    """Score every call named in the folder's `labels.json` (or its sub-folders') and compare:
    the sellers are what is measured, so the reader finds them."""
    spec = spec or pipeline.resolve()
    results: list[RealCall] = []
    errors: list[str] = []
    for labels_path in real_label_files(folder):
        for name, label in _real_labels(labels_path).items():
            matches = sorted(p for p in labels_path.parent.glob(f"{glob.escape(name)}.*") if p.name != REAL_LABELS)
            if not matches:
                errors.append(f"{labels_path}: {name}: no transcript file named {name}.*")
                continue
            try:
                card = pipeline.score(spec, pipeline.read(spec, matches[0]))
            except CoachError as exc:
                errors.append(exc.one_line())
                continue
            results.append(_real_call(name, label, card))
    sales = [r for r in results if r.expected_type is not CallType.not_sales]
    meetings = [r for r in results if r.expected_type is CallType.not_sales]
    confusion: dict[str, dict[str, int]] = {}
    for r in results:
        row = confusion.setdefault(r.expected_type.value, {})
        row[r.call_type.value] = row.get(r.call_type.value, 0) + 1
    return RealEvalReport(
        folder=str(folder),
        calls=len(results),
        sales_calls=len(sales),
        seller_right=sum(r.seller_right for r in sales),
        seller_wrong=sum(1 for r in sales if r.sellers_found and not r.seller_right),
        seller_none=sum(1 for r in sales if not r.sellers_found),
        call_type_right=sum(1 for r in results if r.call_type is r.expected_type),
        call_type_confusion=confusion,
        not_sales_calls=len(meetings),
        not_sales_unscored=sum(1 for r in meetings if r.score is None and not r.judged and not r.sellers_found),
        results=results,
        errors=errors,
    )
