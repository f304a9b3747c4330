"""API load benchmark on loopback (run by hand; numbers go in benchmarks/README.md).

    .venv/bin/python benchmarks/bench_api.py [--scorecards 10000] [--clients 20] [--uploads-per-client 5] [--pace 5] [--job-processes 1]

What it does, against a real `coach serve` (uvicorn) process on SQLite:
1. seeds N stored scorecards (4 teams x 25 reps, spread over 26 weeks; the
   scorecard body is the real scorer's output for a 60-minute call);
2. GET /v1/calls/{id}/scorecard for random calls, as the team's manager;
3. GET /v1/teams/{id}/rollup (group_by=rep and week);
4. uploads of 60-minute calls from concurrent clients, heuristic scoring running
   in the same server, then waits until every upload is scored and checks none
   was lost or failed. CPU is reported for the server process, its child
   processes (upload readers, scorer) and the load generator.
Targets (issue 6): scorecard p99 < 20 ms, roll-up < 200 ms, upload p99 < 300 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.children import child_pids  # noqa: E402
from api.db import Database  # noqa: E402
from api.db.migrate import upgrade  # noqa: E402
from api.db.models import Call, CallBlob, CallStatus, Role, ScorecardItemRow, ScorecardRow  # noqa: E402
from api.store.admin import create_org, create_team, create_user  # noqa: E402
from api.store.scorecards import week_of  # noqa: E402
from coach.readers import read_bytes  # noqa: E402
from coach.scoring import score_transcript  # noqa: E402

SELLERS = ["Priya Shah", "Dan Ortiz"]
BASE_CALL = ROOT / "fixtures/labelled/01_plain_ts_ledgerline_recon_clean_pass.txt"
TEAMS, REPS_PER_TEAM, WEEKS = 4, 25, 26


def sixty_minute_call(variant: int = 0) -> bytes:
    """A ~60-minute plain transcript (timestamps to 01:00:00) built from a labelled call's lines."""
    lines = []
    for raw in BASE_CALL.read_text().splitlines():
        if "] " in raw:
            lines.append(raw.split("] ", 1)[1])
    turns = 480
    out = []
    for n in range(turns):
        t = int(n * 3600 / turns) + 2
        out.append(f"[{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}] {lines[n % len(lines)]}")
    out.append(f"[01:00:00] Priya Shah: Thanks all, talk soon. (ref {variant})")
    return ("\n".join(out) + "\n").encode()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(name: str, ms: list[float]) -> str:
    return (
        f"| {name} | {len(ms)} | {statistics.median(ms):.1f} | {percentile(ms, 95):.1f} | "
        f"{percentile(ms, 99):.1f} | {max(ms):.1f} |"
    )


def seed(db: Database, count: int) -> dict[str, object]:
    org = create_org(db, "Bench Org")
    teams, managers, reps = [], {}, []
    for t in range(TEAMS):
        team = create_team(db, org, f"Team {t}")
        teams.append(team)
        managers[team] = create_user(db, org, f"Manager {t}", Role.manager, team)
        for r in range(REPS_PER_TEAM):
            reps.append(create_user(db, org, f"Rep {t}-{r}", Role.rep, team))
    call_bytes = sixty_minute_call()
    scorecard = score_transcript(read_bytes(call_bytes, name="bench.txt", sellers=SELLERS))
    body = scorecard.model_dump_json()
    item_ids = [i.id for i in scorecard.items] or [
        "signal_first_opening", "discovery_questions", "ask_once", "never_say", "diagnostic_framing",
        "neutrality_statement", "customer_timeline", "no_demo_before_discovery", "soft_no_reopen",
        "escalation_guard", "next_step", "exec_sponsor",
    ]
    rng = random.Random(7)
    start = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    with db.write() as session:
        first_id = (session.scalar(select(func.max(Call.id))) or 0) + 1
        calls, blobs, cards, items = [], [], [], []
        for n in range(count):
            rep = reps[n % len(reps)]
            occurred = start + dt.timedelta(minutes=rng.randrange(WEEKS * 7 * 24 * 60))
            call_id = first_id + n
            calls.append(dict(
                id=call_id, org_id=org, team_id=rep.team_id, rep_id=rep.id, uploaded_by=rep.id, kind="upload",
                filename="seed.txt", format="plain", sellers=SELLERS, meta={}, size_bytes=len(call_bytes),
                turns=481, duration_s=3600.0, occurred_at=occurred, created_at=occurred, status=CallStatus.scored.value,
            ))
            blobs.append(dict(call_id=call_id, raw=b"(seeded)", transcript_json="{}"))
            cards.append(dict(
                id=call_id, call_id=call_id, org_id=org, team_id=rep.team_id, rep_id=rep.id, occurred_at=occurred,
                week=week_of(occurred), score=None, rubric_id=scorecard.rubric.id,
                rubric_version=scorecard.rubric.version, body=body, created_at=occurred,
            ))
            for item_id in item_ids:
                verdict = rng.choice(["pass", "pass", "fail", "not_applicable"])
                items.append(dict(
                    scorecard_id=call_id, call_id=call_id, org_id=org, team_id=rep.team_id, rep_id=rep.id,
                    occurred_at=occurred, week=week_of(occurred), item_id=item_id, machine_verdict=verdict,
                    verdict=verdict,
                ))
        session.execute(insert(Call), calls)
        session.execute(insert(CallBlob), blobs)
        session.execute(insert(ScorecardRow), cards)
        session.execute(insert(ScorecardItemRow), items)
    return {
        "teams": teams, "managers": managers, "reps": reps, "first_id": first_id, "count": count,
        "body_bytes": len(body), "items": len(item_ids), "call_bytes": len(call_bytes),
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of the server and each of its child processes (upload readers, scorers)."""
    found = {}
    for p in [pid, *child_pids(pid)]:
        try:
            found[p] = cpu_seconds(p)
        except OSError:
            pass
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, server: subprocess.Popen[bytes], log: Path, deadline_s: float = 60) -> None:
    """Until the server's /readyz answers 200; exits naming the log if it dies or never does."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit(f"server did not start; see {log}")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scorecards", type=int, default=10_000)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--rollups", type=int, default=100)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--uploads-per-client", type=int, default=5)
    parser.add_argument("--job-workers", type=int, default=2)
    parser.add_argument("--job-processes", type=int, default=1, help="score in N niced child processes (0: in threads)")
    parser.add_argument("--pace", type=float, default=0.0,
                        help="seconds between one client's upload starts (0 = back to back, a closed loop)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    url = f"sqlite:///{tmp / 'coach.db'}"
    db = Database(url)
    upgrade(db)
    t0 = time.perf_counter()
    world = seed(db, args.scorecards)
    print(f"seeded {args.scorecards} scorecards ({world['items']} items each, body {world['body_bytes']} B) "
          f"in {time.perf_counter() - t0:.1f}s; 60-minute call = {world['call_bytes']} B", flush=True)

    # The load generator is Python too: keep its own full collections (over the seeding
    # and scorer objects) out of the measured latencies.
    gc.collect()
    gc.freeze()
    port = free_port()
    env = {**os.environ, "COACH_RATE_LIMIT_PER_MINUTE": "0", "COACH_JOB_POLL_S": "0.2",
           "COACH_JOB_PROCESSES": str(args.job_processes)}
    log = open(tmp / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "coach", "serve", "--port", str(port), "--database-url", url,
         "--job-workers", str(args.job_workers), "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server, tmp / "server.log")

        rng = random.Random(11)
        rows = ["| what | n | p50 ms | p95 ms | p99 ms | max ms |", "| --- | --- | --- | --- | --- | --- |"]
        team = world["teams"][0]
        manager = world["managers"][team]
        auth = {"Authorization": f"Bearer {manager.api_key}"}
        team_calls = [world["first_id"] + n for n in range(args.scorecards)
                      if world["reps"][n % len(world["reps"])].team_id == team]
        with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
            for _ in range(50 if args.reads else 0):  # warm-up
                client.get(f"/v1/calls/{rng.choice(team_calls)}/scorecard")
            reads = []
            for _ in range(args.reads):
                start = time.perf_counter()
                response = client.get(f"/v1/calls/{rng.choice(team_calls)}/scorecard")
                reads.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.text
            if reads:
                rows.append(summary("GET /v1/calls/{id}/scorecard", reads))
            for group_by in ("rep", "week"):
                if args.rollups:  # the first call compiles the statements and pages the index in
                    start = time.perf_counter()
                    client.get(f"/v1/teams/{team}/rollup?group_by={group_by}")
                    print(f"first (cold) roll-up by {group_by}: {(time.perf_counter() - start) * 1000:.1f} ms", flush=True)
                    for _ in range(4):
                        client.get(f"/v1/teams/{team}/rollup?group_by={group_by}")
                timings = []
                for _ in range(args.rollups):
                    start = time.perf_counter()
                    response = client.get(f"/v1/teams/{team}/rollup?group_by={group_by}")
                    timings.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200 and response.json()["calls"] == len(team_calls)
                if timings:
                    rows.append(summary(f"GET /v1/teams/{{id}}/rollup?group_by={group_by} ({len(team_calls)} calls)", timings))

        if args.clients == 0:
            print("\n".join(rows))
            return
        # Uploads: each client is a rep uploading 60-minute calls.
        uploads: list[float] = []
        errors: list[str] = []
        transport_errors: list[str] = []
        ids: list[int] = []
        lock = threading.Lock()
        reps = world["reps"]

        bodies = {(n, k): sixty_minute_call(n * 1000 + k) for n in range(args.clients) for k in range(args.uploads_per_client)}
        server_cpu_before = cpu_seconds(server.pid)
        tree_before = tree_cpu(server.pid)
        if os.environ.get("BENCH_PYSPY"):
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(server.pid), "-o",
                                    os.environ["BENCH_PYSPY"], "-f", "raw", "-d", "6", "-r", "200"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def client_thread(n: int) -> None:
            rep = reps[n % len(reps)]
            pacing = random.Random(n)
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {rep.api_key}"}, timeout=60) as c:
                next_start = time.perf_counter() + pacing.uniform(0, args.pace)
                for k in range(args.uploads_per_client):
                    if args.pace:
                        time.sleep(max(0.0, next_start - time.perf_counter()))
                        next_start += args.pace
                    data = bodies[(n, k)]
                    start = time.perf_counter()
                    response = None
                    for _ in range(3):  # a client retries a dropped connection with its Idempotency-Key
                        try:
                            response = c.post("/v1/calls", files={"file": (f"call-{n}-{k}.txt", data)},
                                              data={"sellers": ",".join(SELLERS)},
                                              headers={"Idempotency-Key": f"bench-{n}-{k}"})
                            break
                        except httpx.TransportError as exc:
                            with lock:
                                transport_errors.append(f"{type(exc).__name__}: {exc}")
                    elapsed = (time.perf_counter() - start) * 1000
                    with lock:
                        uploads.append(elapsed)
                        if response is not None and response.status_code == 201:
                            ids.append(response.json()["id"])
                        else:
                            errors.append(f"{response.status_code} {response.text[:200]}" if response else "no response")

        threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(args.clients)]
        wall = time.perf_counter()
        client_cpu = time.process_time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        upload_wall = time.perf_counter() - wall
        client_cpu = time.process_time() - client_cpu
        server_cpu_uploads = cpu_seconds(server.pid) - server_cpu_before
        tree_uploads = tree_cpu(server.pid)
        children_cpu_uploads = sum(v - tree_before.get(p, 0.0) for p, v in tree_uploads.items() if p != server.pid)
        mode = f"each every {args.pace:g} s" if args.pace else "back to back"
        rows.append(summary(f"POST /v1/calls, 60-min call, {args.clients} clients {mode}", uploads))
        expected = args.clients * args.uploads_per_client
        deadline = time.monotonic() + 600
        with db.reader() as session:
            pass
        while True:
            with db.reader() as session:
                states = dict(session.execute(
                    select(Call.status, func.count()).where(Call.id.in_(ids)).group_by(Call.status)
                ).all())
            if states.get("scored", 0) + states.get("failed", 0) == len(ids) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        all_scored = time.perf_counter() - wall
        with db.reader() as session:
            in_db = session.scalar(select(func.count()).select_from(Call).where(Call.filename.like("call-%")))
        server_cpu_total = cpu_seconds(server.pid) - server_cpu_before
        tree_total = tree_cpu(server.pid)
        children_cpu_total = sum(v - tree_before.get(p, 0.0) for p, v in tree_total.items() if p != server.pid)
        print("\n".join(rows))
        print()
        print(f"uploads: {len(ids)}/{expected} stored ({len(set(ids))} distinct), errors: {len(errors)}, "
              f"connection errors retried: {len(transport_errors)}, uploaded calls in the database: {in_db}, "
              f"states: {states}")
        print(f"upload phase {upload_wall:.1f}s wall; all {len(ids)} scored {all_scored:.1f}s after the first upload")
        print(f"server CPU: {server_cpu_uploads:.1f}s during the upload phase, {server_cpu_total:.1f}s until all scored "
              f"({server_cpu_total / max(1, len(ids)) * 1000:.0f} ms per upload, scoring included)")
        print(f"load generator CPU during the upload phase: {client_cpu:.1f}s")
        print(f"child processes (upload readers, scorers) CPU: {children_cpu_uploads:.1f}s during the upload phase, "
              f"{children_cpu_total:.1f}s until all scored; load average {os.getloadavg()[0]:.2f}")
        if errors:
            print("first errors:", errors[:3])
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        db.dispose()


if __name__ == "__main__":
    main()
