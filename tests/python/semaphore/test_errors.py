"""System failures: the right OSError subclass with errno and filename; OverflowError past the maximum."""

import errno
import os

import pytest

from nob.ipc import SEMAPHORE_VALUE_MAX, Flags, NamedSemaphore

from conftest import sem_exists


def test_file_exists_error_has_errno_and_filename(sem_name):
    sem = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    with pytest.raises(FileExistsError) as info:
        NamedSemaphore("//" + sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    assert info.value.errno == errno.EEXIST
    assert info.value.filename == "/" + sem_name
    assert info.value.strerror
    assert sem_name in str(info.value)
    sem.close()


def test_file_not_found_error_has_errno_and_filename(sem_name):
    with pytest.raises(FileNotFoundError) as info:
        NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_NOT_EXISTS)
    assert info.value.errno == errno.ENOENT
    assert info.value.filename == "/" + sem_name
    assert not sem_exists(sem_name)


def test_unlink_twice_raises_file_not_found(sem_name):
    sem = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    sem.unlink()
    with pytest.raises(FileNotFoundError) as info:
        sem.unlink()
    assert info.value.errno == errno.ENOENT
    assert info.value.filename == "/" + sem_name
    sem.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to uid 65534")
def test_permission_error_for_another_user(sem_name):
    sem = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS, mode=0o600)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: drop to nobody, then try to open
        code = 1
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_NOT_EXISTS)
                os.write(w, b"opened")
            except PermissionError as e:
                ok = e.errno == errno.EACCES and e.filename == "/" + sem_name
                os.write(w, b"permission-error" if ok else f"bad {e!r}".encode())
            except BaseException as e:  # noqa: BLE001 - report anything to the parent
                os.write(w, f"other {e!r}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        got = f.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert got == "permission-error"
    assert sem_exists(sem_name)  # the child's failure touched nothing
    sem.close()


def test_release_past_the_maximum_raises_overflow_and_keeps_the_value(sem_name):
    sem = NamedSemaphore(sem_name, SEMAPHORE_VALUE_MAX - 1, Flags.RAISE_IF_EXISTS)
    with pytest.raises(OverflowError):
        sem.release(2)
    assert sem.value == SEMAPHORE_VALUE_MAX - 1
    sem.release()
    assert sem.value == SEMAPHORE_VALUE_MAX
    with pytest.raises(OverflowError):
        sem.release()
    assert sem.value == SEMAPHORE_VALUE_MAX
    with pytest.raises(OverflowError):
        sem.release(2**80)
    assert sem.value == SEMAPHORE_VALUE_MAX
    with pytest.raises(OverflowError):
        with sem:  # takes one, then releases it: fine
            sem.release()  # back at the maximum inside the block
    assert sem.value == SEMAPHORE_VALUE_MAX
    sem.close()


def test_huge_n_on_an_empty_semaphore_overflows(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    with pytest.raises(OverflowError):
        sem.release(SEMAPHORE_VALUE_MAX + 1)
    assert sem.value == 0
    sem.release(100_000)  # a large n posts every unit (without the GIL)
    assert sem.value == 100_000
    sem.close()
