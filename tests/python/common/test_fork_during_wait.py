"""The in-flight count that keeps an object mapped while a wait uses it.

A signal handler that forks during a wait, and closes the object in the
child, must not free it under the wait the child inherited (the forking
thread goes on in the child, inside the wait loop): the child's wait ends
with "closed while waiting", both processes exit normally.  And an unmatched
_async_hold(False) must not take the count below 0 (a later close() during a
wait would then free the object under it)."""

import pytest

from conftest import run_child

SCRIPT = """
import os, signal, sys
from nob.ipc import Flags, NamedMessageQueue, NamedSemaphore, RobustSemaphore

kind, name = sys.argv[1], sys.argv[2]
if kind == "NamedSemaphore":
    obj = NamedSemaphore(name, 0, handle_existence=Flags.RAISE_IF_EXISTS)
    wait = lambda: obj.acquire(timeout=2)
elif kind == "RobustSemaphore":
    obj = RobustSemaphore(name, 1, handle_existence=Flags.RAISE_IF_EXISTS)
    assert obj.acquire()  # now empty
    wait = lambda: obj.acquire(timeout=2)
else:
    obj = NamedMessageQueue(name, max_messages=2, max_message_size=16,
                            handle_existence=Flags.RAISE_IF_EXISTS)
    wait = lambda: obj.receive(timeout=2)

forked = []

def handler(signo, frame):
    pid = os.fork()
    if pid == 0:
        obj.close()  # this process's copy of the wait is still in flight
    else:
        forked.append(pid)

signal.signal(signal.SIGALRM, handler)
signal.setitimer(signal.ITIMER_REAL, 0.2)
try:
    outcome = "returned %r" % (wait(),)
except ValueError as e:
    outcome = "ValueError: %s" % e
if not forked:  # the child forked by the handler
    print("child", outcome, flush=True)
    os._exit(0)
_, status = os.waitpid(forked[0], 0)
print("child status", os.waitstatus_to_exitcode(status), flush=True)
print("parent", outcome, flush=True)
obj.close()
"""


@pytest.mark.parametrize("kind", ["NamedSemaphore", "RobustSemaphore", "NamedMessageQueue"])
def test_child_forked_by_a_handler_during_a_wait_can_close_the_object(
        kind, sem_name, no_leftover_shm_mq):
    proc = run_child(SCRIPT, kind, "/" + sem_name)
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stdout.splitlines()
    child = [line for line in lines if line.startswith("child ")]
    assert "child status 0" in child, (lines, proc.stderr)
    assert any("closed while waiting" in line for line in child
               if line.startswith("child ValueError")), (lines, proc.stderr)
    # the parent's own wait is untouched by the child's close: it times out
    assert "parent returned None" in lines or "parent returned False" in lines, lines


UNMATCHED_HOLD = """
import signal, sys
from nob.ipc import Flags, NamedSemaphore, RobustSemaphore

kind, name = sys.argv[1], sys.argv[2]
cls = NamedSemaphore if kind == "NamedSemaphore" else RobustSemaphore
obj = cls(name, 1, handle_existence=Flags.RAISE_IF_EXISTS)
assert obj.acquire()  # now empty


def hostile(*a):
    # whatever Python can reach that might lower the in-flight count
    for attr in ("_async_hold", "_call_ended"):
        lower = getattr(obj, attr, None)
        if lower is not None:
            lower(False)
            lower(False)
    obj.close()


signal.signal(signal.SIGALRM, hostile)
signal.setitimer(signal.ITIMER_REAL, 0.2)
try:
    print("returned", obj.acquire(timeout=2), flush=True)
except ValueError as e:
    print("ValueError:", e, flush=True)
"""


@pytest.mark.parametrize("kind", ["NamedSemaphore", "RobustSemaphore"])
def test_python_cannot_end_a_waits_hold_on_the_object(kind, sem_name):
    proc = run_child(UNMATCHED_HOLD, kind, "/" + sem_name)
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    assert "closed while waiting" in proc.stdout, (proc.stdout, proc.stderr)
