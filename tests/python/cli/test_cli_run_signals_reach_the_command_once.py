"""Each signal reaches CMD once, however it is sent: to nob-sem alone (passed on), to the
process group that nob-sem and CMD share (`kill -- -PGID`, a terminal's Ctrl+C: CMD got it
already, nob-sem does not pass it on a second time), or to that group after CMD left it
(setsid: nob-sem passes it on, so Ctrl+C still ends `run`).

(Before: a group signal that was not the terminal's reached CMD twice, and Ctrl+C was lost
when CMD ran in a session of its own: `run` went on.)"""

import fcntl
import os
import pty
import signal
import subprocess
import sys
import termios
import time

import pytest
from test_cli_support import nob_sem_cmd, wait_until

# A CMD that counts every instance of SIGRTMIN+3 (real-time signals queue: two sends are
# two instances, never merged into one), SIGINT and SIGTERM it gets for $2 seconds, then
# prints the counts (to $3 if given).
COUNTER = """
import os, signal, sys, time
sigs = [signal.SIGRTMIN + 3, signal.SIGINT, signal.SIGTERM]
signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
open(sys.argv[1], "w").write(str(os.getpid()))
counts = dict.fromkeys(sigs, 0)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    info = signal.sigtimedwait(sigs, max(0.0, end - time.monotonic()))
    if info is not None:
        counts[info.si_signo] += 1
text = "RT %d INT %d TERM %d\\n" % tuple(counts[s] for s in sigs)
open(sys.argv[3], "w").write(text) if len(sys.argv) > 3 else sys.stdout.write(text)
"""
RT = signal.SIGRTMIN + 3


def _start(name, tmp_path, argv_after_name, **kwargs):
    started = tmp_path / "started"
    proc = subprocess.Popen(nob_sem_cmd("run", name, "--", *argv_after_name, str(started), "2"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    wait_until(lambda: started.exists() and started.read_text().strip(), what="the command to start")
    return proc


def _finish(proc):
    try:
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out, err


@pytest.mark.parametrize("to", ["group", "nob-sem"])
def test_a_signal_reaches_the_command_once(sem_name, tmp_path, to):
    proc = _start(sem_name, tmp_path, [sys.executable, "-c", COUNTER], start_new_session=True)
    target = -proc.pid if to == "group" else proc.pid  # nob-sem leads its own group here
    for sig in (RT, RT, signal.SIGINT):
        os.kill(target, sig)
        time.sleep(0.3)
    status, out, err = _finish(proc)
    assert (status, out) == (0, "RT 2 INT 1 TERM 0\n"), err


def test_a_group_signal_reaches_a_command_that_left_the_group_once(sem_name, tmp_path):
    proc = _start(sem_name, tmp_path, ["setsid", sys.executable, "-c", COUNTER], start_new_session=True)
    for sig in (RT, RT, signal.SIGTERM):
        os.kill(-proc.pid, sig)
        time.sleep(0.3)
    status, out, err = _finish(proc)
    assert (status, out) == (0, "RT 2 INT 0 TERM 1\n"), err


def _at_a_terminal(argv):
    """Starts argv as the leader of a new session whose controlling terminal is a new pty
    (so its process group is the terminal's foreground group); returns (proc, master fd)."""
    master, slave = pty.openpty()

    def take_terminal():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                            preexec_fn=take_terminal)
    os.close(slave)
    return proc, master


def _drain(master):
    try:
        while os.read(master, 4096):
            pass
    except OSError:  # EIO: nobody has the terminal open any more
        pass


def _hang_up(proc, master):
    """Ends a test at the terminal: kills run if it still runs, then drains and closes the terminal."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    _drain(master)
    os.close(master)


@pytest.mark.parametrize("cmd", ["same-group", "own-session"])
def test_ctrl_c_at_the_terminal_reaches_the_command_once(sem_name, tmp_path, cmd):
    started, counts = tmp_path / "started", tmp_path / "counts"
    prefix = ["setsid"] if cmd == "own-session" else []
    proc, master = _at_a_terminal(nob_sem_cmd("run", sem_name, "--", *prefix, sys.executable, "-c", COUNTER,
                                              str(started), "2", str(counts)))
    try:
        wait_until(lambda: started.exists() and started.read_text().strip(), what="the command to start")
        os.write(master, b"\x03")  # Ctrl+C
        assert proc.wait(timeout=20) == 0  # the command takes it and ends by itself
        assert counts.read_text() == "RT 0 INT 1 TERM 0\n"
    finally:
        _hang_up(proc, master)


def test_ctrl_c_ends_run_when_the_command_runs_in_a_session_of_its_own(sem_name, tmp_path):
    started = tmp_path / "started"
    proc, master = _at_a_terminal(nob_sem_cmd("run", sem_name, "--", "setsid", "sh", "-c",
                                              f"echo $$ > {started}; exec sleep 30"))
    try:
        wait_until(lambda: started.exists() and started.read_text().strip(), what="the command to start")
        os.write(master, b"\x03")
        assert proc.wait(timeout=10) == 128 + signal.SIGINT
    finally:
        _hang_up(proc, master)
    sleeper = int(started.read_text())
    wait_until(lambda: not os.path.exists(f"/proc/{sleeper}"), what="the command to be gone")
