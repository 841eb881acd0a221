"""`info` of an object you may not read: exit 5 (the exit code table's "info of a file you
may not read"), for shared memory as for a queue, and a queue's size (the bytes queued,
read from its file) is null, never the length of the file's text. As another real uid, in a
private /dev/shm and /dev/mqueue, objects of root's with mode 0600.

(Before: info of the shared memory exited 0, and the queue's row said size 80, st_size of
its /dev/mqueue file, which holds "QSIZE:0 NOTIFY:0 ...".)"""

import json
import sys

from test_cli_support import PrivateIpc, other_user

MAKE = """
import sys
from nob.ipc import Flags, NamedMessageQueue, NamedSharedMemory
name = sys.argv[1]
NamedSharedMemory(name + "-shm", 4096, handle_existence=Flags.RAISE_IF_EXISTS, unlink_on_delete=False,
                  mode=0o600).close()
NamedMessageQueue(name + "-mq", max_messages=5, max_message_size=100, handle_existence=Flags.RAISE_IF_EXISTS,
                  unlink_on_delete=False, mode=0o600).close()
print("made")
"""


def test_info_of_an_object_you_may_not_read_exits_5_and_shows_no_queue_size(sem_name):
    reader = other_user("nob-cli-other")
    space = PrivateIpc()
    try:
        r = space.run([sys.executable, "-c", MAKE, sem_name])
        assert r.stdout.strip() == "made", r.stderr
        for kind in ("shm", "mq"):
            r = space.nob_sem_as(reader, "info", "--json", "--kind", kind, f"{sem_name}-{kind}")
            assert r.returncode == 5, (kind, r.returncode, r.stdout, r.stderr)
            entry = json.loads(r.stdout)
            assert entry["error"] == "permission denied", entry
            if kind == "mq":
                assert entry["size"] is None and entry["value"] is None, entry
            else:
                assert entry["size"] == 4096, entry
        r = space.nob_sem_as(reader, "list", "--json", "--kind", "mq")
        assert [e["size"] for e in json.loads(r.stdout)] == [None], r.stdout
        # root may read both: exit 0, the queue's size is the bytes queued (none)
        for kind in ("shm", "mq"):
            r = space.cli("info", "--json", "--kind", kind, f"{sem_name}-{kind}")
            assert r.returncode == 0, (kind, r.stdout, r.stderr)
            assert json.loads(r.stdout)["size"] == (0 if kind == "mq" else 4096), r.stdout
    finally:
        space.close()
