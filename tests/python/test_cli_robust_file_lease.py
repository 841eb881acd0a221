"""A lease (F_SETLEASE) that another process holds on a robust file, and ignores the
break signal of, stalls a plain open for the kernel's lease-break-time (45 s by
default): `unlink` does not wait it out, `run` counts it in --timeout."""

import os
import subprocess
import time

import pytest
from test_cli_support import SHM, cli

import nob.ipc

from conftest import start_child, wait_for_line

pytestmark = pytest.mark.skipif(not hasattr(nob.ipc, "RobustSemaphore"), reason="no RobustSemaphore in this build")

LEASER = """
    import fcntl, os, signal, sys
    from nob.ipc import Flags, RobustSemaphore
    signal.signal(signal.SIGIO, signal.SIG_IGN)  # deaf to the lease break
    RobustSemaphore(sys.argv[1], 2, Flags.RAISE_IF_EXISTS, persistent=True).close()
    fd = os.open("/dev/shm/nob." + sys.argv[1], os.O_RDONLY)
    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    print("leased", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def leased(sem_name):
    child = start_child(LEASER, sem_name, stdin=subprocess.PIPE)
    wait_for_line(child, "leased")
    yield sem_name
    child.stdin.close()
    child.wait(timeout=30)
    try:
        os.unlink(os.path.join(SHM, "nob." + sem_name))
    except FileNotFoundError:
        pass


def test_unlink_removes_a_leased_robust_file_without_waiting(leased):
    start = time.monotonic()
    r = cli("unlink", leased, timeout=40)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(os.path.join(SHM, "nob." + leased))
    assert time.monotonic() - start < 10  # it waited out the lease: ~45 s


def test_run_timeout_counts_the_wait_for_a_lease(leased):
    start = time.monotonic()
    r = cli("run", "--timeout", "1", leased, "--", "echo", "ran", timeout=40)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "ran" not in r.stdout
    assert time.monotonic() - start < 10
