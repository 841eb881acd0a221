"""NamedSharedMemory and NamedMessageQueue across processes: ownership under fork, LINK_OR_CREATE races, data seen by others."""

import os
import subprocess

import pytest

from nob.ipc import Flags, NamedMessageQueue, NamedSharedMemory

from conftest import run_child, start_child

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")

KINDS = {
    "shm": (NamedSharedMemory, {"size": 64}),
    "mq": (NamedMessageQueue, {"max_messages": 1, "max_message_size": 8}),
}


@pytest.mark.parametrize("kind", KINDS)
def test_forked_child_never_unlinks(sem_name, kind):
    cls, kw = KINDS[kind]
    obj = cls(sem_name, handle_existence=Flags.RAISE_IF_EXISTS, **kw)
    pid = os.fork()
    if pid == 0:  # the child closes (and is deleted): it owns nothing
        try:
            obj.close()
            os._exit(0 if obj.closed else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert cls.exists(sem_name)
    obj.close()
    assert not cls.exists(sem_name)


RACER = """
import sys
from nob.ipc import Flags, NamedMessageQueue, NamedSharedMemory
cls = NamedSharedMemory if sys.argv[2] == "shm" else NamedMessageQueue
kw = {"size": 64} if sys.argv[2] == "shm" else {"max_messages": 1, "max_message_size": 8}
sys.stdin.readline()  # start together
obj = cls(sys.argv[1], handle_existence=Flags.LINK_OR_CREATE, unlink_on_delete=False, **kw)
print("created" if not obj.linked_existing_object else "linked", flush=True)
obj.close()
"""


@pytest.mark.parametrize("kind", KINDS)
def test_link_or_create_race_has_exactly_one_creator(sem_name, kind):
    cls = KINDS[kind][0]
    for _ in range(3):
        children = [start_child(RACER, sem_name, kind, stdin=subprocess.PIPE)
                    for _ in range(6)]
        for c in children:
            c.stdin.write("go\n")
            c.stdin.flush()
        outs = [c.communicate(timeout=60) for c in children]
        assert all(c.returncode == 0 for c in children), [o[1] for o in outs]
        words = sorted(o[0].strip() for o in outs)
        assert words.count("created") == 1 and words.count("linked") == 5, words
        assert cls.remove(sem_name) is True


def test_data_written_by_one_process_is_read_by_another(sem_name):
    with NamedSharedMemory(sem_name, 4096, handle_existence=Flags.RAISE_IF_EXISTS) as shm:
        r = run_child("""
            import sys
            from nob.ipc import NamedSharedMemory
            with NamedSharedMemory(sys.argv[1]) as shm, shm.mmap() as m:
                m[100:105] = b"child"
        """, sem_name)
        assert r.returncode == 0, r.stderr
        with shm.mmap() as m:
            assert m[100:105] == b"child"
    assert not NamedSharedMemory.exists(sem_name)


@pytest.mark.parametrize("kind", KINDS)
def test_a_killed_creator_leaves_the_name_for_remove(sem_name, kind):
    """A creator that dies without closing cannot unlink; remove() cleans up."""
    r = run_child("""
        import os, signal, sys
        from nob.ipc import Flags, NamedMessageQueue, NamedSharedMemory
        cls = NamedSharedMemory if sys.argv[2] == "shm" else NamedMessageQueue
        obj = cls(sys.argv[1], 1, handle_existence=Flags.RAISE_IF_EXISTS)
        os.kill(os.getpid(), signal.SIGKILL)
    """, sem_name, kind)
    assert r.returncode == -9
    cls = KINDS[kind][0]
    assert cls.exists(sem_name)
    assert cls.remove(sem_name) is True


def test_fork_while_a_thread_waits_then_close_in_the_child(sem_name):
    """The child inherits the waiter's in-flight count (not the thread): its close()
    closes the object but keeps the descriptor until exit, and unlinks nothing."""
    import threading
    import time

    q = NamedMessageQueue(sem_name, 1, 8, handle_existence=Flags.RAISE_IF_EXISTS)
    t = threading.Thread(target=q.receive, args=(2,))
    t.start()
    time.sleep(0.1)
    pid = os.fork()
    if pid == 0:
        try:
            fd = q.mqd
            q.close()
            try:
                os.fstat(fd)
            except OSError:
                os._exit(3)  # closed under a wait inherited through fork()
            os._exit(0 if q.closed and NamedMessageQueue.exists(sem_name) else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    t.join(30)
    assert NamedMessageQueue.exists(sem_name)
    q.close()
    assert not NamedMessageQueue.exists(sem_name)
