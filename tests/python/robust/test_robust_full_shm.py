"""A full /dev/shm gives RobustSemaphore an OSError(ENOSPC), never SIGBUS, and leaves nothing
behind (issue 19 item 3). Robust files were sized with ftruncate (sparse) and written through
the mapping: with a 64 KiB tmpfs filled by another user, creating one died of SIGBUS, and with
one page left the create succeeded and the first acquire() died of SIGBUS, leaving a stale
file. Each case runs in a /dev/shm of its own (a small tmpfs, test_cli_support.PrivateIpc),
filled by another real user; the victim is a third."""

import errno

import pytest

from robust_two_users import create_in_small_shm

# Creates a semaphore and takes its units (SIGBUS there, before); prints what that gave and
# the nob files left in /dev/shm.
CREATE = """
from nob.ipc import Flags, RobustSemaphore
name, capacity = sys.argv[1], int(sys.argv[2])
try:
    sem = RobustSemaphore(name, capacity, Flags.LINK_OR_CREATE)
    taken = [sem.acquire(blocking=False) for _ in range(capacity)]
    sem.release(capacity)
    sem.close()
    outcome = ["ok", all(taken)]
except OSError as e:
    outcome = ["OSError", e.errno]
print(json.dumps([outcome, sorted(f for f in os.listdir("/dev/shm") if f.startswith("nob"))]))
"""


@pytest.mark.parametrize("size,leave", [("64k", 0), ("1m", 4096)], ids=["full", "one_page_left"])
def test_creating_on_a_full_shm_is_enospc_not_sigbus(sem_name, size, leave):
    outcome, left = create_in_small_shm(size, leave, sem_name, 1, CREATE)
    assert outcome == ["OSError", errno.ENOSPC]
    assert left == []


def test_with_room_it_works_and_leaves_nothing(sem_name):
    outcome, left = create_in_small_shm("1m", 256 * 1024, sem_name, 3, CREATE)
    assert outcome == ["ok", True]
    assert left == []
