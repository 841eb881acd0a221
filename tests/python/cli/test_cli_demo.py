"""nob-sem demo: workers share one named semaphore; at most K hold a slot; nothing left over."""

import os
import re
import signal
import subprocess
import time

from test_cli_support import module_cmd, nob_sem_cmd, start_cli, wait_until


def _run_demo(argv):
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    return r, time.monotonic() - t0


def _assert_demo_output(r, workers, slots, rounds):
    assert r.returncode == 0, r.stderr
    held = [int(m.group(1)) for m in re.finditer(r"\[(\d+)/%d in use\]" % slots, r.stdout)]
    assert len(held) == workers * rounds, r.stdout
    assert max(held) <= slots
    assert f"at most {max(held)} of {slots} slots" in r.stdout
    assert "removed: yes" in r.stdout


def test_default_demo_finishes_quickly_and_leaves_nothing():
    proc = subprocess.Popen(nob_sem_cmd("demo"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=60)
    r = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    _assert_demo_output(r, workers=5, slots=2, rounds=2)
    assert f"/nob-demo-{proc.pid}" in out  # the default name, now gone:
    assert not [f for f in os.listdir("/dev/shm") if f.startswith(f"sem.nob-demo-{proc.pid}")]


def test_demo_via_module_with_a_given_name(sem_name):
    r, elapsed = _run_demo(module_cmd("demo", "--name", sem_name, "--workers", "4", "--slots", "3",
                                      "--rounds", "1", "--hold", "0.1"))
    _assert_demo_output(r, workers=4, slots=3, rounds=1)
    assert elapsed < 30
    assert not os.path.exists(f"/dev/shm/sem.{sem_name}")


def test_demo_refuses_a_name_that_exists(sem_name):
    path = f"/dev/shm/sem.{sem_name}"
    assert subprocess.run(nob_sem_cmd("create", sem_name), timeout=30).returncode == 0
    r, _ = _run_demo(nob_sem_cmd("demo", "--name", sem_name))
    assert r.returncode == 4  # already exists
    assert r.stderr == f"nob-sem: /{sem_name}: already exists\n"
    assert os.path.exists(path)  # someone else's: left alone
    os.unlink(path)


def test_demo_interrupted_stops_its_workers_and_removes_the_name(sem_name):
    proc = start_cli("demo", "--name", sem_name, "--hold", "5")
    try:
        wait_until(lambda: os.path.exists(f"/dev/shm/sem.{sem_name}"), what="the demo to start")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 130
        assert "Traceback" not in err
        assert "interrupted" in err
        assert not os.path.exists(f"/dev/shm/sem.{sem_name}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_demo_says_one_slot_and_one_turn(sem_name):
    r, _ = _run_demo(nob_sem_cmd("demo", "--name", sem_name, "--workers", "1", "--slots", "1", "--rounds", "1",
                                 "--hold", "0"))
    assert r.returncode == 0, r.stderr
    assert "with 1 slot; starting 1 worker (1 turn of 0 s each)" in r.stdout, r.stdout
    assert "at most 1 of 1 slot held at once" in r.stdout, r.stdout
