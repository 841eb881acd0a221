"""A lease (F_SETLEASE) that another process holds on a robust file, and ignores the
break signal of, stalls a plain open for the kernel's lease-break-time (45 s by
default): `unlink` does not wait it out, `run` counts it in --timeout."""

import os
import time

import pytest
from test_cli_support import SHM, cli, leased_semaphore

import nob.ipc

pytestmark = pytest.mark.skipif(not hasattr(nob.ipc, "RobustSemaphore"), reason="no RobustSemaphore in this build")

@pytest.fixture
def leased(sem_name):
    yield from leased_semaphore("robust", sem_name)


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
