"""A size that the platform's size_t cannot hold is refused with ValueError
before any system call (on a 32-bit build 2**32 must not become 0), and no
object is left behind."""

import sys

import pytest

from nob.ipc import Flags, NamedSharedMemory

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


@pytest.mark.parametrize("size", [2 * sys.maxsize + 2, 2 * sys.maxsize + 2 + 4096, 2**64])
def test_size_beyond_size_t_is_a_value_error(sem_name, size):
    with pytest.raises(ValueError, match="size must be in"):
        NamedSharedMemory(sem_name, size, handle_existence=Flags.RAISE_IF_EXISTS)
    assert not NamedSharedMemory.exists(sem_name)
