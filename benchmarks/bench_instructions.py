"""Instructions per stage of read + score, counted by callgrind: run by hand,
`.venv/bin/python benchmarks/bench_instructions.py [STAGE...]`.

Wall and CPU times move with whatever else the two cores are doing; an
instruction count does not (the same code and input give the same count, give
or take a few thousand), so a speed-up can be measured while other work runs.
Each stage runs twice to warm up, then `--runs` times between callgrind's
start/stop client requests; the figure is instructions per run. Needs
valgrind (`apt-get install valgrind`) and gcc, both on the team machines. On
the final main of session 5, 7.5-7.7 M instructions took about 1 ms of CPU.

Stages (all by default; the names it prints): those of `bench_scoring.stages`,
the whole read + `score_call` of the benchmark's synthetic 60-minute call, its
parts, and a bare `nlp.pipe` pass for scale.
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
    """`bench_scoring.stages` of the benchmark's synthetic 60-minute call, by short name."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_scoring import SELLER, fixture_lines, stages as timed_stages, synthetic_call

    from coach.readers import read_bytes

    data = synthetic_call(fixture_lines(), 9000, seed=0)
    transcript = read_bytes(data, name="synthetic.txt", sellers=[SELLER])
    return {_short(name): fn for name, fn in timed_stages(data, transcript).items()}


def _short(name: str) -> str:
    """ "    token arrays (call_arrays)" -> "token-arrays": a stage's name on the command line."""
    return "-".join(name.strip().split(" (")[0].replace("+", "plus").split())


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
    names = args.stage or list(stages())
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


if __name__ == "__main__":
    main()
