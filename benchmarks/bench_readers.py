"""Reader speed: a 60-minute call (~1,500 cues, ~9,000 words) in every format.

Run by hand: `.venv/bin/python benchmarks/bench_readers.py [--runs 30]`.
Measures `read_bytes` end to end (decode, detect, parse, merge turns, assign
roles) per format and prints median / p90 in milliseconds. Target: median
<= 30 ms on one core. Pinned to one CPU when the OS allows it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fixtures" / "formats"))
sys.path.insert(0, str(ROOT))

import make_fixtures as mf  # noqa: E402

from coach.readers import read_bytes  # noqa: E402

TARGET_S = 3600.0
WORDS_PER_CUE = 6


def long_call() -> tuple[dict, list[dict]]:
    """Cycle the fixture calls' turns into one 60-minute call with ~6-word cues."""
    calls = mf.load_calls()
    scripts = [c for name, c in calls.items() if name != "sample"]
    speakers = {}
    for call in scripts:
        speakers.update(call["speakers"])
    turns, t, i = [], 2.0, 0
    all_turns = [turn for call in scripts for turn in call["turns"]]
    while t < TARGET_S:
        who, text = all_turns[i % len(all_turns)][:2]
        i += 1
        words = text.split()
        cues, start = [], t
        for k in range(0, len(words), WORDS_PER_CUE):
            chunk = words[k : k + WORDS_PER_CUE]
            dur = len(chunk) / 2.5
            cues.append((round(t, 3), round(t + dur, 3), " ".join(chunk)))
            t += dur
        turns.append({"who": who, "text": text, "start": round(start, 3), "end": round(t, 3), "cues": cues, "flag": None})
        t += 0.4
    return {"vendor": "Bench", "speakers": speakers}, turns


def renders(call: dict, turns: list[dict]) -> dict[str, bytes]:
    bom = b"\xef\xbb\xbf"
    return {
        "plain": mf.plain(turns, lambda s: f"[{mf.hms(s, ms=False)}] ").encode(),
        "otter": mf.otter(turns).encode(),
        "zoom_vtt": mf.zoom_vtt(turns).encode(),
        "teams_vtt": bom + mf.teams_vtt(turns, "bench").replace("\n", "\r\n").encode(),
        "teams_vtt_utf16": b"\xff\xfe" + mf.teams_vtt(turns, "bench").encode("utf-16-le"),
        "srt": mf.srt(turns).encode(),
        "gong_json": mf.gong(call, turns, ms=True, parties_under_calls=False).encode(),
        "canonical": mf.canonical(call, turns, "bench.vtt").encode(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    # A fixed pure-Python loop, to compare machines and loads between runs.
    t0 = time.perf_counter()
    for _ in range(200):
        for _ in range(1000):
            pass
    calib = (time.perf_counter() - t0) / 200 * 1e6
    call, turns = long_call()
    n_cues = sum(len(t["cues"]) for t in turns)
    n_words = sum(len(t["text"].split()) for t in turns)
    print(f"calibration: empty 1000-iteration loop = {calib:.1f} us; load average {os.getloadavg()[0]:.2f}")
    print(f"call: {turns[-1]['end'] / 60:.1f} min, {len(turns)} source turns, {n_cues} cues, {n_words} words")
    print(f"{'format':<16}{'bytes':>10}{'turns':>7}{'median ms':>11}{'p90 ms':>9}{'min ms':>9}{'cpu med ms':>12}")
    for fmt, data in renders(call, turns).items():
        transcript = read_bytes(data, name=f"bench.{fmt}")  # warm-up, and a sanity check
        assert len(transcript.turns) > 500, fmt
        times, cpu = [], []
        for _ in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            read_bytes(data, name=f"bench.{fmt}")
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        times.sort()
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        print(
            f"{fmt:<16}{len(data):>10}{len(transcript.turns):>7}{statistics.median(times):>11.1f}{p90:>9.1f}"
            f"{times[0]:>9.1f}{statistics.median(cpu):>12.1f}"
        )


if __name__ == "__main__":
    main()
