"""Instructions per stage of read + score, counted by callgrind: run by hand,
`.venv/bin/python benchmarks/bench_instructions.py [STAGE...]`.

Wall and CPU times move with whatever else the two cores are doing; an
instruction count does not (the same code and input give the same count, give
or take a few thousand), so a speed-up can be measured while other work runs.
Each stage runs twice to warm up, then `--runs` times between callgrind's
start/stop client requests; the figure is instructions per run. Needs
valgrind (`apt-get install valgrind`) and gcc, both on the team machines. On
the final main of session 5, 7.5-7.7 M instructions took about 1 ms of CPU.

Stages (all by default): the whole read + `score_call` of the benchmark's
synthetic 60-minute call, its parts, and a bare `nlp.pipe` pass for scale.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# callgrind's client requests are macros in valgrind's header: a two-function library gives
# Python a way to start and stop counting around one stage.
_CONTROL_C = """
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; CALLGRIND_TOGGLE_COLLECT; }
void cg_stop(void) { CALLGRIND_TOGGLE_COLLECT; CALLGRIND_DUMP_STATS; }
"""


def stages() -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_scoring import SELLER, fixture_lines, synthetic_call

    from coach.calltype import classify_call
    from coach.checks.context import CallContext
    from coach.detectors.metrics import compute_metrics
    from coach.parties import find_parties
    from coach.readers import read_bytes
    from coach.readers.roles import score_speakers
    from coach.rubric.schema import load_rubric
    from coach.scoring import score_call
    from coach.text.callpass import call_arrays
    from coach.text.lines import get_analyser
    from coach.text.nlp import normalise

    data = synthetic_call(fixture_lines(), 9000, seed=0)
    transcript = read_bytes(data, name="synthetic.txt", sellers=[SELLER])
    rubric = load_rubric()
    analyser = get_analyser(rubric)
    nlp = analyser.lexicon.nlp
    texts = [normalise(t.text) for t in transcript.turns]
    arrays = call_arrays(nlp, texts)
    audiences = [transcript.role_of(t).value for t in transcript.turns]
    ctx = CallContext(transcript, rubric)
    return {
        "read+score": lambda: score_call(read_bytes(data, name="synthetic.txt", sellers=[SELLER])),
        "read": lambda: read_bytes(data, name="synthetic.txt", sellers=[SELLER]),
        "role-heuristic": lambda: score_speakers(transcript),
        "score": lambda: score_call(transcript),
        "context": lambda: CallContext(transcript, rubric),
        "token-arrays": lambda: call_arrays(nlp, texts),
        "matcher": lambda: [analyser.lexicon.match(a, r) for a, r in zip(arrays, audiences)],
        "line-analysis": lambda: [analyser.analyse(t.text, a, r) for t, a, r in zip(transcript.turns, arrays, audiences)],
        "call-type": lambda: classify_call(transcript),
        "parties": lambda: find_parties(transcript),
        "metrics": lambda: compute_metrics(ctx),
        "bare-nlp-pipe": lambda: list(nlp.pipe(texts)),
    }


def child(names: list[str], runs: int, library: str) -> None:
    """Inside valgrind: run each stage between the client requests, in order."""
    table = stages()
    control = ctypes.CDLL(library)
    gc.disable()  # the scorer pauses the collector itself; a stage alone must not pay for passes
    for name in names:
        fn = table[name]
        fn()
        fn()
        control.cg_start()
        for _ in range(runs):
            fn()  # type: ignore[operator]
        control.cg_stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", nargs="*", help="stages to count (default: all)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.stage, args.runs, args.child)
        return
    for tool in ("valgrind", "gcc"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench_instructions: {tool} is not installed (apt-get install {tool})")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    names = args.stage or list(_stage_names())
    with tempfile.TemporaryDirectory(prefix="coach-cg-") as tmp:
        library = Path(tmp) / "libcgctl.so"
        source = Path(tmp) / "cgctl.c"
        source.write_text(_CONTROL_C)
        subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
        out = Path(tmp) / "cg"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
            f"--callgrind-out-file={out}", sys.executable, __file__, *names,
            "--runs", str(args.runs), "--child", str(library),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if done.returncode:
            raise SystemExit(f"bench_instructions: valgrind failed:\n{done.stderr[-2000:]}")
        dumps = sorted(Path(tmp).glob("cg.*"), key=lambda p: int(p.suffix[1:]))
        if len(dumps) != len(names):
            raise SystemExit(f"bench_instructions: {len(dumps)} callgrind dumps for {len(names)} stages")
        for name, dump in zip(names, dumps):
            total = next(int(line.split()[1]) for line in dump.read_text().splitlines() if line.startswith("summary:"))
            print(f"{name:16s} {total / args.runs / 1e6:8.1f} M instructions per run")


def _stage_names() -> list[str]:
    return ["read+score", "read", "role-heuristic", "score", "context", "token-arrays", "matcher",
            "line-analysis", "call-type", "parties", "metrics", "bare-nlp-pipe"]  # fmt: skip


if __name__ == "__main__":
    main()
