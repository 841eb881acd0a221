"""A fresh name belongs to the handle that made it, as a name it created
would: close() (and deletion) removes it unless unlink_on_delete=False, a
forked child never does, another process opens it by name, and `mode` is
applied exactly whatever the umask."""

import gc
import os
import subprocess
import sys

import pytest

from fresh_support import HERE, KINDS, made  # noqa: F401 (a fixture)

PLAIN = {k: v for k, v in KINDS.items() if k != "robust"}


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_close_removes_the_name(kind, made):
    h = made(kind, kind.make())
    h.close()
    assert not kind.cls.exists(h.name)


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_deletion_removes_the_name(kind, made):
    h = made(kind, kind.make())
    name = h.name
    del h
    gc.collect()
    assert not kind.cls.exists(name)


@pytest.mark.parametrize("kind", PLAIN.values(), ids=PLAIN)
def test_unlink_on_delete_false_hands_the_name_on(kind, made):
    h = made(kind, kind.make(unlink_on_delete=False))
    assert h.unlink_on_delete is False
    h.close()
    assert kind.cls.exists(h.name)
    assert kind.cls.remove(h.name)


def test_a_persistent_robust_semaphore_stays_until_removed(made):
    kind = KINDS["robust"]
    h = made(kind, kind.make(persistent=True))
    h.close()
    assert kind.cls.exists(h.name)
    assert kind.cls.remove(h.name)


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_mode_is_exact_whatever_the_umask(kind, made):
    old = os.umask(0o077)
    try:
        for mode in (0o600, 0o640, 0o604, 0o666, 0o400):
            h = made(kind, kind.make(mode=mode))
            assert kind.mode(h) == mode, (oct(mode), oct(kind.mode(h)))
            h.close()
        h = made(kind, kind.make())
        assert kind.mode(h) == 0o600
        h.close()
    finally:
        os.umask(old)


OPENER = """
import sys
from fresh_support import KINDS
kind = KINDS[sys.argv[1]]
h = kind.open(sys.argv[2])
sys.exit(0 if h.linked_existing_object and kind.marked(h) else 1)
"""


@pytest.mark.parametrize("kind_id", KINDS)
def test_another_program_opens_it_by_name(kind_id, made):
    kind = KINDS[kind_id]
    h = made(kind, kind.make())
    kind.mark(h)
    env = dict(os.environ, PYTHONPATH=HERE)  # where fresh_support is
    done = subprocess.run([sys.executable, "-c", OPENER, kind_id, h.name], env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert kind.cls.exists(h.name)  # it linked: it removed nothing
    h.close()
    assert not kind.cls.exists(h.name)


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_a_forked_child_opens_it_and_never_removes_it(kind, made):
    h = made(kind, kind.make())
    kind.mark(h)
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            other = kind.open(h.name)
            ok = other.linked_existing_object and kind.marked(other)
            other.close()
            h.close()  # the parent's handle, inherited: the child did not create it
            status = 0 if ok and kind.cls.exists(h.name) else 2
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    assert kind.cls.exists(h.name)
    h.close()
    assert not kind.cls.exists(h.name)
