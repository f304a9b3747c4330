"""Embedded-model numbers: server start-up, per-call tokens and wall time, prompt overhead.

Run by hand (it starts the real embedded server and grades a few calls; a few
minutes on 2 shared cores):

    .venv/bin/python benchmarks/bench_llm.py [--calls N] [--starts N] [FILES...]

It prints a Markdown table for benchmarks/README.md. "transcript tokens" are
the embedded tokenizer's count of the call as `Name: text` lines, the least
any prompt must carry; the budget is prompt tokens <= transcript + 1,500.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.llm.client import open_chat_model  # noqa: E402
from coach.llm.embedded import EmbeddedServer  # noqa: E402
from coach.llm.grader import LLMGrader  # noqa: E402
from coach.llm.settings import load_settings  # noqa: E402
from coach.llm.tokens import embedded_tokenizer  # noqa: E402
from coach.readers import read_path  # noqa: E402
from coach.transcript import Transcript  # noqa: E402

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
        from coach.rubric import load_rubric
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


def transcript_tokens(transcript: Transcript) -> int:
    text = "\n".join(f"{transcript.speaker_name(t)}: {t.text}" for t in transcript.turns)
    return embedded_tokenizer().count(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--starts", type=int, default=3, help="server start-ups to time")
    parser.add_argument("--all-items", action="store_true", help="treat every rubric item as LLM-graded")
    args = parser.parse_args()
    files = args.files or DEFAULT_CALLS

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
    rows = []
    with EmbeddedServer() as server, open_chat_model(settings, server=server) as model:
        grader = LLMGrader(model, max_output_tokens=settings.max_output_tokens)
        for path in files:
            transcript = read_path(path, sellers=sellers_for(path))
            card = score(transcript)
            began = time.perf_counter()
            out = grader.grade(transcript, card, rubric)
            wall = time.perf_counter() - began
            run = out.llm
            t_tokens = transcript_tokens(transcript)
            rows.append((path.name, len(transcript.turns), len(run.items_graded), t_tokens, run.tokens_in,
                         run.tokens_in - t_tokens, run.tokens_out, wall, run.tokens_out / wall if wall else 0.0,
                         run.windows, run.llm_status, run.dropped_claims))  # fmt: skip
    print(f"\nrubric: {rubric_name}, model: {model.model}, max output tokens {settings.max_output_tokens}\n")
    print("| call | turns | LLM items | transcript tok | prompt tok | overhead | completion tok | wall s | out tok/s | windows | status | dropped |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]} | {r[6]} | {r[7]:.1f} | {r[8]:.1f} | {r[9]} | {r[10]} | {r[11]} |")
    over = [r for r in rows if r[9] == 1 and r[5] > BUDGET_OVER_TRANSCRIPT]
    print(f"\nprompt budget (prompt <= transcript + {BUDGET_OVER_TRANSCRIPT}): {'OK' if not over else 'OVER for ' + ', '.join(r[0] for r in over)}")


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
