"""Security: 0600 by default, exact mode under any umask, another uid shut out."""

import errno
import os
import stat

import pytest

from conftest import run_child, shm_path
from nob.ipc import Flags, NamedSemaphore


def mode_of(name):
    return stat.S_IMODE(os.lstat(shm_path(name)).st_mode)


def test_default_mode_is_0600(sem_name):
    old = os.umask(0)
    try:
        sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    finally:
        os.umask(old)
    assert mode_of(sem_name) == 0o600
    sem.close()


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077, 0o777])
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o666, 0o400, 0o000])
def test_mode_is_exact_whatever_the_umask(sem_name, umask, mode):
    old = os.umask(umask)
    try:
        sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS, mode=mode)
    finally:
        os.umask(old)
    assert mode_of(sem_name) == mode
    sem.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to another uid")
def test_another_uid_can_neither_open_nor_unlink(sem_name):
    sem = NamedSemaphore(sem_name, 3, Flags.RAISE_IF_EXISTS)
    code = """
import os, sys
from nob.ipc import Flags, NamedSemaphore
os.setgroups([]); os.setgid(65534); os.setuid(65534)
name = sys.argv[1]
for flags in (Flags.RAISE_IF_NOT_EXISTS, Flags.LINK_OR_CREATE):
    try:
        NamedSemaphore(name, handle_existence=flags)
        print("opened")
    except PermissionError as e:
        print("refused", e.errno, e.filename)
for call in (lambda: NamedSemaphore.remove(name),
             lambda: NamedSemaphore(name, handle_existence=Flags.UNLINK_AND_CREATE)):
    try:
        call()
        print("removed")
    except OSError as e:
        print("refused", e.errno)
"""
    res = run_child(code, sem_name)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split("\n")
    assert lines[0] == f"refused {errno.EACCES} {sem.name}"
    assert lines[1] == f"refused {errno.EACCES} {sem.name}"
    assert lines[2].startswith("refused") and lines[3].startswith("refused")
    assert sem.value == 3 and mode_of(sem_name) == 0o600
    sem.close()
