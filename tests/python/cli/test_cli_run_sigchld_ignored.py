"""nob-sem run started with SIGCHLD ignored (inherited from a parent that ignores it)
still reports the command's status: an ignored SIGCHLD makes the kernel reap the child
itself, and the status was lost (exit 0 whatever the command did)."""

import signal
import subprocess

import pytest
from test_cli_support import cli, nob_sem_cmd


def _ignore_sigchld():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)


def _run_ignoring_sigchld(*args):
    return subprocess.run(nob_sem_cmd(*args), capture_output=True, text=True, timeout=60,
                          preexec_fn=_ignore_sigchld)


@pytest.fixture
def run_name(sem_name):
    yield sem_name
    cli("unlink", sem_name)


@pytest.mark.parametrize("script, status", [("exit 3", 3), ("kill -TERM $$", 128 + signal.SIGTERM), ("true", 0)])
def test_the_status_of_the_command_is_passed_on(run_name, script, status):
    r = _run_ignoring_sigchld("run", "--plain", run_name, "--", "sh", "-c", script)
    assert r.returncode == status, r.stderr


def test_the_command_still_starts_with_sigchld_ignored(run_name):
    r = _run_ignoring_sigchld("run", "--plain", run_name, "--", "grep", "^SigIgn", "/proc/self/status")
    assert r.returncode == 0, r.stderr
    ignored = int(r.stdout.split()[1], 16)
    assert ignored & (1 << (signal.SIGCHLD - 1)), r.stdout  # as if started directly
