"""nob-sem run holds its slot until every process of the job has ended, also those that
closed the descriptors they inherited (Python's subprocess closes them by default, and so
do daemons, sudo, Java's ProcessBuilder), and only then exits, with CMD's status. A
terminating signal sent to `run` reaches the processes CMD leaves behind too.

(Before nob-sem became the job's subreaper, `run` exited with CMD and a leftover that had
closed its descriptors held nothing: another `run --slots 1` got the slot at once.)"""

import os
import signal
import sys
import time

import pytest
from test_cli_support import alive, cli, start_cli, stop_cli, wait_until

# Each CMD leaves a `sleep 30` behind that has closed every inherited descriptor, writes
# its pid to $1, then exits 7 ("exits") or keeps running ("runs").
LEFTOVERS = {
    "python-subprocess": (f'{sys.executable} -c "import subprocess, sys\n'
                          'p = subprocess.Popen([\'sleep\', \'30\'])\n'  # close_fds=True by default
                          'open(sys.argv[1], \'w\').write(str(p.pid))" "$1"'),
    "daemon": (f'{sys.executable} -c "import os, sys\n'
               'if os.fork() == 0:\n'
               '    os.setsid()\n'
               '    if os.fork() == 0:\n'
               '        os.closerange(0, 65536)\n'
               '        fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600)\n'
               '        os.write(fd, str(os.getpid()).encode()); os.close(fd)\n'
               '        os.execvp(\'sleep\', [\'sleep\', \'30\'])\n'
               '    os._exit(0)\n'
               'os.wait()" "$1"'),
}
ENDS = {"exits": "exit 7", "runs": "while :; do sleep 0.05; done"}


def _closed_everything(pid):
    """True when the process kept no descriptor but its standard ones (0, 1 and 2)."""
    return not [fd for fd in os.listdir(f"/proc/{pid}/fd") if int(fd) > 2]


def _no_slot_now(name):
    """True when `run NAME` gets no slot within 0.5 s (the one slot is held)."""
    r = cli("run", "--robust", name, "--timeout", "0.5", "--", "true")
    assert r.returncode in (0, 1), r.stderr
    return r.returncode == 1


def _start(name, tmp_path, leftover, end):
    pidfile = tmp_path / "left"
    proc = start_cli("run", name, "--", "sh", "-c", f"{LEFTOVERS[leftover]}; {ENDS[end]}", "sh", str(pidfile))
    wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), what="the job's leftover")
    return proc, int(pidfile.read_text())


@pytest.mark.parametrize("leftover", sorted(LEFTOVERS))
def test_run_ends_with_the_last_process_of_the_job(sem_name, tmp_path, leftover):
    proc, left = _start(sem_name, tmp_path, leftover, "exits")
    try:
        assert _closed_everything(left)
        assert _no_slot_now(sem_name), "another run got the slot while the job's process still ran"
        assert proc.poll() is None, "run ended before the job did"
        time.sleep(0.3)
        assert _no_slot_now(sem_name)
        os.kill(left, signal.SIGKILL)
        assert proc.wait(timeout=10) == 7  # CMD's status, once the job has ended
        r = cli("run", sem_name, "--timeout", "0", "--", "true")
        assert r.returncode == 0, r.stderr  # the slot is free at once
    finally:
        if alive(left):
            os.kill(left, signal.SIGKILL)
        stop_cli(proc)
    assert cli("info", sem_name).returncode == 3  # the name went with the last run


@pytest.mark.parametrize("end", sorted(ENDS))
@pytest.mark.parametrize("leftover", sorted(LEFTOVERS))
def test_a_signal_to_run_reaches_what_cmd_leaves_behind(sem_name, tmp_path, leftover, end):
    proc, left = _start(sem_name, tmp_path, leftover, end)
    try:
        if end == "exits":  # CMD has exited (and was reaped): only the leftover is left, run's child now
            wait_until(lambda: _children(proc.pid) == [str(left)], what="CMD to exit")
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(timeout=10)
        assert status == (7 if end == "exits" else 128 + signal.SIGTERM)
        assert not alive(left), "the leftover outlived run"
        r = cli("run", sem_name, "--timeout", "0", "--", "true")
        assert r.returncode == 0, r.stderr
    finally:
        if alive(left):
            os.kill(left, signal.SIGKILL)
        stop_cli(proc)


def test_a_shell_killed_in_the_middle_takes_its_foreground_child_along(sem_name, tmp_path):
    """`sh -c 'sleep 30; true'` sent SIGTERM: sh dies of it, and its `sleep` gets it too."""
    started = tmp_path / "started"
    proc = start_cli("run", sem_name, "--", "sh", "-c", f"echo $$ > {started}; sleep 30; true")
    try:
        wait_until(lambda: started.exists() and started.read_text().strip(), what="the command")
        shell = int(started.read_text())
        wait_until(lambda: any(alive(int(p)) for p in _children(shell)), what="sleep to start")
        sleep_pid = int(_children(shell)[0])
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 128 + signal.SIGTERM
        assert not alive(sleep_pid)
    finally:
        stop_cli(proc)


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return f.read().split()
    except FileNotFoundError:
        return []
