"""`unlink --prefix P` removes the caller's objects whose names start with P and leaves other
users' (said with -v; --any-owner takes them too), so a cleanup script of one's own objects
does not fail because someone else made one with that prefix; a NAME given explicitly that
belongs to another user still fails (exit 5). And a file is of one kind: /dev/shm/sem.x is
the plain semaphore /x, which `--kind shm sem.x` does not reach, as --prefix does not.

Played with the real nob-sem as two real uids in a private /dev/shm (PrivateIpc).
(Before: --prefix exited 5 whenever another user owned a match, and `unlink --kind shm
sem.x` removed the plain semaphore /x.)"""

import pytest
from test_cli_support import PrivateIpc, other_user


@pytest.fixture
def space():
    s = PrivateIpc()
    yield s
    s.close()


def test_prefix_removes_yours_and_leaves_theirs(space, sem_name):
    other, me = other_user("nob-cli-other"), other_user("nob-cli-victim")
    assert space.nob_sem_as(other, "create", f"{sem_name}-theirs", "--mode", "0666").returncode == 0
    assert space.nob_sem_as(me, "create", f"{sem_name}-mine").returncode == 0
    r = space.nob_sem_as(me, "unlink", "-v", "--prefix", sem_name)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        f"removed /{sem_name}-mine (plain, owner nob-cli-victim)",
        f"left /{sem_name}-theirs (plain, owner nob-cli-other): not yours (--any-owner removes it)"]
    assert not space.exists(f"/dev/shm/sem.{sem_name}-mine")
    r = space.nob_sem_as(me, "unlink", "--prefix", sem_name)
    assert r.returncode == 3 and "nothing of yours" in r.stderr, r.stderr  # only theirs is left
    r = space.nob_sem_as(me, "unlink", f"{sem_name}-theirs")  # asked for by NAME
    assert r.returncode == 5 and "--any-owner" in r.stderr, r.stderr
    assert space.exists(f"/dev/shm/sem.{sem_name}-theirs")
    assert space.cli("unlink", "--any-owner", "--prefix", sem_name).returncode == 0  # root may
    assert not space.exists(f"/dev/shm/sem.{sem_name}-theirs")


def test_a_semaphores_file_is_no_shared_memory_object(space, sem_name):
    assert space.cli("create", sem_name).returncode == 0
    for command in (["unlink", "--kind", "shm"], ["info", "--kind", "shm"]):
        r = space.cli(*command, f"sem.{sem_name}")
        assert r.returncode == 3, (command, r.stdout, r.stderr)
    assert space.exists(f"/dev/shm/sem.{sem_name}")
    r = space.cli("unlink", "--kind", "shm", "--prefix", f"sem.{sem_name}")
    assert r.returncode == 3, r.stderr  # as --prefix has always said
    assert space.cli("unlink", sem_name).returncode == 0
