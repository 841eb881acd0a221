"""nob-sem run NAME [--slots K] [--timeout S] -- CMD: a slot per command, released whatever happens.

Most tests use --plain: a plain semaphore stays after run, so its value shows what came back
(test_cli_robust.py covers the robust default)."""

import os
import signal
import subprocess
import time

import pytest
from test_cli_support import (cli, nob_sem_cmd, nob_sem_path, sleeping_in_wait, start_cli, start_run, value,
                              wait_until)


@pytest.fixture
def run_name(sem_name):
    """A name for `run` (which leaves its semaphore in place); unlinked after the test."""
    yield sem_name
    cli("unlink", sem_name)


def test_run_passes_output_and_status_through_and_releases(run_name):
    r = cli("run", "--plain", run_name, "--slots", "2", "--", "sh", "-c", "echo inside; exit 7")
    assert r.returncode == 7
    assert r.stdout == "inside\n"
    assert value(run_name) == 2  # created with 2 slots, the one taken is back


def test_run_holds_a_slot_while_the_command_runs(run_name):
    probe = f"{nob_sem_path()} info {run_name} --json"
    r = cli("run", "--plain", run_name, "--slots", "3", "--", "sh", "-c", probe)
    assert r.returncode == 0, r.stderr
    assert '"value": 2' in r.stdout  # one of 3 taken while inside
    assert value(run_name) == 3


def test_run_without_dashes_takes_the_command_after_name(run_name):
    r = cli("run", run_name, "echo", "a", "--", "b")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "a -- b\n"  # that '--' is the command's


def test_run_options_need_dashes_before_the_command(run_name, tmp_path):
    marker = tmp_path / "ran"
    for argv in (["--slots", "2", run_name, "touch", marker], [run_name, "--slots", "2", "touch", marker]):
        r = cli("run", *argv)
        assert r.returncode == 2, (argv, r.stderr)
        assert "'--'" in r.stderr
    assert not marker.exists()


def test_run_links_an_existing_semaphore_and_ignores_slots(run_name):
    assert cli("create", run_name, "--value", "1").returncode == 0
    r = cli("run", run_name, "--slots", "5", "--", "true")
    assert r.returncode == 0, r.stderr
    assert value(run_name) == 1


def test_run_a_missing_command_exits_127_and_releases(run_name):
    r = cli("run", "--plain", run_name, "--", "nob-no-such-command-here")
    assert r.returncode == 127
    assert "Traceback" not in r.stderr
    assert value(run_name) == 1


def test_run_times_out_without_running_the_command(run_name, tmp_path):
    marker = tmp_path / "ran"
    assert cli("create", run_name, "--value", "0").returncode == 0
    t0 = time.monotonic()
    r = cli("run", run_name, "--timeout", "0.3", "--", "touch", str(marker))
    assert r.returncode == 1
    assert 0.3 <= time.monotonic() - t0 < 5.0
    assert not marker.exists()
    assert value(run_name) == 0


def _stop(proc, child):
    """Teardown: ends nob-sem and its command even when a test failed halfway.

    While nob-sem runs, it has not reaped its command, so that pid is still ours to kill.
    """
    if proc.poll() is None:
        for pid in (child, proc.pid):
            os.kill(pid, signal.SIGKILL)
    proc.wait()


def test_sigterm_is_forwarded_and_the_slot_released(run_name, tmp_path):
    got = tmp_path / "got"
    proc, child = start_run(run_name, tmp_path,
                             f"trap 'echo TERM > {got}; exit 3' TERM; while :; do sleep 0.05; done")
    try:
        assert value(run_name) == 0
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 3  # the command's own status
        assert got.read_text() == "TERM\n"
        assert value(run_name) == 1
    finally:
        _stop(proc, child)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_command_killed_by_a_forwarded_signal_gives_128_plus_n(run_name, tmp_path, sig):
    proc, child = start_run(run_name, tmp_path, "exec sleep 30")
    try:
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 128 + sig
        assert value(run_name) == 1
        with pytest.raises(ProcessLookupError):
            os.kill(child, 0)  # the command is gone, not orphaned
    finally:
        _stop(proc, child)


def test_signal_while_waiting_for_a_slot_exits_without_running(run_name, tmp_path):
    marker = tmp_path / "ran"
    assert cli("create", run_name, "--value", "0").returncode == 0
    proc = start_cli("run", run_name, "--", "touch", str(marker))
    try:
        wait_until(lambda: sleeping_in_wait(proc.pid, run_name), what="run to block")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 128 + signal.SIGTERM
        assert not marker.exists()
        assert value(run_name) == 0  # took nothing, gave back nothing
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("kind", ["--plain", "--robust"])
def test_run_limits_concurrency_across_independent_jobs(run_name, tmp_path, kind):
    held, log = tmp_path / "held", tmp_path / "log"
    held.mkdir()
    job = (f"touch {held}/$$; ls {held} | wc -l >> {log}; sleep 0.4; rm {held}/$$")
    t0 = time.monotonic()
    procs = [subprocess.Popen(nob_sem_cmd("run", kind, run_name, "--slots", "2", "--", "sh", "-c", job))
             for _ in range(4)]
    codes = [p.wait(timeout=60) for p in procs]
    elapsed = time.monotonic() - t0
    assert codes == [0, 0, 0, 0]
    counts = [int(x) for x in log.read_text().split()]
    assert len(counts) == 4
    assert max(counts) <= 2, counts  # never 3 or 4 commands at once
    assert elapsed >= 0.8  # 4 jobs of 0.4 s through 2 slots: at least 2 rounds
    if kind == "--plain":
        assert value(run_name) == 2
    else:  # gone with the last run
        assert cli("info", run_name).returncode == 3
