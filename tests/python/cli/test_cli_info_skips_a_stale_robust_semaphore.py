"""`info NAME` shows the first kind that has an object of that name, and a stale robust
semaphore (every user ended) counts as none: with a stale robust X and a live plain X,
`info X` shows the plain one (exit 0, as `post X` works) and mentions the stale one.

(Before: it showed the stale robust row and exited 3, "no such object".)"""

import json
import os
import sys
import textwrap

from test_cli_support import PrivateIpc, robust_file_of

DIE_HOLDING = textwrap.dedent("""
    import os, signal, sys
    from nob.ipc import Flags, RobustSemaphore
    sem = RobustSemaphore(sys.argv[1], 2, Flags.RAISE_IF_EXISTS)
    sem.acquire()
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_info_shows_the_live_plain_semaphore_beside_a_stale_robust_one(sem_name):
    space = PrivateIpc()  # a stale file is removed by whoever opens it first: nobody else may look
    try:
        assert space.run([sys.executable, "-c", DIE_HOLDING, sem_name]).returncode in (-9, 137)
        assert space.cli("create", sem_name, "--value", "7").returncode == 0
        assert space.exists(robust_file_of(sem_name))
        r = space.cli("info", sem_name)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[1].split() == ["kind:", "plain"] and lines[2].split() == ["value:", "7"], r.stdout
        assert any(line.startswith("also:") and "robust" in line and "stale" in line for line in lines), r.stdout
        r = space.cli("info", sem_name, "--json")
        assert r.returncode == 0 and json.loads(r.stdout)["kind"] == "plain"
        r = space.cli("info", "--robust", sem_name)
        assert r.returncode == 3 and "stale" in r.stdout  # asked for: shown, and counts as absent
        assert space.cli("post", sem_name).returncode == 0
        assert space.exists(robust_file_of(sem_name))  # looking removed nothing
    finally:
        space.close()
    assert not os.path.exists(robust_file_of(sem_name))  # it lived in the private /dev/shm only
