"""fork: the child holds nothing, the parent keeps its units; units the child takes are the
child's and are freed when it ends; the child's inherited handle keeps the name alive."""

import os
import time

import pytest

from nob.ipc import Flags, Holder, RobustSemaphore


def in_child(body):
    """Runs body() in a forked child; returns its exit status (0: body returned normally)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            body()
            code = 0
        except BaseException:  # noqa: BLE001
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.fixture
def sem(sem_name):
    s = RobustSemaphore(sem_name, 3, Flags.RAISE_IF_EXISTS)
    yield s
    s.close()


def test_a_forked_child_holds_nothing_and_the_parent_keeps_its_units(sem):
    assert sem.acquire()
    parent = os.getpid()

    def child():
        assert sem.held == 0
        assert sem.holders() == [Holder(parent, 1)]
        try:
            sem.release()
        except ValueError:
            pass
        else:
            raise AssertionError("the child released the parent's unit")
        assert sem.acquire(False)  # the child's own unit
        assert sem.held == 1
        assert sorted(h.pid for h in sem.holders()) == sorted([parent, os.getpid()])
        # ends without releasing: its unit must come back

    assert in_child(child) == 0
    assert (sem.held, sem.value, sem.holders()) == (1, 2, [Holder(parent, 1)])
    sem.release()


def test_the_childs_inherited_handle_keeps_the_name_alive(sem_name):
    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(w)
        os.read(r, 1)  # wait until the parent has closed
        ok = RobustSemaphore.exists(sem_name) and sem.acquire(False)
        os._exit(0 if ok else 1)
    os.close(r)
    sem.close()
    assert RobustSemaphore.exists(sem_name)  # the child still has it open
    os.write(w, b"x")
    os.close(w)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    deadline = time.monotonic() + 5
    while RobustSemaphore.exists(sem_name) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not RobustSemaphore.exists(sem_name)  # its last user ended
