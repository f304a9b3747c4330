"""Byte-exact snapshot of what the scorer produces, to prove a speed-up changed nothing.

    .venv/bin/python benchmarks/verdict_snapshot.py save DIR     # before a change
    .venv/bin/python benchmarks/verdict_snapshot.py check DIR    # after: exit 1 on any difference
    ... save DIR --also ../shared/data/real-dev/sales_calls       # more folders (real calls), same for check

Snapshots: the `coach eval --json` report of fixtures/labelled, and the JSON
scorecard (or the one-line error) of every call in fixtures/labelled,
fixtures/formats, fixtures/sample, fixtures/heldout and fixtures/blind (and of
any folder given with --also), scored both with roles inferred and with
the labelled sellers, plus a few synthetic 60-minute calls from the benchmark.
Run by hand (never in the test suite).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from coach import batch, pipeline  # noqa: E402
from coach.callfiles import calls_in  # noqa: E402
from coach.evaluation import load_labels  # noqa: E402
from coach.render import OutputFormat  # noqa: E402

FOLDERS = ("fixtures/labelled", "fixtures/formats", "fixtures/sample", "fixtures/heldout", "fixtures/blind")


def snapshots(tmp: Path, also: list[Path]) -> dict[str, str]:
    out: dict[str, str] = {}
    eval_run = subprocess.run(
        [sys.executable, "-m", "coach", "eval", str(ROOT / "fixtures/labelled"), "--json"],
        capture_output=True, text=True, cwd=ROOT,
    )
    out["eval.json"] = f"exit {eval_run.returncode}\n{eval_run.stdout}{eval_run.stderr}"
    run = batch.BatchRun(spec=pipeline.resolve(gate=True), format=OutputFormat.json)
    jobs: list[tuple[str, batch.BatchRun, Path]] = []
    folders = [(folder.replace("/", "_"), ROOT / folder) for folder in FOLDERS]
    folders += [(f"also{k}_{path.name}", path) for k, path in enumerate(also)]
    for label, folder_path in folders:
        for path in calls_in(folder_path):
            name = f"{label}__{path.name}"
            jobs.append((name + ".inferred.json", run, path))
            labels = path.with_name(path.stem + ".labels.yaml")
            if labels.exists():
                sellers = load_labels(labels).sellers
                jobs.append((name + ".sellers.json", _with_sellers(run, sellers), path))
    from bench_scoring import SELLER, fixture_lines, synthetic_call

    lines = fixture_lines()
    for seed in (0, 1, 2, 3):
        path = tmp / f"synthetic_{seed}.txt"
        path.write_bytes(synthetic_call(lines, 9000, seed=seed))
        jobs.append((f"synthetic_{seed}.json", _with_sellers(run, [SELLER]), path))
    for name, each, path in jobs:
        outcome = batch.score_file(each, path)
        text = outcome.output if outcome.ok else f"ERROR {outcome.error}"
        out[name] = text.replace(str(tmp), "<tmp>")
    return out


def _with_sellers(run: batch.BatchRun, sellers: list[str]) -> batch.BatchRun:
    return run.model_copy(update={"spec": run.spec.for_call(sellers=sellers)})


def main() -> None:
    import tempfile

    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["save", "check"])
    parser.add_argument("target", type=Path)
    parser.add_argument("--also", type=Path, action="append", default=[], help="another folder of calls")
    args = parser.parse_args()
    mode, target = args.mode, args.target
    with tempfile.TemporaryDirectory(prefix="snap-") as tmp:
        snap = snapshots(Path(tmp), [p.resolve() for p in args.also])
    if mode == "save":
        target.mkdir(parents=True, exist_ok=True)
        for name, text in snap.items():
            (target / name).write_text(text)
        print(f"saved {len(snap)} snapshots to {target}")
        return
    saved = {p.name: p.read_text() for p in target.iterdir()}
    differ = sorted(n for n in snap.keys() | saved.keys() if snap.get(n) != saved.get(n))
    for name in differ:
        print(f"DIFFERS: {name}")
    print(f"{len(snap)} snapshots checked, {len(differ)} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
