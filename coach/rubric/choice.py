"""The call-type gate: which rubric scores a call.

A rubric the user names (`--rubric FILE`) scores every call. Otherwise the call's
type picks one of the bundled rubrics through the `rubrics:` map of
`rubrics/call_types.yaml` (new_logo calls get the first-call discovery rubric;
expansion, unknown and not_sales calls the expansion rubric): data, not code.

    rubric_for(call_type, bundled_by_call_type(), explicit=None) -> RubricChoice

Front ends (the CLI's batch, the API's scorer, a pipeline's per-run call spec)
resolve `explicit` once per run and call this once per call, after the call
type is known. `bundled_rubric(ref)` finds the bundled rubric a stored
scorecard names, for whoever re-scores or grades it later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coach.callcues import CallTypeData, load_cues
from coach.resources import data_file
from coach.rubric.schema import BUNDLED_RUBRIC, Rubric, load_bundled_rubrics, load_rubric
from coach.scorecard import CallType

GATE_FILE = "rubrics/call_types.yaml"


@dataclass(frozen=True)
class RubricChoice:
    rubric: Rubric
    reason: str  # one line for the scorecard: why this rubric scored the call


def bundled_by_call_type(cues: CallTypeData | None = None) -> dict[CallType, Rubric]:
    """Call type -> the bundled rubric that scores it, per the gate map of `cues` (the bundled
    cue file by default; the expansion rubric for every type when it has no map). Loaded
    rubrics are cached per file."""
    names = (cues or load_cues()).rubrics
    return {kind: load_rubric(data_file("rubrics", names.get(kind, BUNDLED_RUBRIC))) for kind in CallType}


def rubric_for(call_type: CallType, rubrics: Mapping[CallType, Rubric], explicit: Rubric | None = None) -> RubricChoice:
    """The rubric that scores a call of `call_type`: `explicit` when the user named one, else the gate's."""
    if explicit is not None:
        return RubricChoice(explicit, f"named by the user (--rubric); the call type ({call_type.value}) did not choose it")
    rubric = rubrics[call_type]
    return RubricChoice(rubric, f"the rubric for {call_type.value} calls ({GATE_FILE})")


def bundled_rubric(rubric_id: str, version: str | None = None) -> Rubric | None:
    """The bundled rubric with this id (and version, when given), if the server still has it."""
    for rubric in load_bundled_rubrics():
        if rubric.id == rubric_id and (version is None or rubric.version == version):
            return rubric
    return None
