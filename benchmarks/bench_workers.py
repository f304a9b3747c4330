"""Scale-out benchmark on PostgreSQL (run by hand; numbers go in benchmarks/README.md).

    .venv/bin/python benchmarks/bench_workers.py [--calls 200] [--workers 1,2,4] [--uploads 200] [--clients 4]

What it does, against real `coach worker` and `coach serve` processes and a throwaway
database on the PostgreSQL at COACH_BENCH_POSTGRES_URL (default the local server):
1. for each worker count N: starts N `coach worker --concurrency 1` processes (each scores
   in one child process with the real scorer), warms them with one call each, then queues
   `--calls` uploads in one transaction and reports calls scored per second from that commit
   to the last scorecard stored. One process scores one call at a time, so on a 2-core
   machine the curve flattens at 2 workers (4 processes share the same 2 cores);
2. starts `coach serve --workers 0` (the web tier alone, two workers beside it) and
   `--clients` concurrent clients upload `--uploads` calls over HTTP; reports upload latency
   p50/p99 and that every upload got scored.
The machine's load average is printed with the figures: other work on the same cores
lowers every number.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import func, make_url, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.db import Database  # noqa: E402
from api.db.migrate import upgrade  # noqa: E402
from api.db.models import Call, CallBlob, CallStatus, Job, Role, utcnow  # noqa: E402
from api.enqueue import Lane, add_jobs  # noqa: E402
from api.reading import read_upload  # noqa: E402
from coach import pipeline  # noqa: E402
from api.store.admin import create_org, create_team, create_user  # noqa: E402

SAMPLE = (ROOT / "fixtures/sample/expansion_call.txt").read_bytes()
SELLERS = ["Priya Shah", "Dan Ortiz"]
POSTGRES = os.environ.get("COACH_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(what: str, check, deadline_s: float = 300) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + deadline_s
    while not check():
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)


class Bench:
    def __init__(self, url: str, tmp: Path):
        self.url = url
        self.tmp = tmp
        self.db = Database(url)
        upgrade(self.db)
        org = create_org(self.db, "Bench")
        team = create_team(self.db, org, "T")
        self.rep = create_user(self.db, org, "Rep", Role.rep, team)
        self.org = org
        self.team = team
        self.read = read_upload(pipeline.resolve(max_bytes=10**7, sellers_on_call=False), SAMPLE, "call.txt", None, SELLERS)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "COACH_RATE_LIMIT_PER_MINUTE": "0",
                    "COACH_MAX_QUEUED_PER_ORG": "100000", "COACH_JOB_POLL_S": "1"}
        self.env.pop("COACH_SCORER", None)

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"{args[0]}-{len(self.procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", "coach", *args, "--database-url", self.url],
                                env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.tmp)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    def live_workers(self) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - interval '15 seconds'"
            )).scalar_one())

    def waiting(self) -> int:
        with self.db.reader() as session:
            return int(session.scalar(select(func.count()).select_from(Call).where(
                Call.status.in_([CallStatus.queued, CallStatus.scoring]))) or 0)

    def queue_calls(self, n: int) -> None:
        """`n` uploads and their jobs in one transaction: every job is visible at one commit."""
        with self.db.write() as session:
            calls = [
                Call(org_id=self.org, team_id=self.team, rep_id=self.rep.id, uploaded_by=self.rep.id, filename="c.txt",
                     format=self.read.format, sellers=SELLERS, meta={}, size_bytes=len(SAMPLE), turns=self.read.turns,
                     occurred_at=utcnow(), status=CallStatus.queued)
                for _ in range(n)
            ]  # fmt: skip
            session.add_all(calls)
            session.flush()
            session.add_all([CallBlob(call_id=c.id, raw=SAMPLE, transcript_json=self.read.transcript_json) for c in calls])
            add_jobs(session, [(c.id, c.org_id) for c in calls], "score", Lane.interactive)

    def throughput(self, workers: int, calls: int) -> float:
        for _ in range(workers):
            self.start("worker", "--concurrency", "1")
        wait(f"{workers} workers", lambda: self.live_workers() >= workers)
        self.queue_calls(workers * 2)  # warm-up: each child loads the scorer and spaCy's model
        wait("the warm-up", lambda: self.waiting() == 0)
        self.queue_calls(calls)
        committed = utcnow()
        wait("the batch", lambda: self.waiting() == 0, 900)
        with self.db.reader() as session:
            last = session.scalar(select(func.max(Job.finished_at)))
            failed = session.scalar(select(func.count()).select_from(Call).where(Call.status == CallStatus.failed))
        self.stop_all()
        if failed:
            raise SystemExit(f"{failed} calls failed")
        return calls / (last - committed).total_seconds()

    def upload_latency(self, uploads: int, clients: int) -> tuple[float, float, int]:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        self.start("serve", "--port", str(port), "--workers", "0", "--log-level", "warning")
        for _ in range(2):
            self.start("worker", "--concurrency", "1")

        def up() -> bool:
            try:
                return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait("the web tier", up)
        latencies: list[float] = []
        lock = threading.Lock()
        per_client = uploads // clients
        errors: list[str] = []

        def client(n: int) -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {self.rep.api_key}"}, timeout=60) as http:
                for k in range(per_client):
                    started = time.perf_counter()
                    response = http.post("/v1/calls", files={"file": (f"u{n}-{k}.txt", SAMPLE)},
                                         data={"sellers": ",".join(SELLERS)})
                    took = time.perf_counter() - started
                    if response.status_code != 201:
                        errors.append(f"{response.status_code} {response.text[:200]}")
                    with lock:
                        latencies.append(took)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise SystemExit(f"{len(errors)} uploads failed: {errors[:3]}")
        wait("every upload to be scored", lambda: self.waiting() == 0, 900)
        self.stop_all()
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        return statistics.median(latencies) * 1000, p99 * 1000, len(latencies)

    def reset(self) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(text("DELETE FROM procrastinate_events; DELETE FROM procrastinate_jobs; "
                              "DELETE FROM procrastinate_workers; DELETE FROM jobs; DELETE FROM scorecard_items; "
                              "DELETE FROM scorecards; DELETE FROM call_blobs; DELETE FROM calls"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    name = f"coach_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(libpq(POSTGRES), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.1f}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bench = Bench(url, Path(tmp))
            try:
                for n in [int(w) for w in args.workers.split(",")]:
                    rate = bench.throughput(n, args.calls)
                    print(f"{n} worker process(es): {rate:.1f} calls scored/s ({args.calls} calls; "
                          f"load average {os.getloadavg()[0]:.1f})", flush=True)
                    bench.reset()
                p50, p99, count = bench.upload_latency(args.uploads, args.clients)
                print(f"web tier (--workers 0, 2 workers beside it): {count} uploads from {args.clients} clients, "
                      f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, all scored (load average {os.getloadavg()[0]:.1f})")
            finally:
                bench.stop_all()
                bench.db.dispose()
    finally:
        with psycopg.connect(libpq(POSTGRES), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
