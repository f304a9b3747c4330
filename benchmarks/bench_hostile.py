"""Hostile-load benchmark on loopback (run by hand; numbers go in benchmarks/README.md).

    .venv/bin/python benchmarks/bench_hostile.py [--hostile-clients 20] [--seconds 60] [--ordinary-calls 10]

A real `coach serve` (uvicorn) process on SQLite with the default settings. Organisation H
has `--hostile-clients` clients uploading the worst files back to back, never waiting:
- 5 MiB of "A: hi\\nB: ho\\n" (873,650 tiny turns; refused at the line limit),
- 5 MiB of "a:" (one 5 MB token; refused at the per-turn limit),
- the largest call the limits accept (~1,000,000 characters of speech in 20,000-character turns),
- one byte over the upload limit (413).
Organisation O has one client uploading an ordinary 60-minute call, waiting for its
scorecard, then the next. Reported: O's time from upload to scorecard, H's answers by
status, and the peak resident memory of the server plus all its child processes
(sampled every 0.2 s). Target (issue 15): O's calls keep being scored; peak under 1 GB.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_api import free_port, percentile, sixty_minute_call, wait_ready  # noqa: E402

from api.children import child_pids  # noqa: E402
from api.db import Database  # noqa: E402
from api.db.migrate import upgrade  # noqa: E402
from api.db.models import Role  # noqa: E402
from api.store.admin import create_org, create_team, create_user  # noqa: E402

MIB = 1024 * 1024


def hostile_files() -> list[tuple[str, bytes]]:
    tiny = b"A: hi\nB: ho\n" * (5 * MIB // 12)
    token = b"Priya Shah: " + b"a:" * ((5 * MIB - 20) // 2)
    speech = " ".join(line.split(": ", 1)[1] for line in sixty_minute_call().decode().splitlines() if ": " in line)
    turns = []
    for n in range(50):  # 50 turns x 19,900 characters: just under the 1,000,000-character call limit
        who = "Priya Shah" if n % 2 == 0 else "Marcus Lee"
        turns.append(f"{who}: {(speech * 3)[n * 7 : n * 7 + 19_900]}")
    largest = ("\n".join(turns) + "\n").encode()
    over = b"x" * (5 * MIB + 1)
    return [("tiny-turns.txt", tiny), ("one-token.txt", token), ("largest.txt", largest), ("over.txt", over)]


def tree_rss_mb(pid: int) -> float:
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
        todo.extend(child_pids(p))
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hostile-clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--ordinary-calls", type=int, default=10)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="coach-hostile-"))
    url = f"sqlite:///{tmp / 'coach.db'}"
    db = Database(url)
    upgrade(db)
    org_h, org_o = create_org(db, "Hostile"), create_org(db, "Ordinary")
    team_h, team_o = create_team(db, org_h, "H"), create_team(db, org_o, "O")
    hostile_key = create_user(db, org_h, "Mallory", Role.rep, team_h).api_key
    ordinary_key = create_user(db, org_o, "Olivia", Role.rep, team_o).api_key
    db.dispose()

    port = free_port()
    env = {**os.environ, "COACH_RATE_LIMIT_PER_MINUTE": "0", "COACH_JOB_POLL_S": "0.2"}
    log = open(tmp / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "coach", "serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", url,
         "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    peak = {"mb": 0.0}
    stop = threading.Event()
    answers: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    try:
        wait_ready(base, server, tmp / "server.log")
        idle_mb = tree_rss_mb(server.pid)

        def sample() -> None:
            while not stop.is_set():
                peak["mb"] = max(peak["mb"], tree_rss_mb(server.pid))
                stop.wait(0.2)

        files = hostile_files()

        def hostile(n: int) -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {hostile_key}"}, timeout=120) as client:
                i = n
                while not stop.is_set():
                    name, body = files[i % len(files)]
                    i += 1
                    try:
                        status = client.post("/v1/calls", files={"file": (name, body)}, data={"sellers": "Priya Shah"}).status_code
                    except httpx.HTTPError as exc:
                        status = type(exc).__name__
                    with lock:
                        answers[f"{name} {status}"] += 1
                    if status == 429:
                        time.sleep(0.2)

        threads = [threading.Thread(target=sample, daemon=True)]
        threads += [threading.Thread(target=hostile, args=(n,), daemon=True) for n in range(args.hostile_clients)]
        for thread in threads:
            thread.start()
        time.sleep(2)  # let the hostile load build up first

        to_scorecard: list[float] = []
        upload_ms: list[float] = []
        failed: list[str] = []
        started = time.monotonic()
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ordinary_key}"}, timeout=120) as client:
            for n in range(args.ordinary_calls):
                if time.monotonic() - started > args.seconds:
                    break
                t0 = time.perf_counter()
                created = client.post("/v1/calls", files={"file": ("call.txt", sixty_minute_call(n))},
                                      data={"sellers": "Priya Shah"})
                upload_ms.append((time.perf_counter() - t0) * 1000)
                if created.status_code != 201:
                    failed.append(f"upload {created.status_code}: {created.text[:120]}")
                    continue
                call_id = created.json()["id"]
                while True:
                    status = client.get(f"/v1/calls/{call_id}").json()["status"]
                    if status in ("scored", "failed"):
                        break
                    if time.perf_counter() - t0 > 600:
                        status = "timeout"
                        break
                    time.sleep(0.1)
                if status != "scored":
                    failed.append(f"call {call_id} {status}")
                    continue
                to_scorecard.append(time.perf_counter() - t0)
        remaining = args.seconds - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        stop.set()
        for thread in threads:
            thread.join(130)

        print(f"\nhostile clients: {args.hostile_clients}, {args.seconds:.0f} s; server idle RSS {idle_mb:.0f} MB")
        print("hostile answers:")
        for key, count in sorted(answers.items()):
            print(f"  {key}: {count}")
        if to_scorecard:
            print(f"ordinary calls scored: {len(to_scorecard)}; upload-to-scorecard s: "
                  f"p50 {statistics.median(to_scorecard):.1f}, p95 {percentile(to_scorecard, 95):.1f}, "
                  f"max {max(to_scorecard):.1f}; upload answer ms p50 {statistics.median(upload_ms):.0f}, "
                  f"max {max(upload_ms):.0f}")
        print(f"ordinary failures: {failed or 'none'}")
        print(f"peak RSS of server + children: {peak['mb']:.0f} MB (target < 1024 MB)")
    finally:
        stop.set()
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
