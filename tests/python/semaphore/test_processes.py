"""Several real processes on one semaphore: nothing is lost, waiters wake across processes."""

import os
import time

from nob.ipc import Flags, NamedSemaphore

from conftest import run_child, start_child, wait_for_line

POSTER = """
    import sys
    from nob.ipc import NamedSemaphore
    sem = NamedSemaphore(sys.argv[1])
    for _ in range(int(sys.argv[2])):
        sem.release()
    sem.close()
"""


def test_several_processes_posting_lose_nothing(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    children = [start_child(POSTER, sem_name, 2000) for _ in range(4)]
    for c in children:
        assert c.wait(timeout=60) == 0, c.stderr.read()
    assert sem.value == 8000
    sem.close()


CONSUMER = """
    import sys
    from nob.ipc import NamedSemaphore
    sem = NamedSemaphore(sys.argv[1])
    done = NamedSemaphore(sys.argv[2])
    taken = 0
    while sem.acquire(timeout=0.5):
        taken += 1
        done.release()
    print(taken)
"""


def test_consumers_in_other_processes_take_every_unit_once(sem_name, make_name):
    work = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    done = NamedSemaphore(make_name("done"), 0, Flags.RAISE_IF_EXISTS)
    consumers = [start_child(CONSUMER, sem_name, make_name("done")) for _ in range(3)]
    for _ in range(600):
        work.release()
    outs = [int(c.communicate(timeout=60)[0]) for c in consumers]
    assert sum(outs) == 600
    assert done.value == 600
    assert work.value == 0
    work.close()
    done.close()


WAITER = """
    import sys, time
    from nob.ipc import NamedSemaphore
    sem = NamedSemaphore(sys.argv[1])
    print("ready", flush=True)
    start = time.monotonic()
    ok = sem.acquire(timeout=20)
    print("acquired" if ok else "timeout", round(time.monotonic() - start, 3), flush=True)
"""


def test_a_release_wakes_a_waiter_in_another_process(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    child = start_child(WAITER, sem_name)
    wait_for_line(child, "ready")
    time.sleep(0.2)
    sem.release()
    out, err = child.communicate(timeout=20)
    assert child.returncode == 0, err
    word, waited = out.split()
    assert word == "acquired"
    assert 0.15 <= float(waited) < 10
    sem.close()


def test_a_child_process_that_links_does_not_unlink(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    r = run_child(
        """
        import sys
        from nob.ipc import Flags, NamedSemaphore
        s = NamedSemaphore(sys.argv[1], handle_existence=Flags.LINK_OR_CREATE)
        assert s.linked_existing_semaphore
        with s:
            pass
        """,
        sem_name,
    )
    assert r.returncode == 0, r.stderr
    assert os.path.exists("/dev/shm/sem." + sem_name)
    assert sem.value == 1
    sem.close()
