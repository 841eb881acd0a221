"""NamedSharedMemory(..., allocate=True) allocates every byte when it creates: on a full
/dev/shm the create raises OSError(ENOSPC) and leaves no name, where the lazy default (POSIX's,
kept) creates and the first write dies of SIGBUS (issue 19 item 3, second half). Played as in
test_robust_full_shm.py: a small private /dev/shm filled by one real user, used by another."""

import errno
import json

import pytest

from robust_two_users import create_in_small_shm

# Creates a 64 KiB object (allocate: argv[2]) and writes all of it (SIGBUS there when lazy on a
# full /dev/shm); prints what that gave and whether the name is left.
CREATE = """
from nob.ipc import Flags, NamedSharedMemory
name, allocate = sys.argv[1], sys.argv[2] == "True"
try:
    with NamedSharedMemory(name, 65536, handle_existence=Flags.LINK_OR_CREATE, allocate=allocate) as shm:
        with shm.mmap() as m:
            m[:] = b"\\1" * 65536
    outcome = ["ok"]
except OSError as e:
    outcome = ["OSError", e.errno]
print(json.dumps([outcome, NamedSharedMemory.exists(name)]))
"""


@pytest.mark.parametrize("size,leave", [("64k", 0), ("1m", 4096)], ids=["full", "one_page_left"])
def test_allocate_makes_a_full_shm_enospc_at_create(sem_name, size, leave):
    assert create_in_small_shm(size, leave, sem_name, True, CREATE) == [["OSError", errno.ENOSPC], False]


# The same under a fresh name (name=None always creates: allocate applies; it used to be ignored).
CREATE_UNIQUE = """
import os
from nob.ipc import NamedSharedMemory
allocate = sys.argv[2] == "True"
try:
    with NamedSharedMemory(None, 65536, allocate=allocate) as shm:
        with shm.mmap() as m:
            m[:] = b"\\1" * 65536
    outcome = ["ok"]
except OSError as e:
    outcome = ["OSError", e.errno]
print(json.dumps([outcome, [f for f in os.listdir("/dev/shm") if f.startswith("nob-")]]))
"""


def test_allocate_under_a_fresh_name_is_enospc_at_create_too(sem_name):
    assert create_in_small_shm("64k", 0, sem_name, True, CREATE_UNIQUE) == [["OSError", errno.ENOSPC], []]


def test_with_room_allocate_works(sem_name):
    assert create_in_small_shm("1m", 256 * 1024, sem_name, True, CREATE) == [["ok"], False]


def test_allocate_is_a_bool(sem_name):
    from nob.ipc import Flags, NamedSharedMemory

    with pytest.raises(TypeError):
        NamedSharedMemory(sem_name, 4096, handle_existence=Flags.LINK_OR_CREATE, allocate=1)
    assert not NamedSharedMemory.exists(sem_name)
