"""Role-play latency with the embedded model, run by hand: `.venv/bin/python benchmarks/bench_roleplay.py`.

Starts the embedded SmolLM2 server (not counted), warms it with one turn, then
plays the scripted good and bad reps of --scenarios through `play_turn` with a
streaming `LLMActor`, and measures per rep line:
  1. time to first customer token: from handing the rep's line to `play_turn`
     (detectors, director, facilitator, prompt rendering included) to the first
     characters of the customer's words streamed back (target <= 1.5 s);
  2. full customer turn: until `play_turn` returns the validated customer line
     (target <= 4 s).
Also reports how often the model's line was used vs the scripted fallback, and why.
Targets come from issue 5; results go in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coach.llm.client import open_chat_model  # noqa: E402
from coach.llm.embedded import EmbeddedServer  # noqa: E402
from coach.llm.settings import load_settings  # noqa: E402
from coach.roleplay.actor import LLMActor  # noqa: E402
from coach.roleplay.scenario import load_scenarios  # noqa: E402
from coach.roleplay.session import play_turn, start_session  # noqa: E402

PLAYS = ROOT / "tests" / "roleplay" / "data" / "plays.yaml"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", nargs="*", default=None, help="scenario ids (default: all)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    plays = yaml.safe_load(PLAYS.read_text())
    scenarios = load_scenarios()
    wanted = args.scenarios or sorted(plays)
    first: list[float] = []
    full: list[float] = []
    sources: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    no_token = 0
    settings = load_settings(embedded_threads=args.threads)
    with EmbeddedServer(threads=args.threads) as server:
        print(f"embedded server up in {server.startup.seconds:.1f} s (not counted)")  # type: ignore[union-attr]
        with open_chat_model(settings, server=server) as model:
            mark: dict[str, float] = {}

            def on_text(_: str) -> None:
                mark.setdefault("first", time.perf_counter())

            actor = LLMActor(model, stream=True, on_text=on_text)
            warm = start_session(scenarios[wanted[0]], seed=7, rep_name="Alex Rivera")
            play_turn(warm, "Hi, thanks for making time today.", actor)  # warm-up: loads caches, not counted
            for scenario_id in wanted:
                for kind in ("good", "bad"):
                    state = start_session(scenarios[scenario_id], seed=7, rep_name="Alex Rivera")
                    for line in plays[scenario_id][kind]["rep_lines"]:
                        mark.clear()
                        began = time.perf_counter()
                        result = play_turn(state, line, actor)
                        done = time.perf_counter()
                        state = result.state
                        full.append(done - began)
                        if "first" in mark:
                            first.append(mark["first"] - began)
                        else:
                            no_token += 1
                        sources[result.customer.source] += 1
                        if result.customer.fallback_reason:
                            reasons[result.customer.fallback_reason.split(":")[0]] += 1
                        if result.ended:
                            break
    turns = len(full)
    print(f"\n{turns} customer turns over {len(wanted)} scenario(s) x good/bad reps")
    if first:
        print(f"first customer token: median {statistics.median(first):.2f} s, p90 {pct(first, 0.9):.2f} s, "
              f"max {max(first):.2f} s  (target <= 1.5 s; {no_token} turn(s) streamed no customer words)")
    print(f"full customer turn:   median {statistics.median(full):.2f} s, p90 {pct(full, 0.9):.2f} s, "
          f"max {max(full):.2f} s  (target <= 4 s)")
    print(f"lines voiced by the model: {sources['llm']}/{turns}; scripted fallback: {sources['script']}/{turns}")
    for reason, count in reasons.most_common():
        print(f"  fallback because {reason}: {count}")


if __name__ == "__main__":
    main()
