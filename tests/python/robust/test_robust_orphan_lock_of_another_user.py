"""An orphan lock file of another user: /dev/shm/nob~NAME without nob.NAME, left in a 0666
pool by its maker SIGKILLed between the two names (tests/cpp/robust/
test_orphan_lock_of_another_user.cpp kills one there; here another real uid leaves the same
file). This user may not remove it from the sticky /dev/shm, so it blocks the name
(LINK_OR_CREATE: PermissionError naming the owner). The looks used to say nothing was there:
status() "absent", remove() False, `nob-sem info` "no such object" and `list` hid it. Now it
is what another user's stale semaphore is (docs/robust.md, "A stale semaphore you cannot
remove"): status() "stale" with its owner and mode, exists() False, remove() PermissionError
naming the owner, and nob-sem shows it as stale, lock file only. Root removes it."""

import json
import sys

from test_cli_support import PrivateIpc, other_user

ORPHAN = """
import os, sys
fd = os.open("/dev/shm/nob~" + sys.argv[1], os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o666)
os.fchmod(fd, 0o666)
os.close(fd)
"""

LOOK = """
import errno, json, sys
from nob.ipc import Flags, RobustSemaphore
name = sys.argv[1]
out = {"status": list(RobustSemaphore.status(name)), "exists": RobustSemaphore.exists(name)}
for what, call in (("remove", lambda: RobustSemaphore.remove(name)),
                   ("open", lambda: RobustSemaphore(name, 1, Flags.LINK_OR_CREATE))):
    try:
        call()
        out[what] = "no error"
    except OSError as e:
        out[what] = [type(e).__name__, e.errno, str(e)]
print(json.dumps(out))
"""


def test_looks_say_stale_and_whose(sem_name):
    victim, attacker = other_user("nob-victim"), other_user("nob-attacker")
    space = PrivateIpc()
    try:
        r = space.as_user(attacker, [sys.executable, "-c", ORPHAN, sem_name])
        assert r.returncode == 0, r.stderr
        r = space.as_user(victim, [sys.executable, "-c", LOOK, sem_name])
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        assert got["status"] == ["stale", attacker[0], 0o666]
        assert got["exists"] is False  # stale counts as absent
        for what in ("remove", "open"):
            kind, code, text = got[what]
            assert (kind, code) == ("PermissionError", 1), got
            assert f"uid {attacker[0]}" in text, text

        r = space.nob_sem_as(victim, "list", "--kind", "robust", "--json")
        assert r.returncode == 0, r.stderr
        rows = [e for e in json.loads(r.stdout) if e["name"] == f"/{sem_name}"]
        assert len(rows) == 1, r.stdout
        assert rows[0]["error"].startswith("stale") and f"owner uid {attacker[0]}" in rows[0]["error"]
        assert "lock file only" in rows[0]["error"] and rows[0]["path"] == f"/dev/shm/nob~{sem_name}"
        r = space.nob_sem_as(victim, "info", sem_name)
        assert r.returncode == 3, (r.stdout, r.stderr)  # a stale object counts as none
        assert "stale" in r.stdout and "lock file only" in r.stdout, r.stdout

        assert space.exists(f"/dev/shm/nob~{sem_name}")
        r = space.run([sys.executable, "-c",
                       "import sys; from nob.ipc import RobustSemaphore as R; n = sys.argv[1]; "
                       "print(R.remove(n), R.status(n).state)", sem_name])
        assert r.stdout.split() == ["False", "absent"], r.stderr  # root may remove it: gone
        assert not space.exists(f"/dev/shm/nob~{sem_name}")
    finally:
        space.close()
