"""The backing file /dev/shm/nob.NAME: mode applied exactly whatever the umask; a foreign,
truncated or corrupt file is refused with OSError(EINVAL) naming the semaphore, never a crash."""

import errno
import os
import stat

import pytest

from nob.ipc import Flags, RobustSemaphore


def backing_file(name):
    return os.path.join("/dev/shm", "nob." + name.lstrip("/"))


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o666, 0o400])
def test_mode_is_applied_exactly_whatever_the_umask(sem_name, mode):
    old = os.umask(0o077)
    try:
        sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS, mode=mode)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(backing_file(sem_name)).st_mode) == mode
    sem.close()


@pytest.mark.parametrize(
    "content",
    [b"", b"x", b"\0" * 64, b"not a robust semaphore, just a file" * 10, b"\xff" * 65608],
    ids=["empty", "one-byte", "zero-header", "text", "ones"],
)
def test_a_foreign_or_corrupt_file_is_refused_with_einval(sem_name, content):
    path = backing_file(sem_name)
    with open(path, "wb") as f:
        f.write(content)
    try:
        for policy in (Flags.RAISE_IF_NOT_EXISTS, Flags.LINK_OR_CREATE):
            with pytest.raises(OSError) as info:
                RobustSemaphore(sem_name, 1, policy)
            assert info.value.errno == errno.EINVAL
            assert info.value.filename == "/" + sem_name
        with open(path, "rb") as f:
            assert f.read() == content  # refused, not repaired or truncated
    finally:
        os.unlink(path)


def test_a_truncated_real_file_is_refused(sem_name):
    sem = RobustSemaphore(sem_name, 4, Flags.RAISE_IF_EXISTS, persistent=True)
    sem.close()
    path = backing_file(sem_name)
    os.truncate(path, os.path.getsize(path) - 8)
    try:
        with pytest.raises(OSError) as info:
            RobustSemaphore(sem_name)
        assert info.value.errno == errno.EINVAL
    finally:
        assert RobustSemaphore.remove(sem_name)  # the data file and its lock file
        assert not os.path.exists(path)
