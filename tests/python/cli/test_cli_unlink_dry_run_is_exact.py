"""`unlink --dry-run` makes the checks the real run makes and says what it will say: the
same objects ("would remove" for "removed"), the same failures, the same exit code. Played
with the real nob-sem as two real uids (in a private /dev/shm, where the installed package
is reachable to them: test_cli_support.PrivateIpc) and as root:

- as an ordinary user with --any-owner, another user's objects in the sticky /dev/shm
  cannot be removed (EPERM), the user's own can;
- a directory at a semaphore's name is no object: unlink refuses it (EISDIR), root too.

(Before: the dry run said "would remove" for all four objects and exited 0, while the real
run removed one and exited 5; as root it would "remove" the directory, which the real run
failed to.)"""

import sys

import pytest
from test_cli_support import PrivateIpc, other_user

MAKE_ROBUST = """
import sys
from nob.ipc import Flags, RobustSemaphore
RobustSemaphore(sys.argv[1], 2, Flags.RAISE_IF_EXISTS, persistent=True, mode=0o666).close()
"""


@pytest.fixture
def space():
    s = PrivateIpc()
    yield s
    s.close()


def _plant(space, prefix, attacker, victim):
    assert space.nob_sem_as(attacker, "create", f"{prefix}-1", "--mode", "0666").returncode == 0
    r = space.as_user(attacker, [sys.executable, "-c", MAKE_ROBUST, f"{prefix}-2"])
    assert r.returncode == 0, r.stderr
    assert space.nob_sem_as(victim, "create", f"{prefix}-3").returncode == 0
    assert space.run(["mkdir", f"/dev/shm/sem.{prefix}-4"]).returncode == 0


def _same_outcome(dry, real):
    assert dry.returncode == real.returncode, (dry, real)
    assert dry.stderr == real.stderr, (dry.stderr, real.stderr)
    assert dry.stdout.replace("would remove ", "removed ") == real.stdout, (dry.stdout, real.stdout)


def test_a_dry_run_as_an_ordinary_user_says_what_the_real_run_does(space, sem_name):
    attacker, victim = other_user("nob-cli-other"), other_user("nob-cli-victim")
    _plant(space, sem_name, attacker, victim)
    args = ["unlink", "-v", "--any-owner", "--prefix", sem_name]
    dry = space.nob_sem_as(victim, *args, "--dry-run")
    real = space.nob_sem_as(victim, *args)
    _same_outcome(dry, real)
    assert real.returncode == 5 and real.stdout == f"removed /{sem_name}-3 (plain, owner nob-cli-victim)\n"
    assert len(real.stderr.splitlines()) == 3  # the attacker's two and the directory
    assert "Operation not permitted" in real.stderr and "Is a directory" in real.stderr
    assert space.exists(f"/dev/shm/sem.{sem_name}-1") and space.exists(f"/dev/shm/nob.{sem_name}-2")


def test_a_dry_run_as_root_refuses_the_directory_as_the_real_run_does(space, sem_name):
    attacker, victim = other_user("nob-cli-other"), other_user("nob-cli-victim")
    _plant(space, sem_name, attacker, victim)
    args = ["unlink", "-v", "--any-owner", "--prefix", sem_name]
    dry = space.cli(*args, "--dry-run")
    real = space.cli(*args)
    _same_outcome(dry, real)
    assert real.returncode == 6 and len(real.stdout.splitlines()) == 3
    assert real.stderr == f"nob-sem: /{sem_name}-4 (plain): Is a directory (a directory is no object)\n"
