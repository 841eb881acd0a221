"""The signals whose default action is a core dump, when another process sends them to
`nob-sem run` (`kill -ABRT`, systemd's watchdog sends SIGABRT), reach the command and
give the plain slot back, like the other terminating signals (they killed nob-sem, its
command was SIGKILLed by PR_SET_PDEATHSIG, and the plain slot was lost)."""

import os
import signal

import pytest
from test_cli_support import cli, start_run, value, wait_until

SIGNALS = [signal.SIGABRT, signal.SIGTRAP, signal.SIGSYS, signal.SIGBUS, signal.SIGSEGV, signal.SIGFPE,
           signal.SIGILL]


@pytest.fixture
def run_name(sem_name):
    yield sem_name
    cli("unlink", sem_name)


def _gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_core_signal_sent_to_run_reaches_the_command_and_frees_the_slot(run_name, tmp_path, sig):
    proc, child = start_run(run_name, tmp_path, "ulimit -c 0; exec sleep 30")
    try:
        assert value(run_name) == 0
        os.kill(proc.pid, sig)
        assert proc.wait(timeout=10) == 128 + sig  # sleep died of it, and nob-sem says so
        assert value(run_name) == 1
        wait_until(lambda: _gone(child), timeout=5, what="the command to be gone")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        if not _gone(child):
            os.kill(child, signal.SIGKILL)
