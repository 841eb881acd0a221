"""Messages longer than the 8 KiB stack buffer of receive(): run in a private IPC
namespace (unshare --ipc) whose msgsize_max is raised, so the machine's limits stay."""

import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.usefixtures("no_leftover_shm_mq")

CHILD = """
import sys
from nob.ipc import Flags, NamedMessageQueue
size = int(sys.argv[2])
q = NamedMessageQueue(sys.argv[1], 2, size, handle_existence=Flags.RAISE_IF_EXISTS)
big = bytes(range(256)) * (size // 256)
assert q.send(big, priority=2)
assert q.send(b"small")
assert q.receive() == (big, 2)
assert q.receive(timeout=1) == (b"small", 0)
assert q.receive(timeout=0.01) is None
try:
    q.send(big + b"!")
except ValueError:
    pass
else:
    raise AssertionError("a message past max_message_size was sent")
assert q.current_messages == 0
q.close()
print("ok")
"""


def can_unshare_ipc():
    if shutil.which("unshare") is None:
        return False
    r = subprocess.run(["unshare", "--ipc", "true"], capture_output=True)
    return r.returncode == 0


@pytest.mark.skipif(not can_unshare_ipc(), reason="needs unshare --ipc (root)")
@pytest.mark.parametrize("size", [8192 + 256, 65536])
def test_messages_past_the_stack_buffer(sem_name, size):
    script = ("echo 65536 > /proc/sys/fs/mqueue/msgsize_max && "
              f'exec "{sys.executable}" -c "$0" "$1" "$2"')
    r = subprocess.run(["unshare", "--ipc", "sh", "-c", script, CHILD, sem_name, str(size)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
