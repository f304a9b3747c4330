"""Which embedded model is worth shipping: the same small sample through each, run by hand.

    .venv/bin/python benchmarks/bench_models.py --model smollm2 --out /tmp/smol.json
    .venv/bin/python benchmarks/bench_models.py --model qwen2.5-coder-1.5b --out /tmp/qwen.json
    .venv/bin/python benchmarks/bench_models.py --table /tmp/smol.json /tmp/qwen.json

Everything goes through the product's own path: the embedded llama.cpp server
(`coach.llm.embedded.EmbeddedServer`), the openai client (`OpenAIChatModel`),
the grader (`LLMGrader`) and the role-play actor (`LLMActor`). A thin wrapper
around the model records each structured reply so the run can count what the
scorecard does not keep: replies valid as first sent, every quote the model
gave (verbatim or not), and every piece of advice it wrote against
`coach.llm.advice`'s usefulness check. Per model it reports:

- load: seconds until the server answers (plus, for a model shipped in parts,
  the one-off reassembly and hash, measured separately);
- speed: generation tokens/s and prompt tokens/s from one streamed reply;
- grading (CALLS, default four short held-out calls): seconds per request,
  JSON valid, quotes verbatim, advice passing the check, the LLM's verdicts
  against the labels, and failed items whose shown advice is the model's;
- role-play (SCENARIO's scripted good rep, TURNS lines): customer lines the
  actor checks (`coach.roleplay.checks.unusable`) let through, and why not.

The machine is shared: `uptime`'s load average is recorded with each figure.
A model the product does not ship is measured by pointing the embedded server
at its GGUF (`--gguf`); the figures and the decision they led to are in
README.md, "The 1.5B model".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.llm import embedded  # noqa: E402
from coach.llm.advice import call_vocabulary, why_not_useful  # noqa: E402
from coach.llm.errors import LLMError  # noqa: E402
from coach.llm.grader import ADVICE_KEY, LLMGrader  # noqa: E402
from coach.llm.protocol import ChatMessage  # noqa: E402
from coach.llm.quotes import find_quote  # noqa: E402
from coach.readers import read_path  # noqa: E402
from coach.roleplay.actor import CustomerLine, LLMActor  # noqa: E402
from coach.roleplay.scenario import load_scenarios  # noqa: E402
from coach.roleplay.session import play_turn, start_session  # noqa: E402
from coach.rubric.schema import load_rubric  # noqa: E402
from coach.scorecard import Verdict  # noqa: E402
from coach.scoring import score_transcript  # noqa: E402

HELDOUT = ROOT / "fixtures" / "heldout"
# Short calls with both labels of the opening and many heuristic fails (so advice is asked for).
DEFAULT_CALLS = ["h05_devtools_seats_upsell.txt", "h09_retail_newlaunch_opener.srt",
                 "h13_martech_featurelist_reask.vtt", "h15_energy_newvp_pricing.srt"]  # fmt: skip
PLAYS = ROOT / "tests" / "roleplay" / "data" / "plays.yaml"
COPY_OVERLAP = 0.6  # a used line sharing this much of its words with the scripted example mostly copies it
SPEED_PROMPT = "Write {n} long sentences a sales rep could say to open a renewal call about seat usage."


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Recording:
    """The chat model, with every structured reply (or failure) kept for counting."""

    def __init__(self, model: Any):
        self._model = model
        self.replies: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def structured(self, messages: list[ChatMessage], schema: Any, *, max_tokens: int, name: str = "reply") -> Any:
        began = time.monotonic()
        try:
            reply = self._model.structured(messages, schema, max_tokens=max_tokens, name=name)
        except LLMError as exc:
            self.replies.append({"ok": False, "seconds": time.monotonic() - began, "error": exc.short_reason(),
                                 "requests": getattr(exc, "requests_made", 1) or 1})  # fmt: skip
            raise
        self.replies.append({
            "ok": True, "seconds": time.monotonic() - began, "attempts": reply.attempts, "value": reply.value,
            "prompt_tokens": reply.usage.prompt_tokens, "completion_tokens": reply.usage.completion_tokens,
            "finish_reason": reply.finish_reason,
        })  # fmt: skip
        return reply


def use_model(name: str, gguf: Path | None) -> None:
    """Points the embedded server at `name`'s GGUF (the product's default when it is SmolLM2)."""
    if name == "smollm2":
        return
    if gguf is None or not gguf.is_file():
        raise SystemExit(f"--gguf: the {name} GGUF file is needed ({gguf})")
    embedded.verified_gguf = lambda: gguf  # type: ignore[assignment]
    embedded.MODEL_ALIAS = name


def speed(model: Any, repeats: int = 3) -> dict[str, Any]:
    """Generation and prompt tokens/s: the median of `repeats` streamed replies, each to a new prompt
    (so the server's prompt cache does not help), timed from the first streamed token to the last."""
    runs = []
    for n in range(repeats):
        messages = [ChatMessage(role="user", content=SPEED_PROMPT.format(n=n + 4))]
        began = time.monotonic()
        first = last = None
        text = ""
        for delta in model.stream_structured(messages, CustomerLine, max_tokens=160, name="speed"):
            now = time.monotonic()
            first = first or now
            last = now
            text += delta
        assert first is not None and last is not None
        out_tokens = model.count_tokens(text)
        runs.append({"gen_tok_s": (out_tokens - 1) / max(last - first, 1e-6), "out_tokens": out_tokens,
                     "prompt_tok_s": model.count_messages(messages) / max(first - began, 1e-6)})  # fmt: skip
    return {
        "gen_tok_s": round(statistics.median(r["gen_tok_s"] for r in runs), 2),
        "prompt_tok_s": round(statistics.median(r["prompt_tok_s"] for r in runs), 1),
        "out_tokens": [r["out_tokens"] for r in runs],
        "load": load_average(),
    }


def grade_calls(model: Any, calls: list[Path]) -> dict[str, Any]:
    from coach.evaluation import load_labels

    rubric = load_rubric()
    items = {i.id: i for i in rubric.items}
    recorder = Recording(model)
    grader = LLMGrader(recorder)
    per_call = []
    for path in calls:
        labels = load_labels(path.with_name(path.name.rsplit(".", 1)[0] + ".labels.yaml"))
        transcript = read_path(path, sellers=labels.sellers)
        card = score_transcript(transcript, rubric)
        start = len(recorder.replies)
        load_before = load_average()
        began = time.monotonic()
        graded = grader.grade(transcript, card, rubric)
        seconds = time.monotonic() - began
        replies = recorder.replies[start:]
        turn_texts = [t.text for t in transcript.turns]
        words = call_vocabulary(turn_texts)
        quotes = verbatim = written = passing = 0
        why: Counter[str] = Counter()
        examples: list[dict[str, str]] = []
        verdicts: list[dict[str, str]] = []
        for reply in replies:
            if not reply["ok"]:
                continue
            value = reply["value"]
            pieces: list[tuple[str, str]] = []
            for item_id in graded.llm.items_graded:  # type: ignore[union-attr]
                judgement = getattr(value, item_id)
                for claim in judgement.evidence:
                    quotes += 1
                    verbatim += any(find_quote(claim.quote, t) for t in turn_texts)
                pieces.append((item_id, judgement.advice))
                label = labels.items.get(item_id)
                verdicts.append({"item": item_id, "llm": judgement.verdict, "label": label.value if label else "?"})
            asked = getattr(value, ADVICE_KEY, None)
            if asked is not None:
                pieces += [(k, v) for k, v in asked.model_dump().items()]
            for item_id, text in pieces:
                if not text.strip():
                    continue
                item = items[item_id]
                item_text = " ".join([item.title, item.description, *item.advice.values()])
                written += 1
                reason = why_not_useful(text, item_text, words)
                passing += reason is None
                why[reason or "passes"] += 1
                examples.append({"item": item_id, "advice": text, "check": reason or "passes"})
        failed = [i for i in graded.items if i.verdict is Verdict.fail]
        opinions = [i for i in graded.items if i.llm_opinion is not None]
        per_call.append({
            "call": path.name, "seconds": round(seconds, 1), "load_before": load_before, "load_after": load_average(),
            "llm_status": graded.llm.llm_status,  # type: ignore[union-attr]
            "requests": sum(r.get("attempts", r.get("requests", 1)) for r in replies),
            "replies": len(replies), "valid_first": sum(1 for r in replies if r["ok"] and r["attempts"] == 1),
            "valid_repaired": sum(1 for r in replies if r["ok"] and r["attempts"] > 1),
            "invalid": sum(1 for r in replies if not r["ok"]),
            "cut_at_limit": sum(1 for r in replies if r.get("finish_reason") == "length"),
            "tokens_in": graded.llm.tokens_in, "tokens_out": graded.llm.tokens_out,  # type: ignore[union-attr]
            "quotes": quotes, "verbatim": verbatim, "advice_written": written, "advice_passing": passing,
            "advice_why": dict(why), "advice_examples": examples, "llm_verdicts": verdicts,
            "evidenced_right": sum(1 for i in opinions if labels.items.get(i.id) is i.llm_opinion.verdict),  # type: ignore[union-attr]
            "evidenced": len(opinions),
            "final_right": sum(1 for i in graded.items if labels.items.get(i.id) is i.verdict),
            "heuristic_right": sum(1 for i in card.items if labels.items.get(i.id) is i.verdict),
            "labelled": sum(1 for i in graded.items if i.id in labels.items),
            "failed_items": len(failed), "failed_with_llm_advice": sum(1 for i in failed if i.advice_source == "llm"),
            "shown_llm_advice": [{"item": i.id, "advice": i.advice} for i in failed if i.advice_source == "llm"],
        })  # fmt: skip
        print(f"  {path.name}: {seconds:.0f} s, {graded.llm.llm_status}, quotes {verbatim}/{quotes}, "  # type: ignore[union-attr]
              f"advice {passing}/{written}, load {load_average()}", flush=True)  # fmt: skip
    return {"calls": per_call}


def _overlap(a: str, b: str) -> float:
    x, y = set(a.lower().split()), set(b.lower().split())
    return len(x & y) / len(x | y) if x | y else 0.0


def role_play(model: Any, scenario_id: str, turns: int) -> dict[str, Any]:
    scenario = load_scenarios()[scenario_id]
    plays = yaml.safe_load(PLAYS.read_text())
    actor = LLMActor(model)
    state = start_session(scenario, rep_name="Sam Carter")
    lines = []
    for rep_line in plays[scenario_id]["good"]["rep_lines"][:turns]:
        began = time.monotonic()
        result = play_turn(state, rep_line, actor)
        state = result.state
        lines.append({
            "rep": rep_line, "seconds": round(time.monotonic() - began, 1), "source": result.customer.source,
            "fallback_reason": result.customer.fallback_reason, "model_said": actor.last_raw,
            "shown": result.customer.text, "move": result.customer.move.kind.value if result.customer.move else None,
            "scripted": result.customer.move.scripted if result.customer.move else "",
        })  # fmt: skip
        lines[-1]["copies_script"] = _overlap(lines[-1]["shown"], lines[-1]["scripted"]) > COPY_OVERLAP and lines[-1]["source"] == "llm"
        print(f"  turn {len(lines)}: {result.customer.source} {result.customer.fallback_reason or ''} "
              f"({lines[-1]['seconds']} s) {actor.last_raw!r}", flush=True)  # fmt: skip
        if result.ended:
            break
    return {"scenario": scenario_id, "lines": lines, "load": load_average()}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from coach.llm.client import open_chat_model
    from coach.llm.settings import load_settings

    use_model(args.model, args.gguf)
    out: dict[str, Any] = {"model": args.model, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                           "load_start": load_average(), "gguf_bytes": embedded.verified_gguf().stat().st_size}  # fmt: skip
    settings = load_settings()
    with embedded.EmbeddedServer(threads=args.threads, start_timeout_s=300) as server:
        out["load_s"] = round(server.startup.seconds, 2)  # type: ignore[union-attr]
        out["load_at_start"] = load_average()
        print(f"{args.model}: server up in {out['load_s']} s, load {out['load_at_start']}", flush=True)
        with open_chat_model(settings, server=server) as model:
            out["speed"] = speed(model)
            print(f"  speed {out['speed']}", flush=True)
            if args.turns:
                out["roleplay"] = role_play(model, args.scenario, args.turns)
            if args.calls:
                out["grading"] = grade_calls(model, [HELDOUT / c for c in args.calls])
    out["load_end"] = load_average()
    return out


def _rate(a: int, b: int) -> str:
    return f"{a}/{b}" if b else "-"


def table(paths: list[Path]) -> None:
    print("| model | GGUF | load s | gen tok/s | prompt tok/s | s/request (median) | JSON valid first time | "
          "quotes verbatim | advice passing the check | failed items showing model advice | actor lines used | "
          "LLM verdicts right (label) | load avg |")  # fmt: skip
    print("| --- |" + " ---: |" * 12)
    for path in paths:
        r = json.loads(path.read_text())
        calls = r["grading"]["calls"]
        s = lambda key: sum(c[key] for c in calls)  # noqa: E731
        per_request = [c["seconds"] / max(c["replies"], 1) for c in calls]
        verdicts = [v for c in calls for v in c["llm_verdicts"] if v["label"] != "?"]
        lines = r.get("roleplay", {}).get("lines", [])
        reasons = Counter(line["fallback_reason"] for line in lines if line["source"] != "llm")
        copied = sum(1 for x in lines if x["copies_script"]) if all("copies_script" in x for x in lines) else "?"
        print(f"| {r['model']} | {r['gguf_bytes'] / 1e6:.0f} MB | {r['load_s']} | {r['speed']['gen_tok_s']} | "
              f"{r['speed']['prompt_tok_s']} | {statistics.median(per_request):.0f} | "
              f"{_rate(s('valid_first'), s('replies'))} | {_rate(s('verbatim'), s('quotes'))} | "
              f"{_rate(s('advice_passing'), s('advice_written'))} | {_rate(s('failed_with_llm_advice'), s('failed_items'))} | "
              f"{_rate(sum(1 for x in lines if x['source'] == 'llm'), len(lines))} ({copied} copy the script) | "
              f"{_rate(sum(1 for v in verdicts if v['llm'] == v['label']), len(verdicts))} | "
              f"{r['load_start']} .. {r['load_end']} |")  # fmt: skip
        if reasons:
            print(f"|   actor fallbacks: {dict(reasons)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--gguf", type=Path, default=None, help="the GGUF for a model other than the bundled SmolLM2")
    parser.add_argument("--calls", nargs="*", default=DEFAULT_CALLS, help="file names in fixtures/heldout/ (none: skip grading)")
    parser.add_argument("--scenario", default="usage_threshold_upsell")
    parser.add_argument("--turns", type=int, default=8, help="role-play lines (0: skip role-play)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--table", nargs="*", type=Path, help="print the Markdown table of earlier --out files")
    args = parser.parse_args()
    if args.table:
        table(args.table)
        return
    result = run(args)
    text = json.dumps(result, indent=1, default=str)
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    os._exit(0)  # the tokenizer's llama.cpp finaliser can print on interpreter teardown


if __name__ == "__main__":
    main()
