"""A lease (F_SETLEASE) that another process holds on a plain semaphore's file, and
ignores the break signal of, stalls sem_open for the kernel's lease-break-time (45 s by
default): `wait` and `run` count that wait in --timeout, and signals end it."""

import os
import signal
import time

import pytest
from test_cli_support import cli, leased_semaphore, shm_file, start_cli, stop_cli

@pytest.fixture
def leased(sem_name):
    yield from leased_semaphore("plain", sem_name)


@pytest.mark.parametrize("args", [("wait", "--timeout", "1"), ("run", "--plain", "--timeout", "1")],
                         ids=["wait", "run"])
def test_timeout_counts_the_wait_for_a_lease(leased, args):
    start = time.monotonic()
    extra = ("--", "echo", "ran") if args[0] == "run" else ()
    r = cli(*args[:1], *args[1:], leased, *extra, timeout=60)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "ran" not in r.stdout
    assert time.monotonic() - start < 10  # it waited out the lease: ~45 s
    assert os.path.exists(shm_file(leased))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: signal.Signals(s).name)
@pytest.mark.parametrize("command", [("wait",), ("post",), ("create", "--exist-ok")], ids=lambda c: c[0])
def test_a_signal_ends_a_command_stalled_on_a_lease(leased, command, sig):
    proc = start_cli(command[0], leased, *command[1:])
    try:
        time.sleep(1.5)
        assert proc.poll() is None
        proc.send_signal(sig)
        assert proc.wait(timeout=10) in (128 + sig, -sig)  # it took ~45 s
    finally:
        stop_cli(proc)
