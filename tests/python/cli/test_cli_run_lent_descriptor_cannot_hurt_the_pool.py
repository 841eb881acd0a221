"""A CMD that changes user (setpriv, runuser, su keep the descriptors a process inherits)
cannot hurt the pool through what nob-sem lent it: as another uid, it truncates and writes
through every descriptor it inherited, and the other job of the pool, its nob-sem, the
next run and the name are all unharmed.

(Before: the lent descriptor was the pool's data file, opened read-write; truncating it
killed the other job's nob-sem with SIGBUS at its next touch of the pool: exit 135.)

The attacker is /usr/bin/python3 as another real uid (a system interpreter any user may
run), started by the real nob-sem through setpriv, as root would run an untrusted job."""

import os
import shutil

import pytest
from test_cli_support import cli, other_user, start_cli, stop_cli, wait_until

ATTACK = """
import os, stat
tried = []
for fd in range(3, 1024):
    try:
        st = os.fstat(fd)
    except OSError:
        continue
    for what, call in (("truncate", lambda: os.ftruncate(fd, 0)),
                       ("write", lambda: os.pwrite(fd, b"\\xff" * 4096, 0))):
        try:
            call()
            tried.append(f"{fd}:{what}:ok")
        except OSError as e:
            tried.append(f"{fd}:{what}:{e.errno}")
print("uid", os.getuid(), " ".join(tried))
"""


@pytest.mark.skipif(shutil.which("setpriv") is None or not os.access("/usr/bin/python3", os.X_OK),
                    reason="needs setpriv and /usr/bin/python3")
def test_a_cmd_that_drops_privileges_cannot_hurt_the_pool(sem_name, tmp_path):
    uid, gid = other_user("nob-cli-other")
    go = tmp_path / "go"
    first = start_cli("run", sem_name, "--slots", "2", "--", "sh", "-c", f"while [ ! -e {go} ]; do sleep 0.05; done")
    try:
        wait_until(lambda: cli("info", sem_name).returncode == 0, what="the first job to hold its slot")
        attacker = cli("run", sem_name, "--", "setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                       "/usr/bin/python3", "-c", ATTACK)
        assert attacker.returncode == 0, attacker.stderr
        assert attacker.stdout.startswith(f"uid {uid}"), attacker.stdout
        go.touch()
        assert first.wait(timeout=30) == 0, first.stderr.read()  # 135 (SIGBUS) before
    finally:
        go.touch()
        stop_cli(first)
    r = cli("run", sem_name, "--timeout", "5", "--", "true")
    assert r.returncode == 0, r.stderr
    assert cli("info", sem_name).returncode == 3  # gone with its last user, as usual
