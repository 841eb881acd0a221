"""A robust file whose file-wide lock another process keeps (any user can, on a file of
its own in /dev/shm) neither stalls `list` 5 s per file nor freezes `run`: list reports
it busy after one look again 0.05 s later for all files, run waits for it as for a slot
(--timeout, signals end the wait)."""

import json
import os
import signal
import subprocess
import time

import pytest
from test_cli_support import SHM, cli, start_cli, stop_cli

import nob.ipc

from conftest import start_child, wait_for_line

pytestmark = pytest.mark.skipif(not hasattr(nob.ipc, "RobustSemaphore"), reason="no RobustSemaphore in this build")

# Creates persistent robust semaphores and keeps byte 0 of each one's lock file (the file-wide
# lock, docs/robust.md) under an OFD lock until stdin closes.
LOCKER = """
    import fcntl, os, struct, sys
    from nob.ipc import Flags, RobustSemaphore
    F_OFD_SETLK = 37
    fds = []
    for name in sys.argv[1:]:
        RobustSemaphore(name, 2, Flags.RAISE_IF_EXISTS, persistent=True).close()
        fds.append(os.open("/dev/shm/nob~" + name, os.O_RDWR))
        fcntl.fcntl(fds[-1], F_OFD_SETLK, struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 0, 1, 0))
    print("locked", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def locked(make_name):
    """locked(n): n robust names, each with its file lock held by another process."""
    state = {}

    def start(n):
        state["names"] = [make_name(f"l{i}") for i in range(n)]
        state["child"] = start_child(LOCKER, *state["names"], stdin=subprocess.PIPE)
        wait_for_line(state["child"], "locked")
        return state["names"]

    yield start
    if "child" in state:
        state["child"].stdin.close()
        state["child"].wait(timeout=30)
        for name in state["names"]:
            for kind in ("nob.", "nob~"):  # the data file and its lock file
                try:
                    os.unlink(os.path.join(SHM, kind + name))
                except FileNotFoundError:
                    pass


def test_list_reports_locked_robust_files_busy_without_waiting_for_each(locked):
    names = locked(6)
    start = time.monotonic()
    r = cli("list", "--json", timeout=60)
    took = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    rows = [row for row in json.loads(r.stdout) if row["name"].lstrip("/") in names]
    assert len(rows) == 6
    assert all(row["value"] is None and "busy" in row["error"] for row in rows), rows
    # it was 5 s a file, 30 s here; then 0.5 s a file; now one pause of 0.05 s in all
    assert took < 5, took


def test_list_spends_a_bounded_time_on_many_locked_robust_files(locked):
    names = locked(40)  # 0.5 s a file was 20 s (capped at 10 s); now one pause of 0.05 s in all
    start = time.monotonic()
    r = cli("list", "--json", timeout=120)
    took = time.monotonic() - start
    assert r.returncode == 0, r.stderr
    rows = [row for row in json.loads(r.stdout) if row["name"].lstrip("/") in names]
    assert len(rows) == 40 and all("busy" in row["error"] for row in rows), rows
    assert took < 5, took


def test_info_of_a_locked_robust_file_is_busy_at_once(locked):
    (name,) = locked(1)
    start = time.monotonic()
    r = cli("info", name)
    assert r.returncode == 1
    assert "busy" in r.stdout, r.stdout
    assert time.monotonic() - start < 4


def test_run_timeout_holds_while_the_file_lock_is_kept(locked):
    (name,) = locked(1)
    start = time.monotonic()
    r = cli("run", "--timeout", "1", name, "--", "echo", "ran", timeout=60)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "ran" not in r.stdout
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: signal.Signals(s).name)
def test_a_signal_ends_run_waiting_for_the_file_lock(locked, sig):
    (name,) = locked(1)
    proc = start_cli("run", name, "--", "echo", "ran")
    try:
        time.sleep(1.5)  # well into the wait
        assert proc.poll() is None
        proc.send_signal(sig)
        assert proc.wait(timeout=10) in (128 + sig, -sig)  # it hung, with the signal blocked
        assert "ran" not in proc.stdout.read()
    finally:
        stop_cli(proc)


def test_run_exits_with_the_status_when_the_lock_is_kept_at_close(sem_name, tmp_path):
    import fcntl
    import struct

    started, go = tmp_path / "started", tmp_path / "go"
    proc = start_cli("run", sem_name, "--", "sh", "-c",
                     f"touch {started}; while [ ! -e {go} ]; do sleep 0.05; done; exit 4")
    fd = -1
    try:
        deadline = time.monotonic() + 20
        while not started.exists():
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read()
            time.sleep(0.02)
        fd = os.open(os.path.join(SHM, "nob~" + sem_name), os.O_RDWR)  # its lock file
        fcntl.fcntl(fd, 37, struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 0, 1, 0))  # F_OFD_SETLK
        go.touch()
        assert proc.wait(timeout=15) == 4  # closing would have waited for the lock forever
    finally:
        stop_cli(proc)
        if fd >= 0:
            os.close(fd)
        if proc.returncode != 4:
            cli("unlink", sem_name)
    # nob-sem ended without closing: no live user is left, so the name counts as absent; it is
    # stale until whoever opens it first removes it (the next run here, or any other program's
    # open on a shared machine, which once came first under load)
    try:
        r = cli("info", sem_name)
        assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
        assert "stale" in r.stdout or "no such object" in r.stderr, (r.stdout, r.stderr)
        assert cli("run", sem_name, "--", "true").returncode == 0
        assert not os.path.exists(os.path.join(SHM, "nob." + sem_name))
    finally:
        cli("unlink", sem_name)
