"""`coach eval DIR --llm`: agreement without and with the LLM, dropped claims, tokens and seconds per call.

The model is a scripted local endpoint: on every call it judges each item it is asked about
`fail`, quoting the call's first seller turn for the opening (a real quote) and an invented
sentence for everything else (dropped). Everything else is real: readers, heuristics, labels.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from faultserver import ScriptedServer, completion
from typer.testing import CliRunner

from coach.cli import app
from coach.llm.client import reset_capability_cache
from coach.readers import read_path

ROOT = Path(__file__).resolve().parent.parent.parent
CALLS = ("h05_devtools_seats_upsell", "h09_retail_newlaunch_opener")


def labelled_folder(tmp_path: Path) -> Path:
    for stem in CALLS:
        for path in (ROOT / "fixtures/heldout").glob(f"{stem}.*"):
            shutil.copy(path, tmp_path / path.name)
    return tmp_path


def first_seller_words(folder: Path, stem: str) -> str:
    import yaml

    labels = yaml.safe_load((folder / f"{stem}.labels.yaml").read_text())
    call = next(p for p in folder.glob(f"{stem}.*") if not p.name.endswith(".labels.yaml"))
    transcript = read_path(call, sellers=labels["sellers"])
    seller = next(t for t in transcript.turns if transcript.role_of(t).value == "seller")
    return " ".join(seller.text.split()[:8])


def test_eval_with_the_llm_reports_agreement_without_and_with_it(tmp_path):
    reset_capability_cache()
    folder = labelled_folder(tmp_path)
    quotes = {first_seller_words(folder, stem) for stem in CALLS}

    def route(payload: dict) -> object:
        user = payload["messages"][1]["content"]
        quote = next(q for q in quotes if q in user)
        properties = payload["response_format"]["schema"]["properties"]
        reply: dict[str, object] = {}
        for item in properties:
            if item == "advice_for":
                reply[item] = {i: "" for i in properties[item]["properties"]}
            elif item == "signal_first_opening":
                reply[item] = {"evidence": [{"turn": 0, "quote": quote}], "verdict": "fail", "advice": ""}
            else:
                reply[item] = {"evidence": [{"turn": 0, "quote": "words nobody said"}], "verdict": "fail", "advice": ""}
        return completion(json.dumps(reply), prompt_tokens=900, completion_tokens=120)

    with ScriptedServer(route=route) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "COACH_LLM_MODEL": "scripted", "COACH_LLM_STRUCTURED_MODE": "json_object"}
        result = CliRunner(env=env).invoke(app, ["eval", str(folder), "--llm", "--json"])
        text = CliRunner(env=env).invoke(app, ["eval", str(folder), "--llm"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    llm = report["llm"]
    assert (llm["model"], llm["endpoint_kind"]) == ("scripted", "local")
    assert [c["llm_status"] for c in llm["calls"]] == ["ok", "ok"]
    assert all((c["tokens_in"], c["tokens_out"], c["requests"]) == (900, 120, 1) for c in llm["calls"])
    assert all(c["seconds"] >= 0 for c in llm["calls"])
    items = {i["id"]: i for i in llm["items"]}
    opening, framing = items["signal_first_opening"], items["diagnostic_framing"]
    assert opening["graded_by_llm"] and framing["graded_by_llm"] and not items["never_say"]["graded_by_llm"]
    # The opening's quote checked out: an opinion on both calls; h05 is labelled pass, h09 fail.
    assert (opening["n"], opening["llm_judged"], opening["llm_correct"], opening["llm_dropped"]) == (2, 2, 1, 0)
    # The framing's quote is invented: dropped on both calls, no opinion.
    assert (framing["llm_judged"], framing["llm_dropped"]) == (0, 2)
    # `both` policy: the LLM changes no verdict, so agreement with it equals agreement without it.
    assert all(i["changed"] == 0 and i["correct_with"] == i["correct_without"] for i in llm["items"])
    assert text.exit_code == 0 and "LLM graded 2 of 2 calls" in text.stdout and "900 tokens in" in text.stdout
