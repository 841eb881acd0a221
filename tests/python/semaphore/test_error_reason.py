"""OSError text keeps the reason the header gives, not only strerror."""

import os

import pytest

from conftest import shm_path
from nob.ipc import Flags, NamedSemaphore


def test_a_garbage_backing_file_says_why(sem_name):
    with open(shm_path(sem_name), "wb") as f:
        f.write(b"\xff" * 32)
    try:
        with pytest.raises(OSError) as info:
            NamedSemaphore(sem_name)
        assert info.value.errno == 22
        assert "not a valid semaphore file" in str(info.value)
        assert info.value.filename == "/" + sem_name
    finally:
        os.unlink(shm_path(sem_name))


def test_exists_error_keeps_errno_class_and_name(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    with pytest.raises(FileExistsError) as info:
        NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    assert info.value.filename == "/" + sem_name
    assert "File exists" in str(info.value)
    sem.close()
