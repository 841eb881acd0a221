"""Every kind's OSError has one form: errno, filename (the name) and strerror
"nob: <step>[ (<reason>)]: <the system's text>", the name only in filename,
so that str(e) reads "[Errno N] nob: <step>...: <text>: '/name'"."""

import errno
import os
import re

import pytest

from nob.ipc import Flags, NamedMessageQueue, NamedSemaphore, NamedSharedMemory, RobustSemaphore

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")

KINDS = {
    "semaphore": lambda n, f: NamedSemaphore(n, 1, f),
    "robust": lambda n, f: RobustSemaphore(n, 1, f),
    "shm": lambda n, f: NamedSharedMemory(n, 8, handle_existence=f),
    "mq": lambda n, f: NamedMessageQueue(n, 1, 8, handle_existence=f),
}


def check_form(e, err, name):
    assert e.errno == err
    assert e.filename == name
    assert re.fullmatch(r"nob: [a-z_]+( \([^)]*\))?: " + re.escape(os.strerror(err)),
                        e.strerror), e.strerror
    assert name not in e.strerror
    assert str(e) == f"[Errno {err}] {e.strerror}: {name!r}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_system_error_of_every_kind_has_one_form(kind, sem_name):
    make = KINDS[kind]
    name = "/" + sem_name
    with pytest.raises(FileNotFoundError) as absent:
        make(sem_name, Flags.RAISE_IF_NOT_EXISTS)
    check_form(absent.value, errno.ENOENT, name)
    obj = make(sem_name, Flags.RAISE_IF_EXISTS)
    with pytest.raises(FileExistsError) as twice:
        make(sem_name, Flags.RAISE_IF_EXISTS)
    check_form(twice.value, errno.EEXIST, name)
    obj.unlink()
    with pytest.raises(FileNotFoundError) as unlinked:
        obj.unlink()
    check_form(unlinked.value, errno.ENOENT, name)
    obj.close()


def test_an_error_found_by_the_binding_has_the_same_form(sem_name):
    q = NamedMessageQueue(sem_name, 1, 8, write=False, handle_existence=Flags.RAISE_IF_EXISTS)
    with pytest.raises(PermissionError) as info:
        q.send(b"x")
    check_form(info.value, errno.EBADF, "/" + sem_name)
    q.close()
