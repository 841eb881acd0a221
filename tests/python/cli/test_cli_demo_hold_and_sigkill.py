"""demo: a --hold that time.sleep cannot take is refused (exit 2) before anything runs, and
a SIGKILL of the demo ends its workers too.

(Before: `demo --hold inf` (or 1e10) started workers that died of OverflowError and then
reported a false "at most 2 of 1 slot held at once" FAILED; after a SIGKILL of demo its
workers ran on.)"""

import os
import signal
import subprocess
import time

import pytest
from test_cli_support import cli, nob_sem_cmd, start_cli, stop_cli, wait_until


@pytest.mark.parametrize("hold", ["inf", "1e10", "86401", "-1"])
def test_a_hold_too_long_is_refused_before_anything_runs(hold, sem_name):
    # In a session of its own, so that a demo that does start is ended with all its workers.
    proc = subprocess.Popen(nob_sem_cmd("demo", "--name", sem_name, "--workers", "1", "--hold", hold),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            cli("unlink", sem_name)
    assert proc.returncode == 2, (hold, proc.returncode, out, err)
    assert "--hold" in err and "Traceback" not in err, err
    assert out == "" and not os.path.exists(f"/dev/shm/sem.{sem_name}")


def _children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(w) for w in f.read().split()]


def _gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has ended
    except FileNotFoundError:
        return True


def test_a_sigkilled_demo_takes_its_workers_with_it(sem_name):
    proc = start_cli("demo", "--name", sem_name, "--workers", "3", "--slots", "1", "--hold", "30")
    workers = []
    try:
        wait_until(lambda: len(_children(proc.pid)) >= 3, timeout=30, what="three workers")
        workers = _children(proc.pid)
        time.sleep(0.5)  # past each worker's start (its prctl)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        wait_until(lambda: all(_gone(w) for w in workers), timeout=10, what="the workers to end")
    finally:
        stop_cli(proc)
        for w in workers:
            if not _gone(w):
                os.kill(w, signal.SIGKILL)
        cli("unlink", sem_name)  # a SIGKILLed demo cannot remove its name (docs/cli.md)
