"""Jobs lose nothing: kill a real `coach serve` with SIGKILL while jobs run, restart it,
and every upload gets scored. The server's child processes (upload readers, scorer) die
with it, so the restarted server finds no orphan still at work."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from api.children import child_pids
from api.db import Database
from tests.api.support import ROOT, SAMPLE, SAMPLE_SELLERS, build_world

BATCH = 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll(what: str, check: Callable[[], bool], deadline_s: float) -> None:
    end = time.monotonic() + deadline_s
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline_s}s waiting for {what}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start_server(url: str, port: int, tmp: Path, scorer: str | None, processes: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COACH_RATE_LIMIT_PER_MINUTE": "0",
        "COACH_JOB_POLL_S": "0.1",
        "COACH_JOB_PROCESSES": str(processes),
        "COACH_READ_PROCESSES": "2",
        "COACH_TEST_GATE": str(tmp / "gate-never-opened"),
    }
    if scorer:
        env["COACH_SCORER"] = scorer
    else:
        env.pop("COACH_SCORER", None)
    log = open(tmp / f"server-{port}-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115 - kept open for the child
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach", "serve", "--port", str(port), "--database-url", url, "--job-workers", "2",
         "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp,
    )

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}: {(log.name and Path(log.name).read_text())}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    poll("the server to be ready", ready, 30)
    return proc


@pytest.mark.slow
def test_sigkill_mid_job_then_restart_scores_every_upload(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    from api.db.migrate import upgrade

    upgrade(db)
    world = build_world(db)
    db.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    auth = world.a1.auth

    # The first server scores in a child process (the default), which must die with it.
    server = start_server(db_url, port, tmp_path, "tests.api.gated_scorer:score", processes=1)
    try:
        ids = []
        for n in range(BATCH):
            response = httpx.post(
                f"{base}/v1/calls", headers={**auth, "Idempotency-Key": f"batch-{n}"},
                files={"file": (f"call-{n}.txt", SAMPLE)}, data={"sellers": ",".join(SAMPLE_SELLERS)}, timeout=10,
            )
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])

        def statuses() -> list[str]:
            return [httpx.get(f"{base}/v1/calls/{i}", headers=auth, timeout=5).json()["status"] for i in ids]

        poll("a job to be running", lambda: "scoring" in statuses(), 30)
        interrupted = [i for i, s in zip(ids, statuses(), strict=True) if s == "scoring"]
        scoring_children = child_pids(server.pid)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(10)
    assert server.returncode == -signal.SIGKILL
    assert interrupted
    # The blocked scoring process and the two upload readers do not linger as orphans.
    assert len(scoring_children) >= 3
    poll("the scoring child to die with the server", lambda: not any(alive(p) for p in scoring_children), 15)

    # The second scores in its worker threads: quicker to finish on a busy machine.
    server = start_server(db_url, port, tmp_path, None, processes=0)
    try:
        def all_scored() -> bool:
            calls = [httpx.get(f"{base}/v1/calls/{i}", headers=auth, timeout=5).json() for i in ids]
            assert not [c for c in calls if c["status"] == "failed"], calls
            return all(c["status"] == "scored" for c in calls)

        poll("every upload to be scored", all_scored, 60)
        for call_id in ids:
            card = httpx.get(f"{base}/v1/calls/{call_id}/scorecard", headers=auth, timeout=5)
            assert card.status_code == 200 and card.json()["call_id"] == call_id
        for call_id in interrupted:
            job = httpx.get(f"{base}/v1/calls/{call_id}", headers=auth, timeout=5).json()["job"]
            # The kill was no failure of the call: it used no attempt (issue 15).
            assert job["attempts"] == 1 and job["status"] == "done"
        # A client retrying an upload after the crash gets the stored call, not a duplicate.
        retry = httpx.post(
            f"{base}/v1/calls", headers={**auth, "Idempotency-Key": "batch-0"},
            files={"file": ("call-0.txt", SAMPLE)}, data={"sellers": ",".join(SAMPLE_SELLERS)}, timeout=10,
        )
        assert retry.json()["id"] == ids[0]
        listed = httpx.get(f"{base}/v1/scorecards?limit=100", headers=auth, timeout=5).json()["items"]
        assert sorted(s["call_id"] for s in listed) == sorted(ids)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
