"""nob-sem unlink removes many objects at once, by NAME or by --prefix, of the kinds --kind
names: only the caller's own unless --any-owner (another uid's, made with useradd, are
left: a NAME of theirs fails with exit 5), and --dry-run shows what would go, removing
nothing."""

import os

import pytest
from test_cli_support import SHM, cli, other_user, run_as

from nob.ipc import Flags, NamedMessageQueue, NamedSharedMemory

MQUEUE = "/dev/mqueue"


@pytest.fixture
def batch(make_name, no_leftover_shm_mq):
    """Objects named <prefix>-job-N of every kind, and one that the prefix does not match."""
    names = {"plain": make_name("job-1"), "robust": make_name("job-2"), "shm": make_name("job-3"),
             "mq": make_name("job-4")}
    assert cli("create", names["plain"]).returncode == 0
    from nob.ipc import RobustSemaphore

    RobustSemaphore(names["robust"], 1, Flags.RAISE_IF_EXISTS, persistent=True).close()
    NamedSharedMemory(names["shm"], 64, handle_existence=Flags.RAISE_IF_EXISTS, unlink_on_delete=False).close()
    NamedMessageQueue(names["mq"], 2, 16, handle_existence=Flags.RAISE_IF_EXISTS, unlink_on_delete=False).close()
    bystander = make_name("jo")
    assert cli("create", bystander).returncode == 0
    yield names, make_name("job-"), bystander
    for kind, name in list(names.items()) + [("plain", bystander)]:
        cli("unlink", "--kind", kind, name)


def _paths(names):
    return {kind: os.path.join(MQUEUE if kind == "mq" else SHM, {"plain": "sem.", "robust": "nob."}.get(kind, "") + n)
            for kind, n in names.items()}


def test_a_dry_run_shows_what_would_go_and_removes_nothing(batch):
    names, prefix, bystander = batch
    r = cli("unlink", "--prefix", prefix, "--kind", "all", "--dry-run")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines == sorted(lines) and len(lines) == 4, r.stdout
    for kind, name in names.items():
        assert f"would remove /{name} ({kind}, owner root)" in lines
    assert all(os.path.exists(p) for p in _paths(names).values())


def test_prefix_removes_every_kind_asked_for_and_nothing_else(batch):
    names, prefix, bystander = batch
    r = cli("unlink", "--prefix", prefix)  # semaphores only, by default
    assert r.returncode == 0, r.stderr
    paths = _paths(names)
    assert not os.path.exists(paths["plain"]) and not os.path.exists(paths["robust"])
    assert os.path.exists(paths["shm"]) and os.path.exists(paths["mq"])
    r = cli("unlink", "--prefix", prefix, "--kind", "shm", "--kind", "mq", "-v")
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.splitlines()) == sorted(f"removed /{names[k]} ({k}, owner root)" for k in ("shm", "mq"))
    assert not any(os.path.exists(p) for p in paths.values())
    assert os.path.exists(os.path.join(SHM, "sem." + bystander))  # "jo" does not start with "job-"
    r = cli("unlink", "--prefix", prefix, "--kind", "all")
    assert r.returncode == 3 and "nothing named" in r.stderr  # nothing left to match


def test_many_names_of_several_kinds_at_once(batch):
    names, prefix, bystander = batch
    r = cli("unlink", "--kind", "all", *names.values(), bystander)
    assert r.returncode == 0, r.stderr
    assert not any(os.path.exists(p) for p in _paths(names).values())


PLANT = """
from nob.ipc import Flags, NamedSemaphore, NamedSharedMemory
NamedSemaphore(sys.argv[1], 1, Flags.RAISE_IF_EXISTS, unlink_on_delete=False, mode=0o666).close()
NamedSharedMemory(sys.argv[2], 64, handle_existence=Flags.RAISE_IF_EXISTS, unlink_on_delete=False, mode=0o666).close()
print("planted")
"""


def test_other_users_objects_are_left_unless_any_owner(make_name, no_leftover_shm_mq):
    user = other_user("nob-cli-other")
    mine, theirs, their_shm = make_name("x-mine"), make_name("x-theirs"), make_name("x-theirs-shm")
    assert cli("create", mine).returncode == 0
    r = run_as(user, PLANT, theirs, their_shm)
    assert r.stdout == "planted\n", r.stderr
    paths = [os.path.join(SHM, "sem." + theirs), os.path.join(SHM, their_shm)]
    try:
        r = cli("unlink", "--prefix", make_name("x-"), "--kind", "all")
        assert r.returncode == 0, (r.returncode, r.stderr)  # the prefix means yours
        assert not os.path.exists(os.path.join(SHM, "sem." + mine))  # yours went
        assert all(os.path.exists(p) for p in paths)  # theirs stayed
        r = cli("unlink", "--prefix", make_name("x-"), "--kind", "all")
        assert r.returncode == 3 and "nothing of yours" in r.stderr and "--any-owner" in r.stderr, r.stderr
        r = cli("unlink", "--prefix", make_name("x-"), "--kind", "all", "--any-owner", "--dry-run")
        assert r.returncode == 0 and len(r.stdout.splitlines()) == 2, r.stdout
        r = cli("unlink", theirs)  # by NAME: refused
        assert r.returncode == 5 and f"belongs to uid {user[0]}" in r.stderr, r.stderr
        r = cli("unlink", "--prefix", make_name("x-"), "--kind", "all", "--any-owner")
        assert r.returncode == 0, r.stderr  # root may
        assert not any(os.path.exists(p) for p in paths)
    finally:
        for p in paths:
            if os.path.exists(p):
                os.unlink(p)


def test_an_ordinary_user_cannot_remove_another_users_object_even_when_asking(make_name):
    victim = other_user("nob-cli-victim")
    name = make_name("roots")
    assert cli("create", name, "--mode", "0666").returncode == 0
    try:
        r = run_as(victim, "sys.exit(nob.ipc._cli.main(['unlink', '--any-owner', sys.argv[1]]))", name)
        assert r.returncode == 5, (r.returncode, r.stderr)  # the sticky /dev/shm says no
        assert "Operation not permitted" in r.stderr or "ermission" in r.stderr, r.stderr
        assert os.path.exists(os.path.join(SHM, "sem." + name))
    finally:
        cli("unlink", name)
