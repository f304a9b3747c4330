"""Speed and memory of reading + scoring, run by hand: `.venv/bin/python benchmarks/bench_scoring.py`.

Measures, on a synthetic 60-minute call (~9,000 words, built from the turns of
the fixture calls):
  1. reading + every heuristic, median of --runs on one core (target <= 50 ms);
  2. a bare `nlp.pipe` pass of the same pipeline over the same turns, and the
     ratio 1 / 2 (target <= 3x);
  3. a folder of --calls such calls scored by the batch runner on both cores
     (target >= 40 calls/s);
  4. peak resident memory of this process and of the largest worker (target < 300 MB).
Targets come from issue 3; results go in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coach import batch, pipeline  # noqa: E402
from coach.callfiles import calls_in  # noqa: E402
from coach.readers import read_bytes, read_path  # noqa: E402
from coach.render import OutputFormat  # noqa: E402
from coach.scoring import score_call  # noqa: E402
from coach.text.nlp import get_nlp, normalise  # noqa: E402
from coach.scorecard import CallType  # noqa: E402
from coach.transcript import Role, Transcript  # noqa: E402

SELLER, CUSTOMER = "Priya Shah", "Marcus Lee"


def fixture_lines() -> list[tuple[Role, str]]:
    """(role, text) of every turn in the labelled set (or the sample when it is absent)."""
    labelled = ROOT / "fixtures" / "labelled"
    lines: list[tuple[Role, str]] = []
    sources = calls_in(labelled) if labelled.is_dir() else []
    sources = sources or calls_in(ROOT / "fixtures" / "sample")
    for path in sources:
        labels = path.with_name(path.stem + ".labels.yaml")
        sellers: list[str] = []
        if labels.exists():
            sellers = re.findall(r"^sellers:\s*\[(.*)\]", labels.read_text(), re.M)
            sellers = [s.strip() for s in sellers[0].split(",")] if sellers else []
        try:
            transcript = read_path(path, sellers=sellers or [SELLER, "Dan Ortiz"])
        except Exception:  # noqa: BLE001 - an unreadable fixture just contributes no lines
            continue
        for turn in transcript.turns:
            role = transcript.role_of(turn)
            lines.append((role if role is not Role.unknown else Role.customer, turn.text))
    if not lines:
        raise SystemExit("no fixture turns to build a synthetic call from")
    return lines


def synthetic_call(lines: list[tuple[Role, str]], words: int, seed: int) -> bytes:
    """A plain `[h:mm:ss] Name: text` call of about `words` words over 60 minutes, two speakers alternating."""
    rng = random.Random(seed)
    chosen: list[tuple[Role, str]] = []
    total = 0
    while total < words:
        role, text = rng.choice(lines)
        chosen.append((role, text))
        total += len(text.split())
    out = []
    elapsed = 0.0
    per_word = 3600.0 / total
    previous = None
    for role, text in chosen:
        name = SELLER if role is Role.seller else CUSTOMER
        if name == previous:  # keep turns separate: the reader merges consecutive lines of one speaker
            name = CUSTOMER if name == SELLER else SELLER
        previous = name
        h, rest = divmod(int(elapsed), 3600)
        m, s = divmod(rest, 60)
        out.append(f"[{h:02d}:{m:02d}:{s:02d}] {name}: {text}")
        elapsed += len(text.split()) * per_word
    return ("\n".join(out) + "\n").encode()


def median_ms(fn, runs: int) -> tuple[float, float]:
    """(wall, cpu) medians in ms; cpu (`process_time`) is what to trust when other jobs share the cores."""
    fn()  # warm-up: the pipeline and the rubric are built once per process
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def stages(data: bytes, transcript: Transcript) -> dict[str, Callable[[], object]]:
    """The stages of read + score of one call, each runnable on its own (so they need not add
    up exactly): reading (of which the role heuristic), the call context (token arrays, then
    the matcher and line analysis per turn), what scoring does after it, and a bare
    `nlp.pipe` pass for scale. `bench_instructions.py` counts the same stages."""
    from coach.calltype import classify_call
    from coach.checks.context import CallContext
    from coach.detectors.metrics import compute_metrics
    from coach.parties import find_parties
    from coach.readers.roles import score_speakers
    from coach.rubric.schema import load_rubric
    from coach.text.callpass import call_arrays
    from coach.text.lines import get_analyser

    rubric = load_rubric()
    analyser = get_analyser(rubric)
    nlp = analyser.lexicon.nlp
    texts = [normalise(t.text) for t in transcript.turns]
    arrays = call_arrays(nlp, texts)
    audiences = [transcript.role_of(t).value for t in transcript.turns]
    ctx = CallContext(transcript, rubric)
    return {
        "read + score (read_bytes, score_call)": lambda: score_call(read_bytes(data, name="synthetic.txt", sellers=[SELLER])),
        "read (read_bytes)": lambda: read_bytes(data, name="synthetic.txt", sellers=[SELLER]),
        "  role heuristic (score_speakers)": lambda: score_speakers(transcript),
        "score (score_call)": lambda: score_call(transcript),
        "  call context (CallContext)": lambda: CallContext(transcript, rubric),
        "    token arrays (call_arrays)": lambda: call_arrays(nlp, texts),
        "    matcher (every turn)": lambda: [analyser.lexicon.match(a, r) for a, r in zip(arrays, audiences)],
        "    line analysis (incl. matcher)": lambda: [
            analyser.analyse(t.text, a, r) for t, a, r in zip(transcript.turns, arrays, audiences)
        ],
        "  call type (classify_call)": lambda: classify_call(transcript),
        "  parties (find_parties)": lambda: find_parties(transcript),
        "  metrics (compute_metrics)": lambda: compute_metrics(ctx),
        "bare pipeline (nlp.pipe)": lambda: list(nlp.pipe(texts)),
    }


def print_stages(data: bytes, transcript: Transcript, runs: int) -> None:
    """CPU medians of the stages (`stages`), and of what a batch worker does per file on top
    of read + score: read the file, render JSON, build the outcome."""
    call_file = Path(tempfile.mkdtemp(prefix="coach-bench-")) / "synthetic.txt"
    call_file.write_bytes(data)
    run = batch.BatchRun(spec=pipeline.resolve(sellers=[SELLER], gate=True), format=OutputFormat.json)
    timed = {"batch.score_file (file, read + score + JSON)": lambda: batch.score_file(run, call_file),
             **stages(data, transcript)}  # fmt: skip
    try:
        for name, fn in timed.items():
            print(f"  {name:52s} cpu {median_ms(fn, runs)[1]:6.1f} ms")
    finally:
        call_file.unlink()
        call_file.parent.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--calls", type=int, default=1000, help="0 skips the folder run")
    parser.add_argument("--words", type=int, default=9000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stages", action="store_true", help="also time the stages of read + score, one by one")
    args = parser.parse_args()

    lines = fixture_lines()
    data = synthetic_call(lines, args.words, seed=0)
    transcript = read_bytes(data, name="synthetic.txt", sellers=[SELLER])
    n_words = sum(len(t.text.split()) for t in transcript.turns)
    print(f"synthetic call: {n_words} words, {len(transcript.turns)} turns, {len(data) / 1024:.0f} KiB, "
          f"{len(lines)} distinct fixture turns to draw from")

    affinity = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(affinity)})  # the single-call figures are for one core
    try:
        def read_and_score() -> None:
            score_call(read_bytes(data, name="synthetic.txt", sellers=[SELLER]))  # what coach score runs: the gate picks the rubric

        full, full_cpu = median_ms(read_and_score, args.runs)
        print(f"read + score, median of {args.runs}: wall {full:.1f} ms, cpu {full_cpu:.1f} ms   (target <= 50 ms)")
        nlp = get_nlp()
        texts = [normalise(t.text) for t in transcript.turns]
        bare, bare_cpu = median_ms(lambda: list(nlp.pipe(texts)), args.runs)
        print(f"bare nlp.pipe over the same turns, median: wall {bare:.1f} ms, cpu {bare_cpu:.1f} ms;  "
              f"ratio wall {full / bare:.2f}x, cpu {full_cpu / bare_cpu:.2f}x   (target <= 3x)")
        def read_and_score_new_logo() -> None:
            # the same words typed new_logo: the gate scores them with the first-call rubric
            score_call(read_bytes(data, name="synthetic.txt", sellers=[SELLER]), call_type=CallType.new_logo)

        logo, logo_cpu = median_ms(read_and_score_new_logo, args.runs)
        print(f"  the same call typed new_logo (first-call rubric): wall {logo:.1f} ms, cpu {logo_cpu:.1f} ms")
        if args.stages:
            print_stages(data, transcript, args.runs)
    finally:
        os.sched_setaffinity(0, affinity)

    if args.calls:
        throughput(lines, args)
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: this process {self_mb:.0f} MB, largest worker {child_mb:.0f} MB   (target < 300 MB)")


def throughput(lines: list[tuple[Role, str]], args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        folder = Path(tmp)
        for i in range(args.calls):
            (folder / f"call_{i:04d}.txt").write_bytes(synthetic_call(lines, args.words, seed=i + 1))
        jobs = calls_in(folder)
        run = batch.BatchRun(spec=pipeline.resolve(sellers=[SELLER], gate=True), format=OutputFormat.json)
        load_before = os.getloadavg()[0]
        start, parent_start = time.perf_counter(), time.process_time()
        outcomes = list(batch.run(run, jobs, workers=args.workers))
        elapsed, parent_cpu = time.perf_counter() - start, time.process_time() - parent_start
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker_cpu = children.ru_utime + children.ru_stime
        failed = [o for o in outcomes if not o.ok]
        print(f"folder of {len(jobs)} calls on {args.workers} workers: {elapsed:.1f} s, "
              f"{len(jobs) / elapsed:.1f} calls/s, {len(failed)} failed   (target >= 40 calls/s)")
        print(f"  worker cpu {worker_cpu:.1f} s in all: {1000 * worker_cpu / len(jobs):.0f} ms per call, "
              f"so {args.workers * len(jobs) / worker_cpu:.1f} calls/s if the {args.workers} cores were ours alone")
        # Worker CPU per call rises with other jobs on the cores (shared caches, preemption):
        # the load average says how far to trust it; the parent's share is what it costs besides.
        print(f"  parent cpu {1000 * parent_cpu / len(jobs):.2f} ms per call; "
              f"load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
        for outcome in failed[:3]:
            print(f"  {outcome.error}")


if __name__ == "__main__":
    main()
