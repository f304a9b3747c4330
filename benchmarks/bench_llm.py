"""Embedded-model numbers: server start-up, per-call tokens and wall time, prompt overhead.

Run by hand (it starts the real embedded server and grades a few calls and a
synthetic 60-minute call; several minutes on 2 shared cores):

    .venv/bin/python benchmarks/bench_llm.py [--starts N] [--hour-calls N] [FILES...]

It prints a Markdown table for benchmarks/README.md. "transcript tokens" are
the embedded tokenizer's count of a request's turns as `Name: text` lines, the
least any prompt must carry; the budget is, per request (per window for a
long call), prompt tokens <= transcript tokens + 1,500. The prompt and
overhead columns are counted before sending (the grader's `plan`, what it
sends); "server prompt/completion" are what the server reported, summed over
windows and any repair re-ask.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_scoring import SELLER, fixture_lines, synthetic_call  # noqa: E402
from coach.llm.client import open_chat_model  # noqa: E402
from coach.llm.embedded import EmbeddedServer  # noqa: E402
from coach.llm.grader import LLMGrader  # noqa: E402
from coach.llm.settings import load_settings  # noqa: E402
from coach.llm.tokens import embedded_tokenizer  # noqa: E402
from coach.readers import read_bytes, read_path  # noqa: E402
from coach.transcript import Transcript, Turn  # noqa: E402

BUDGET_OVER_TRANSCRIPT = 1500
DEFAULT_CALLS = [
    ROOT / "fixtures/sample/expansion_call.txt",
    ROOT / "fixtures/labelled/02_plain_ts_fieldwise_pro_tier_all_fail.txt",
    ROOT / "fixtures/labelled/04_plain_quillsign_clm_new_gc_send_info_reopen.txt",
    ROOT / "fixtures/labelled/01_plain_ts_ledgerline_recon_clean_pass.txt",
]


def sellers_for(path: Path) -> list[str]:
    import yaml

    labels = path.with_name(path.name.rsplit(".", 1)[0] + ".labels.yaml")
    if labels.is_file():
        return list(yaml.safe_load(labels.read_text()).get("sellers", []))
    return ["Priya Shah", "Dan Ortiz"]


def load_rubric_and_scorer():
    """The bundled rubric and heuristic scorer when present; the cassette slice otherwise."""
    try:
        from coach.rubric.schema import load_rubric
        from coach.scoring import score_transcript

        rubric = load_rubric()
        return rubric, lambda t: score_transcript(t, rubric), "bundled"
    except ImportError:
        import yaml

        sys.path.insert(0, str(ROOT / "tests/llm"))
        from conftest import StubItem, StubRubric, heuristic_card

        data = yaml.safe_load((ROOT / "tests/llm/data/rubric_llm.yaml").read_text())
        rubric = StubRubric(id=data["id"], version=data["version"], items=tuple(StubItem(**i) for i in data["items"]))
        return rubric, lambda t: heuristic_card(t, {}), "tests/llm/data/rubric_llm.yaml"


def transcript_tokens(transcript: Transcript, turns: list[Turn] | None = None) -> int:
    shown = transcript.turns if turns is None else turns
    return embedded_tokenizer().count("\n".join(f"{transcript.speaker_name(t)}: {t.text}" for t in shown))


def server_cpu_s(server: EmbeddedServer) -> float:
    """CPU seconds the model server process has used (user + system): unlike wall time, not inflated by other jobs."""
    fields = Path(f"/proc/{server._process.pid}/stat").read_text().rsplit(")", 1)[1].split()  # type: ignore[union-attr]
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hour_calls(count: int) -> list[tuple[str, Transcript]]:
    """Synthetic 60-minute calls (~9,000 words, 700+ turns), as benchmarks/bench_scoring.py builds them."""
    lines = fixture_lines()
    return [
        (f"synthetic 60-min call (seed {seed})", read_bytes(synthetic_call(lines, 9000, seed), name=f"hour_{seed}.txt", sellers=[SELLER]))
        for seed in range(1, count + 1)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--starts", type=int, default=3, help="server start-ups to time")
    parser.add_argument("--hour-calls", type=int, default=1, help="synthetic 60-minute calls to grade")
    parser.add_argument("--no-files", action="store_true", help="grade only the synthetic 60-minute calls")
    parser.add_argument("--all-items", action="store_true", help="treat every rubric item as LLM-graded")
    args = parser.parse_args()
    files = [] if args.no_files else args.files or DEFAULT_CALLS
    print("load average at start: %.2f %.2f %.2f" % os.getloadavg())

    starts = []
    for _ in range(args.starts):
        with EmbeddedServer() as server:
            starts.append(server.startup.seconds)
    print(f"server start-up (process spawn to first 200 on /v1/models), {len(starts)} runs: "
          f"median {statistics.median(starts):.2f} s, min {min(starts):.2f} s, max {max(starts):.2f} s")  # fmt: skip

    rubric, score, rubric_name = load_rubric_and_scorer()
    if args.all_items:
        from dataclasses import dataclass

        @dataclass(frozen=True)
        class AllItems:
            id: str
            version: str
            items: tuple

        rubric = AllItems(rubric.id, rubric.version, tuple(_as_llm(i) for i in rubric.items))
    settings = load_settings(base_url=None, api_key=None)
    calls = [(path.name, read_path(path, sellers=sellers_for(path))) for path in files] + hour_calls(args.hour_calls)
    rows = []
    with EmbeddedServer() as server, open_chat_model(settings, server=server) as model:
        grader = LLMGrader(model, max_output_tokens=settings.max_output_tokens)
        for name, transcript in calls:
            card = score(transcript)
            planned = grader.plan(transcript, card, rubric)  # what grade() sends, counted before sending
            spoken = [transcript_tokens(transcript, [t.turn for t in r.window.turns]) for r in planned]
            overheads = [r.prompt_tokens - s for r, s in zip(planned, spoken)]
            worst = max(range(len(planned)), key=lambda i: overheads[i])
            cpu, began = server_cpu_s(server), time.perf_counter()
            out = grader.grade(transcript, card, rubric)
            wall, cpu = time.perf_counter() - began, server_cpu_s(server) - cpu
            run = out.llm
            failed = [i for i in out.items if i.verdict.value == "fail"]
            llm_advice = sum(i.advice_source == "llm" for i in failed)
            rows.append((name, len(transcript.turns), len(run.items_graded), sum(len(r.window.advice) for r in planned),
                         spoken[worst], planned[worst].prompt_tokens, overheads[worst], run.tokens_in, run.tokens_out,
                         wall, cpu, run.tokens_out / wall if wall else 0.0, run.windows, run.requests, run.llm_status,
                         run.dropped_claims, f"{llm_advice}/{len(failed)}"))  # fmt: skip
    print("load average at end: %.2f %.2f %.2f" % os.getloadavg())
    print(f"\nrubric: {rubric_name}, model: {model.model}, max output tokens {settings.max_output_tokens}\n")
    print("| call | turns | LLM items | advice asked | transcript tok* | prompt tok* | overhead* | server prompt tok | "
          "server completion tok | wall s | server CPU s | out tok/s | windows | requests | status | dropped | LLM advice / failed |")  # fmt: skip
    print("|---" * 17 + "|")
    for r in rows:
        print("| " + " | ".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in r) + " |")
    print("\n* for the request with the largest overhead (the only one unless the call needed windows)")
    over = [r for r in rows if r[6] > BUDGET_OVER_TRANSCRIPT]
    print(f"prompt budget per request (prompt <= transcript + {BUDGET_OVER_TRANSCRIPT}): {'OK' if not over else 'OVER for ' + ', '.join(r[0] for r in over)}")


def _as_llm(item):
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class LLMItem:
        id: str
        title: str
        description: str
        advice: dict
        grader: str = "both"

    return LLMItem(item.id, item.title, item.description, dict(item.advice))


if __name__ == "__main__":
    main()
