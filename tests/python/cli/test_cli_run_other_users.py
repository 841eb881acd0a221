"""`nob-sem run` never silently shares slots with another user's semaphore: a semaphore of
NAME (plain or robust) that another uid owns is refused, and CMD does not run, unless
--any-owner asks for it. (An attacker's 0666 plain semaphore at value 100 let two
`--slots 1` runs execute at once: issue 19.) Played as real uids made with useradd."""

import os
import shutil
import subprocess
import tempfile

import pytest
from test_cli_support import SHM, cli, nob_sem_cmd, other_user, run_as

# As the attacker: a 0666 semaphore of NAME with 100 units, left in place.
PLANT = """
from nob.ipc import Flags, NamedSemaphore, RobustSemaphore
kind, name = sys.argv[1:3]
if kind == "plain":
    NamedSemaphore(name, 100, Flags.RAISE_IF_EXISTS, unlink_on_delete=False, mode=0o666).close()
else:
    RobustSemaphore(name, 100, Flags.RAISE_IF_EXISTS, persistent=True, mode=0o666).close()
print("planted")
"""

JOB = 'touch "$1/$$"; ls "$1" | wc -l >> "$2"; sleep 0.5; rm "$1/$$"'


@pytest.fixture(params=["plain", "robust"])
def planted(request, sem_name):
    """NAME, with a 0666 semaphore of 100 units (of the parameter's kind) owned by another uid."""
    user = other_user("nob-cli-other")
    r = run_as(user, PLANT, request.param, sem_name)
    assert r.stdout == "planted\n", r.stderr
    path = os.path.join(SHM, ("sem." if request.param == "plain" else "nob.") + sem_name)
    assert os.stat(path).st_uid == user[0]
    yield sem_name
    os.unlink(path)
    if request.param == "robust":
        os.unlink(os.path.join(SHM, "nob~" + sem_name))  # its lock file


def _two_runs_at_once(name, tmp_path, *options):
    """Starts two `run --slots 1` of JOB together; returns (exit codes, the most at once)."""
    held, log = tmp_path / "held", tmp_path / "log"
    held.mkdir()
    procs = [subprocess.Popen(nob_sem_cmd("run", *options, "--slots", "1", name, "--", "sh", "-c", JOB, "sh",
                                          held, log), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=60) for p in procs]
    counts = [int(x) for x in log.read_text().split()] if log.exists() else []
    return [p.returncode for p in procs], max(counts, default=0), [err for _, err in results]


def test_run_refuses_another_users_semaphore(planted, tmp_path):
    codes, most, errors = _two_runs_at_once(planted, tmp_path)
    assert most == 0, "CMD ran on another user's semaphore"
    assert all(code != 0 for code in codes), codes
    for err in errors:
        assert "another user" in err and "--any-owner" in err, err


def test_any_owner_shares_another_users_semaphore(planted, tmp_path):
    codes, most, _ = _two_runs_at_once(planted, tmp_path, "--any-owner")
    assert codes == [0, 0]
    assert most == 2  # its 100 units, as asked: both ran at once


def test_run_as_an_ordinary_user_refuses_another_users_semaphore(planted, tmp_path):
    victim = other_user("nob-cli-victim")
    where = tempfile.mkdtemp(dir="/tmp")  # the victim may not enter pytest's own directories
    os.chmod(where, 0o777)
    marker = os.path.join(where, "ran")
    try:
        r = run_as(victim, """
            sys.exit(nob.ipc._cli.main(["run", "--slots", "1", sys.argv[1], "--", "touch", sys.argv[2]]))
        """, planted, marker)
        assert r.returncode != 0 and "another user" in r.stderr, (r.returncode, r.stderr)
        assert not os.path.exists(marker)
    finally:
        shutil.rmtree(where)


def test_run_uses_its_own_users_semaphores_as_before(sem_name, tmp_path):
    assert cli("create", sem_name, "--value", "2", "--mode", "0666").returncode == 0
    try:
        r = cli("run", sem_name, "--", "true")
        assert r.returncode == 0, r.stderr
    finally:
        cli("unlink", sem_name)
