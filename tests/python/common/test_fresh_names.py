"""name=None, every kind: a fresh name of the documented form ("/nob-" and 16
hex digits), valid under the name rules, made by this call (never linked),
different for every handle, thread and process (also a forked child's from
its parent's next one); every policy that may create means that create."""

import os
import subprocess
import sys
import threading

import pytest

from fresh_support import FRESH, HERE, KINDS, made  # noqa: F401 (a fixture)

from nob.ipc import Flags, NamedSemaphore, NamedSharedMemory
from nob.ipc._semaphore import normalize_name


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_a_fresh_name_is_valid_and_of_the_documented_form(kind, made):
    h = made(kind, kind.make())
    assert FRESH.fullmatch(h.name), h.name
    assert normalize_name(h.name) == h.name
    assert h.linked_existing_object is False
    assert kind.cls.exists(h.name)
    h.close()
    assert not kind.cls.exists(h.name)


def test_the_contract_example(made):
    sem = made(KINDS["semaphore"], NamedSemaphore(None, initial_value=1))
    shm = made(KINDS["shm"], NamedSharedMemory(None, size=4096))
    assert FRESH.fullmatch(sem.name) and FRESH.fullmatch(shm.name)
    assert sem.value == 1 and shm.size == 4096
    sem.close()
    shm.close()


CREATING = {"left out": None, "RAISE_IF_EXISTS": Flags.RAISE_IF_EXISTS,
            "LINK_OR_CREATE": Flags.LINK_OR_CREATE, "UNLINK_AND_CREATE": Flags.UNLINK_AND_CREATE}


@pytest.mark.parametrize("policy", CREATING.values(), ids=CREATING)
@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_every_policy_that_may_create_means_a_fresh_create(kind, policy, made):
    kw = {} if policy is None else {"handle_existence": policy}
    a = made(kind, kind.make(**kw))
    b = made(kind, kind.make(**kw))
    assert a.name != b.name
    for h in (a, b):
        assert FRESH.fullmatch(h.name)
        assert h.linked_existing_object is False
        if kind is not KINDS["robust"]:
            assert h.unlink_on_delete is True
        h.close()


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_no_two_handles_share_a_name(kind, made):
    handles = [made(kind, kind.make()) for _ in range(40)]
    assert len({h.name for h in handles}) == len(handles)
    for h in handles:
        h.close()


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_threads_draw_different_names(kind, made):
    names, errors = [], []

    def work():
        try:
            kept = [kind.make() for _ in range(10)]
            names.extend(h.name for h in kept)
            for h in kept:
                h.close()
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(names)) == len(names) == 40
    for name in names:
        made.names.append((kind, name))


CHILD = """
import sys
from fresh_support import KINDS
kind = KINDS[sys.argv[1]]
kept = [kind.make() for _ in range(10)]
print(" ".join(h.name for h in kept), flush=True)
sys.stdin.read()  # until the parent has every child's names
"""


@pytest.mark.parametrize("kind_id", KINDS)
def test_processes_draw_different_names(kind_id, made):
    env = dict(os.environ, PYTHONPATH=HERE)  # where fresh_support is
    children = [subprocess.Popen([sys.executable, "-c", CHILD, kind_id], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, env=env) for _ in range(3)]
    names = []
    for c in children:  # each keeps its objects until all have made theirs
        names += c.stdout.readline().split()
    for c in children:
        c.communicate(timeout=30)
        assert c.returncode == 0
    kind = KINDS[kind_id]
    made.names += [(kind, n) for n in names]
    assert len(names) == 30 and len(set(names)) == 30
    assert all(FRESH.fullmatch(n) for n in names)


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS)
def test_a_forked_child_draws_not_what_its_parent_draws_next(kind, made):
    # A generator whose state fork() copies would give the child's name to the
    # parent's next draw; the child's object is gone by then, so no collision
    # would hide the repeat.
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            h = kind.make()
            os.write(w, h.name.encode())
            h.close()
            status = 0
        finally:
            os._exit(status)
    os.close(w)
    with os.fdopen(r) as f:
        child_name = f.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0 and FRESH.fullmatch(child_name)
    assert not kind.cls.exists(child_name)
    mine = made(kind, kind.make())
    assert mine.name != child_name
    mine.close()
