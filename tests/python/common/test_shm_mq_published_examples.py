"""The docstring examples of nob.py 1.6.3's nob.ipc run as written against this
nob.ipc, and, when NOB_PY163_DIR points at an unpacked nob.py 1.6.3 wheel, a
1.6.3 program and this one share objects both ways."""

import os
import subprocess
import sys
import textwrap

import pytest

from nob.ipc import Flags, NamedMessageQueue, NamedSharedMemory

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")

SHM_STEPS = [
    """
import mmap
from nob.ipc import Flags, NamedSharedMemory
shm = NamedSharedMemory("/test_shm", size=1024, handle_existence=Flags.UNLINK_AND_CREATE)
memory = mmap.mmap(shm.fd, shm.size)  # or shm.mmap() as a convenience method
memory.write(b"Hello from POSIX IPC")
memory.seek(0)
assert memory.read(20) == b"Hello from POSIX IPC"
memory.close()
""", """
# NamedSharedMemory also supports context management for automatic closing:
with NamedSharedMemory("/test_shm", size=1024, handle_existence=Flags.RAISE_IF_NOT_EXISTS) as shm:
    memory = mmap.mmap(shm.fd, shm.size)
    memory.write(b"Hello again!")
print("second step done")
""", """
# Or
with NamedSharedMemory("/test_shm", size=1024, handle_existence=Flags.RAISE_IF_NOT_EXISTS).mmap() as memory:
    memory.write(b"Hello again with convenience method!")
"""]
SHM_EXAMPLE = "".join(SHM_STEPS)

MQ_EXAMPLE = """
from nob.ipc import Flags, NamedMessageQueue
mq = NamedMessageQueue("/test_queue", handle_existence=Flags.UNLINK_AND_CREATE)
assert mq.send("Hello, World!") is True
message, priority = mq.receive()
print(message.decode(), priority)
# NamedMessageQueue also supports context management for automatic closing:
with NamedMessageQueue("/test_queue", handle_existence=Flags.RAISE_IF_NOT_EXISTS) as mq:
    mq.send("Hello again!")
"""


def run(code, name, env=None):
    code = textwrap.dedent(code).replace("/test_shm", "/" + name).replace("/test_queue", "/" + name)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)


def test_message_queue_example_runs_as_written(sem_name):
    r = run(MQ_EXAMPLE, sem_name)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello, World! 0\n"
    assert not NamedMessageQueue.exists(sem_name)


def test_shared_memory_example_behaves_as_in_1_6_3(sem_name):
    """As in 1.6.3, `with ... as shm:` rebinds `shm`, so the creating handle is
    deleted and unlinks the name; the third step ("# Or") then finds no object
    (FileNotFoundError), exactly as nob.py 1.6.3 over posix_ipc does."""
    r = run(SHM_EXAMPLE, sem_name)
    assert "second step done" in r.stdout, r.stderr
    assert r.returncode == 1 and "FileNotFoundError" in r.stderr
    assert not NamedSharedMemory.exists(sem_name)


def test_shared_memory_example_steps_each_run(sem_name):
    """Each alternative of the example works while the creating handle is alive."""
    keep = NamedSharedMemory(sem_name, size=1024, handle_existence=Flags.RAISE_IF_EXISTS)
    head = "import mmap\nfrom nob.ipc import Flags, NamedSharedMemory\n"
    for step in (SHM_STEPS[0].replace("UNLINK_AND_CREATE", "LINK_OR_CREATE"),) + tuple(SHM_STEPS[1:]):
        r = run(head + step, sem_name)
        assert r.returncode == 0, r.stderr
    with keep.mmap() as m:
        assert m[:36] == b"Hello again with convenience method!"
    keep.close()


PUBLISHED = os.environ.get("NOB_PY163_DIR")
needs_published = pytest.mark.skipif(
    not PUBLISHED, reason="set NOB_PY163_DIR to an unpacked nob.py 1.6.3 wheel")

PUBLISHED_PEER = """
import sys
from nob.ipc import Flags, NamedMessageQueue, NamedSharedMemory
assert NamedMessageQueue.__module__ == "nob.ipc.named_message_queue"  # 1.6.3's
name = sys.argv[1]
with NamedMessageQueue(name) as q, NamedSharedMemory(name) as shm:
    m = shm.mmap()
    m[:5] = b"1.6.3"
    m.close()
    message, priority = q.receive()
    q.send(message.upper(), priority=priority + 1)
"""


@needs_published
def test_a_1_6_3_program_shares_objects_with_this_one(sem_name):
    q = NamedMessageQueue(sem_name, 2, 64, handle_existence=Flags.RAISE_IF_EXISTS)
    shm = NamedSharedMemory(sem_name, 64, handle_existence=Flags.RAISE_IF_EXISTS)
    q.send(b"ping", priority=1)
    env = dict(os.environ, PYTHONPATH=PUBLISHED)
    r = subprocess.run([sys.executable, "-c", PUBLISHED_PEER, "/" + sem_name],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert q.receive(timeout=10) == (b"PING", 2)
    with shm.mmap() as m:
        assert m[:5] == b"1.6.3"
    q.close()
    shm.close()
