"""nob-sem run's robust slot is held exactly as long as any process of the job lives: CMD,
its background children and grandchildren, a daemon it starts (double fork + setsid).
`run` waits for all of them; a SIGTERM sent to it reaches them; after a SIGKILL of nob-sem
they keep the slot through the descriptor it lent them (test_cli_run_waits_for_the_whole_job.py
has the jobs whose processes close their descriptors).

Each job leaves a `sleep` behind that records its pid; while it lives, another `run`
gets no slot; once it has ended, the next `run` gets the slot and the name goes away."""

import os
import signal
import sys
import time

import pytest
from test_cli_support import alive, cli, start_cli, stop_cli, wait_until

# Each job starts a process that outlives CMD and writes its pid to $1; CMD then
# waits (so that nob-sem can be killed while it runs) or ends at once.
JOBS = {
    "background-child": 'sleep 30 >/dev/null 2>&1 & echo $! > "$1"; {end}',
    "grandchild": 'sh -c \'sleep 30 >/dev/null 2>&1 & echo $! > "$1"\' sh "$1"; {end}',
    "daemon": (f'{sys.executable} -c "import os, sys, time\n'
               'if os.fork() == 0:\n'
               '    os.setsid()\n'
               '    if os.fork() == 0:\n'
               '        fd = os.open(os.devnull, os.O_RDWR)\n'
               '        for i in (0, 1, 2): os.dup2(fd, i)\n'
               '        open(sys.argv[1], \'w\').write(str(os.getpid()))\n'
               '        time.sleep(30)\n'
               '    os._exit(0)\n'
               'os.wait()" "$1"; {end}'),
}


def _slots_are_lent(name):
    """True when nob-sem lends a robust slot to its job (run.lendable)."""
    from nob.ipc import Flags, RobustSemaphore
    from nob.ipc._cli.run import lendable

    sem = RobustSemaphore(name, 1, Flags.RAISE_IF_EXISTS)
    try:
        return lendable(sem)
    finally:
        sem.close()


def _no_slot_now(name):
    """True when `run NAME` gets no slot within 0.5 s (the one slot is held)."""
    r = cli("run", "--robust", name, "--timeout", "0.5", "--", "true")
    assert r.returncode in (0, 1), r.stderr
    return r.returncode == 1


@pytest.mark.parametrize("job", sorted(JOBS))
@pytest.mark.parametrize("end", ["cmd-exits", "sigterm", "sigkill"])
def test_the_slot_lives_as_long_as_any_process_of_the_job(sem_name, tmp_path, job, end):
    if end == "sigkill" and not _slots_are_lent(sem_name + "-probe"):
        pytest.skip("this library's liveness descriptor is the robust data file: nob-sem lends nothing "
                    "(docs/cli.md, \"What a lent descriptor allows\")")
    pidfile = tmp_path / "left"
    script = JOBS[job].format(end="exit 0" if end == "cmd-exits" else "while :; do sleep 0.05; done")
    proc = start_cli("run", sem_name, "--", "sh", "-c", script, "sh", str(pidfile))
    left = None
    try:
        wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), what="the job's leftover")
        left = int(pidfile.read_text())
        if end == "sigterm":
            proc.send_signal(signal.SIGTERM)  # passed on to CMD, then to what it left behind
            assert proc.wait(timeout=10) == 128 + signal.SIGTERM
            assert not alive(left)
        else:
            if end == "sigkill":
                proc.kill()
                proc.wait(timeout=10)
            assert alive(left)
            assert _no_slot_now(sem_name), "another run got the slot while the job's process still ran"
            time.sleep(0.3)
            assert _no_slot_now(sem_name)
            assert proc.poll() is not None if end == "sigkill" else proc.poll() is None  # run waits for the job
            os.kill(left, signal.SIGKILL)
            wait_until(lambda: not alive(left), what="the leftover to end")
            if end == "cmd-exits":
                assert proc.wait(timeout=10) == 0
        t0 = time.monotonic()
        r = cli("run", sem_name, "--timeout", "10", "--", "true")
        assert r.returncode == 0, r.stderr  # the slot came back with the job's last process
        assert time.monotonic() - t0 < 5.0
    finally:
        if left is not None and alive(left):
            os.kill(left, signal.SIGKILL)
        stop_cli(proc)
    r = cli("info", sem_name)
    assert r.returncode == 3, r.stdout  # gone with its last user


def test_a_job_without_leftovers_gives_the_slot_back_and_the_name_goes(sem_name):
    r = cli("run", sem_name, "--", "sh", "-c", "sleep 0.1 & wait")
    assert r.returncode == 0, r.stderr
    assert cli("info", sem_name).returncode == 3  # closed normally: no stale file left
