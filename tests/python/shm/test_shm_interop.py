"""NamedSharedMemory and posix_ipc.SharedMemory open each other's objects, both ways."""

import mmap
import os
import stat

import pytest

from nob.ipc import Flags, NamedSharedMemory

posix_ipc = pytest.importorskip("posix_ipc")

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


def test_posix_ipc_opens_what_nob_created(sem_name):
    with NamedSharedMemory(sem_name, 4096, handle_existence=Flags.RAISE_IF_EXISTS) as shm:
        with shm.mmap() as m:
            m[:3] = b"nob"
        other = posix_ipc.SharedMemory("/" + sem_name)
        assert other.size == 4096
        with mmap.mmap(other.fd, other.size) as m:
            assert m[:3] == b"nob"
            m[3:6] = b"pix"
        other.close_fd()
        with shm.mmap() as m:
            assert m[:6] == b"nobpix"
    with pytest.raises(posix_ipc.ExistentialError):
        posix_ipc.SharedMemory("/" + sem_name)  # nob's creator unlinked it


def test_nob_opens_what_posix_ipc_created(sem_name):
    made = posix_ipc.SharedMemory("/" + sem_name, posix_ipc.O_CREX, mode=0o600, size=100)
    try:
        with mmap.mmap(made.fd, made.size) as m:
            m[:5] = b"posix"
        with NamedSharedMemory(sem_name) as shm:
            assert shm.linked_existing_object is True and shm.size == 100
            with shm.mmap() as m:
                assert m[:5] == b"posix"
        with NamedSharedMemory(sem_name, handle_existence=Flags.LINK_OR_CREATE) as shm:
            assert shm.linked_existing_object is True
        assert stat.S_IMODE(os.stat("/dev/shm/" + sem_name).st_mode) == 0o600
    finally:
        made.close_fd()
        made.unlink()


def test_remove_and_exists_see_posix_ipc_objects(sem_name):
    made = posix_ipc.SharedMemory("/" + sem_name, posix_ipc.O_CREX, size=8)
    made.close_fd()
    assert NamedSharedMemory.exists(sem_name)
    assert NamedSharedMemory.remove(sem_name) is True
    with pytest.raises(posix_ipc.ExistentialError):
        posix_ipc.unlink_shared_memory("/" + sem_name)
