"""NamedSharedMemory: policies, size, fd, mmap(), read_only, close, with, repr, weakref, pickling."""

import gc
import mmap
import os
import pickle
import stat
import weakref

import pytest

from nob.ipc import Flags, NamedSharedMemory

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")


def path(name):
    return "/dev/shm/" + name.lstrip("/")


def test_create_map_write_and_read_back_through_another_handle(sem_name):
    with NamedSharedMemory(sem_name, 4096, handle_existence=Flags.RAISE_IF_EXISTS) as shm:
        assert shm.name == "/" + sem_name
        assert shm.size == 4096 and os.fstat(shm.fd).st_size == 4096
        assert shm.linked_existing_object is False and shm.unlink_on_delete is True
        with shm.mmap() as m:
            m[:5] = b"hello"
        other = NamedSharedMemory(sem_name)  # default: RAISE_IF_NOT_EXISTS
        assert other.linked_existing_object is True and other.unlink_on_delete is False
        with other.mmap() as m:
            assert m[:5] == b"hello" and len(m) == 4096
        other.close()
        assert os.path.exists(path(sem_name))  # the linker never unlinks
    assert not os.path.exists(path(sem_name))  # the creator's `with` closed and unlinked


def test_policies(sem_name):
    with pytest.raises(FileNotFoundError):
        NamedSharedMemory(sem_name, 16)
    a = NamedSharedMemory(sem_name, 16, handle_existence=Flags.LINK_OR_CREATE)
    assert a.linked_existing_object is False
    b = NamedSharedMemory(sem_name, 16, handle_existence=Flags.LINK_OR_CREATE)
    assert b.linked_existing_object is True
    with pytest.raises(FileExistsError) as e:
        NamedSharedMemory(sem_name, 16, handle_existence=Flags.RAISE_IF_EXISTS)
    assert e.value.filename == "/" + sem_name
    ino = os.stat(path(sem_name)).st_ino
    c = NamedSharedMemory(sem_name, 32, handle_existence=Flags.UNLINK_AND_CREATE)
    assert c.linked_existing_object is False and c.size == 32
    assert os.stat(path(sem_name)).st_ino != ino
    for h in (a, b):
        h.close()
    assert os.path.exists(path(sem_name))  # a's object was replaced: a must not unlink c's
    c.close()
    assert not os.path.exists(path(sem_name))


def test_size_matters_only_when_creating(sem_name):
    with NamedSharedMemory(sem_name, 100, handle_existence=Flags.RAISE_IF_EXISTS):
        for size in (0, 10, 100000):
            with NamedSharedMemory(sem_name, size) as linked:
                assert linked.size == 100
        assert os.stat(path(sem_name)).st_size == 100


def test_mode_is_exact_whatever_the_umask(sem_name):
    old = os.umask(0o077)
    try:
        with NamedSharedMemory(sem_name, 8, handle_existence=Flags.RAISE_IF_EXISTS, mode=0o644):
            assert stat.S_IMODE(os.stat(path(sem_name)).st_mode) == 0o644
    finally:
        os.umask(old)
    with NamedSharedMemory(sem_name, 8, handle_existence=Flags.RAISE_IF_EXISTS):
        assert stat.S_IMODE(os.stat(path(sem_name)).st_mode) == 0o600


def test_read_only_maps_for_reading_only(sem_name):
    with NamedSharedMemory(sem_name, 64, handle_existence=Flags.RAISE_IF_EXISTS) as rw:
        with rw.mmap() as m:
            m[:3] = b"abc"
        with NamedSharedMemory(sem_name, read_only=True) as ro:
            assert ro.read_only is True
            with ro.mmap() as m:
                assert m[:3] == b"abc"
                with pytest.raises(TypeError):
                    m[:3] = b"xyz"
            assert os.fstat(ro.fd).st_size == 64


def test_mapping_stays_valid_after_close(sem_name):
    shm = NamedSharedMemory(sem_name, 64, handle_existence=Flags.RAISE_IF_EXISTS)
    m = shm.mmap()
    shm.close()
    assert not os.path.exists(path(sem_name))
    m[:4] = b"live"
    assert m[:4] == b"live"
    m.close()


def test_empty_object_maps_to_the_mmap_error(sem_name):
    with NamedSharedMemory(sem_name, handle_existence=Flags.RAISE_IF_EXISTS) as shm:
        assert shm.size == 0
        with pytest.raises(ValueError):
            shm.mmap()


CLOSED_CALLS = {
    "size": lambda s: s.size,
    "fd": lambda s: s.fd,
    "mmap()": lambda s: s.mmap(),
    "unlink()": lambda s: s.unlink(),
    "unlink_on_delete=": lambda s: setattr(s, "unlink_on_delete", True),
}


@pytest.mark.parametrize("call", CLOSED_CALLS.values(), ids=list(CLOSED_CALLS))
def test_every_call_on_a_closed_object_raises_value_error(sem_name, call):
    shm = NamedSharedMemory(sem_name, 8, handle_existence=Flags.RAISE_IF_EXISTS)
    shm.close()
    shm.close()  # idempotent
    assert shm.closed is True
    with pytest.raises(ValueError, match="closed"):
        call(shm)
    assert shm.name == "/" + sem_name and shm.linked_existing_object is False


def test_unlink_then_close_unlinks_nothing_more(sem_name):
    shm = NamedSharedMemory(sem_name, 8, handle_existence=Flags.RAISE_IF_EXISTS)
    shm.unlink()
    assert not NamedSharedMemory.exists(sem_name)
    again = NamedSharedMemory(sem_name, 8, handle_existence=Flags.RAISE_IF_EXISTS)
    shm.close()
    assert NamedSharedMemory.exists(sem_name)
    with pytest.raises(FileNotFoundError):
        NamedSharedMemory(sem_name + "-none")
    again.close()
    assert NamedSharedMemory.remove(sem_name) is False


def test_repr_weakref_and_pickling(sem_name):
    class Sub(NamedSharedMemory):
        pass

    shm = Sub(sem_name, 8, handle_existence=Flags.RAISE_IF_EXISTS)
    assert repr(shm) == f"<Sub '/{sem_name}' size=8>"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(shm)
    ref = weakref.ref(shm)
    assert ref() is shm
    del shm
    gc.collect()
    assert ref() is None
    assert not os.path.exists(path(sem_name))  # deletion closed and unlinked


def test_flags_are_the_semaphores(sem_name):
    from nob.ipc import NamedSemaphore
    assert NamedSharedMemory.Flags is Flags is NamedSemaphore.Flags
