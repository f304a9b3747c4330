"""What the LLM adds, measured against labels (`coach eval DIR --llm`).

For every labelled call the heuristic scorecard and the LLM-graded one are both
kept. Per item this reports agreement with the labels without the LLM, with it
(the final verdicts under the rubric's merge policy), and of the LLM's own
evidenced opinion (what the item would get if the rubric let the LLM decide);
how many of the LLM's judgments were dropped for quotes the call does not
contain; and per call the tokens and seconds the grading cost. These figures
are what a rubric's `grader:` policy for a model should rest on.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field, computed_field

from coach.scorecard import ItemResult, Scorecard, Verdict


class LLMCallCost(BaseModel):
    call: str
    llm_status: str
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0
    requests: int = 0
    dropped_claims: int = 0


class LLMItemAgreement(BaseModel):
    id: str
    graded_by_llm: bool  # the rubric asks the LLM about this item (`grader: llm|both`)
    n: int
    correct_without: int  # heuristic verdict == label
    correct_with: int  # final verdict (after the merge policy) == label
    llm_judged: int  # calls where the LLM gave an opinion that survived the evidence check
    llm_correct: int  # ... and that opinion matched the label
    llm_dropped: int  # LLM judgments dropped for unverified quotes
    disputed: int  # calls where heuristics and LLM disagreed
    changed: int  # calls whose final verdict differs from the heuristic one

    @computed_field  # type: ignore[prop-decorator]
    @property
    def accuracy_without(self) -> float | None:
        return self.correct_without / self.n if self.n else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def accuracy_with(self) -> float | None:
        return self.correct_with / self.n if self.n else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def llm_accuracy(self) -> float | None:
        return self.llm_correct / self.llm_judged if self.llm_judged else None


class LLMAgreement(BaseModel):
    model: str | None = None
    endpoint_kind: str | None = None
    items: list[LLMItemAgreement] = Field(default_factory=list)
    calls: list[LLMCallCost] = Field(default_factory=list)

    @property
    def graded_calls(self) -> list[LLMCallCost]:
        return [c for c in self.calls if c.llm_status == "ok"]

    def mean(self, field: str) -> float | None:
        graded = self.graded_calls
        return sum(getattr(c, field) for c in graded) / len(graded) if graded else None


class GradedPair(BaseModel):
    """One labelled call scored both ways."""

    call: str
    labels: dict[str, Verdict]
    heuristic: Scorecard
    graded: Scorecard


def llm_agreement(pairs: Sequence[GradedPair]) -> LLMAgreement:
    item_ids: list[str] = []
    for pair in pairs:
        item_ids += [i for i in pair.labels if i not in item_ids]
    graded_ids: set[str] = set()
    calls: list[LLMCallCost] = []
    run_model = run_kind = None
    for pair in pairs:
        run = pair.graded.llm
        if run is None:
            continue
        graded_ids.update(run.items_graded)
        run_model, run_kind = run.model or run_model, run.endpoint_kind or run_kind
        calls.append(
            LLMCallCost(
                call=pair.call, llm_status=run.llm_status, tokens_in=run.tokens_in, tokens_out=run.tokens_out,
                seconds=run.wall_time_s, requests=run.requests, dropped_claims=run.dropped_claims,
            )
        )  # fmt: skip
    items = []
    for item_id in item_ids:
        counts = dict(n=0, correct_without=0, correct_with=0, llm_judged=0, llm_correct=0, llm_dropped=0, disputed=0, changed=0)
        for pair in pairs:
            label = pair.labels.get(item_id)
            if label is None:
                continue
            before = _item(pair.heuristic, item_id)
            after = _item(pair.graded, item_id)
            counts["n"] += 1
            counts["correct_without"] += before is not None and before.verdict is label
            counts["correct_with"] += after is not None and after.verdict is label
            if after is None:
                continue
            counts["llm_dropped"] += after.llm_dropped_claims
            counts["disputed"] += after.disputed
            counts["changed"] += before is None or before.verdict is not after.verdict
            if after.llm_opinion is not None:
                counts["llm_judged"] += 1
                counts["llm_correct"] += after.llm_opinion.verdict is label
        items.append(LLMItemAgreement(id=item_id, graded_by_llm=item_id in graded_ids, **counts))
    return LLMAgreement(model=run_model, endpoint_kind=run_kind, items=items, calls=calls)


def _item(card: Scorecard, item_id: str) -> ItemResult | None:
    return next((i for i in card.items if i.id == item_id), None)
