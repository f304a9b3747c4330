"""What a rubric author gets wrong that the schema cannot see, read from the rubric alone.

The schema (coach/rubric/schema.py) already refuses a malformed file with the field
path. These checks run on a valid rubric: ids of the bundled rubric stay stable
in a rubric that extends it (same `id`), weights are sensible, and an LLM question
asks one thing with a yes and a no that differ. Whether each item's examples get
the verdict they claim needs the scorer, so that half of `coach rubric check`
lives above scoring (coach/rubric_check.py).
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from coach.rubric.schema import Rubric, load_rubric

# One item carrying more than this share of the weight makes the score that item's verdict.
_MAX_WEIGHT_SHARE = 0.5


class LintIssue(BaseModel):
    source: str
    item: str | None  # None: the rubric as a whole
    field: str
    problem: str
    severity: str = "error"  # error | warning | note (said, never counted: what was not checked and how to)

    def line(self) -> str:
        where = f"items.{self.item}.{self.field}" if self.item else self.field
        return f"{self.source}: {self.severity}: {where}: {self.problem}"


def id_issues(rubric: Rubric, source: str) -> list[LintIssue]:
    bundled = load_rubric()
    if rubric.id != bundled.id:
        return []
    ids = {i.id for i in rubric.items}
    missing = [i.id for i in bundled.items if i.id not in ids]
    if not missing:
        return []
    return [LintIssue(source=source, item=None, field="items",
                      problem=f"extends {bundled.id} (same id) but drops its item id(s) {missing}: "
                              "dashboards and stored scorecards key on them; give the rubric a new id instead")]  # fmt: skip


def weight_issues(rubric: Rubric, source: str) -> list[LintIssue]:
    total = sum(i.weight for i in rubric.items)
    issues = []
    if len(rubric.items) > 2:
        for item in rubric.items:
            if item.weight / total > _MAX_WEIGHT_SHARE:
                issues.append(LintIssue(source=source, item=item.id, field="weight", severity="warning",
                                        problem=f"{item.weight:g} of {total:g} total: this one item decides the score"))  # fmt: skip
    return issues


# A question is compound when it asks two things: the model then answers one of them, and
# a yes means nothing. Read from the words alone (no parser), so the check is simple and
# says what it saw: two question marks, or "and" / "or" (or ";", "as well as") followed
# by a word that opens a new question ("... and did they ...", "... or who ...").
_QUESTION_OPENERS = (
    "did|does|do|is|are|was|were|has|have|had|can|could|will|would|should|shall|may|might|must"
    "|who|what|when|where|why|how|which|whose"
)
_JOINED_ASK = re.compile(rf"(?:\band/or\b|\band\b|\bor\b|\bas well as\b|;)\s+(?:then\s+|also\s+)?({_QUESTION_OPENERS})\b", re.I)
# "... confirm the reason and ask about budget?": "and" (or "or") before a verb a rep does is a
# second thing to do. A warning, from a short list of such verbs: "pricing and timeline" or
# "warmth and empathy" name one ask's topics and do not trip it.
_REP_VERBS = (
    "ask|asks|confirm|confirms|agree|agrees|offer|offers|set|sets|book|books|schedule|schedules|send|sends|share"
    "|shares|explain|explains|summarise|summarize|summarises|summarizes|recap|recaps|propose|proposes|mention"
    "|mentions|name|names|quantify|quantifies|identify|identifies|get|gets|make|makes|check|checks|follow|follows"
    "|close|closes|tell|tells|give|gives|present|presents|show|shows|discuss|discusses|cover|covers|review"
    "|reviews|establish|establishes|secure|secures|invite|invites|introduce|introduces|clarify|clarifies|address"
    "|addresses|handle|handles|acknowledge|acknowledges|restate|restates|repeat|repeats|avoid|avoids|pitch|pitches"
)
_SECOND_DEED = re.compile(rf"\b(and|or)\s+(?:then\s+|also\s+)?({_REP_VERBS})\b", re.I)


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def compound_problem(question: str) -> tuple[str, str] | None:
    """(severity, why) when `question` seems to ask more than one thing, else None."""
    marks = question.count("?")
    if marks > 1:
        return "error", f"asks {marks} questions (one '?' each); an item asks one, so split it into {marks} items"
    joined = _JOINED_ASK.search(question)
    if joined:
        return "error", (f"joins two asks with {joined.group(0).strip()!r}: the LLM would answer one of them; "
                         "split it into two items")  # fmt: skip
    deed = _SECOND_DEED.search(question)
    if deed:
        return "warning", (f"{deed.group(0)!r} adds a second thing to do, and the answer will not say which one "
                           "happened; split it into two items unless the two are one move")  # fmt: skip
    return None


def question_issues(rubric: Rubric, source: str) -> list[LintIssue]:
    """LLM question items: one question, and a yes and a no that say different things."""
    issues = []
    for item in rubric.items:
        if item.question is None:
            continue
        found = compound_problem(item.question)
        if found:
            severity, problem = found
            issues.append(LintIssue(source=source, item=item.id, field="question", severity=severity, problem=problem))
        if _normal(item.yes) == _normal(item.no):
            issues.append(LintIssue(source=source, item=item.id, field="no",
                                    problem="says the same as yes: the LLM cannot tell a pass from a fail"))  # fmt: skip
        if _normal(item.question) in (_normal(item.yes), _normal(item.no)):
            issues.append(LintIssue(source=source, item=item.id, field="yes" if _normal(item.question) == _normal(item.yes) else "no",
                                    problem="repeats the question; say what the call shows when the answer is yes (or no)"))  # fmt: skip
    return issues
