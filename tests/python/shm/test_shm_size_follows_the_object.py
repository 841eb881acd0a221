"""NamedSharedMemory.size is the object's size now (fstat), as in nob.py 1.6.3
(posix_ipc reads it with fstat on every access), and mmap() maps that size:
a segment created empty and sized later through its fd, or resized by
another process, is seen whole."""

import os

import pytest

from nob.ipc import Flags, NamedSharedMemory

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


def test_size_after_ftruncate_through_fd(sem_name):
    with NamedSharedMemory(sem_name, handle_existence=Flags.RAISE_IF_EXISTS) as shm:
        assert shm.size == 0
        os.ftruncate(shm.fd, 4096)
        assert shm.size == 4096
        with shm.mmap() as m:
            assert len(m) == 4096
            m[4095] = 7


def test_linker_sees_growth_made_by_another_handle(sem_name):
    with NamedSharedMemory(sem_name, 1024, handle_existence=Flags.RAISE_IF_EXISTS) as made:
        with NamedSharedMemory(sem_name) as linked:
            assert linked.size == 1024
            os.ftruncate(made.fd, 8192)
            assert linked.size == 8192
            with linked.mmap() as m:
                assert len(m) == 8192


def test_shrunk_object_maps_its_new_size_not_the_old(sem_name):
    with NamedSharedMemory(sem_name, 8192, handle_existence=Flags.RAISE_IF_EXISTS) as shm:
        os.ftruncate(shm.fd, 100)
        assert shm.size == 100 and "size=100>" in repr(shm)
        with shm.mmap() as m:
            assert len(m) == 100


def test_size_of_a_closed_object_raises(sem_name):
    shm = NamedSharedMemory(sem_name, 64, handle_existence=Flags.RAISE_IF_EXISTS)
    shm.close()
    with pytest.raises(ValueError):
        shm.size
