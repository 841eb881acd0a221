"""nob-sem and robust semaphores: list/info/holders show them (kind, capacity, free units,
holders), run uses one by default so even a SIGKILL of nob-sem gives its slot back."""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
from test_cli_support import SHM, PrivateIpc, assert_clean_error, cli, nob_sem_path, start_cli, wait_until

import nob.ipc

from conftest import run_child, start_child, wait_for_line

pytestmark = pytest.mark.skipif(not hasattr(nob.ipc, "RobustSemaphore"), reason="no RobustSemaphore in this build")


def robust_file(name):
    return os.path.join(SHM, "nob." + name.lstrip("/"))


@pytest.fixture(autouse=True)
def no_leftover_robust_files(sem_prefix):
    """Robust files are /dev/shm/nob.NAME: the suite's sem.* check does not see them."""
    yield
    left = []
    for _ in range(100):  # children may still be exiting
        left = [f for f in os.listdir(SHM) if f.startswith("nob." + sem_prefix)]
        if not left:
            break
        time.sleep(0.05)
    for f in left:
        os.unlink(os.path.join(SHM, f))
    assert not left, f"left behind in /dev/shm: {left}"


HOLDER = """
    import sys
    from nob.ipc import Flags, RobustSemaphore
    sem = RobustSemaphore(sys.argv[1], int(sys.argv[2]), Flags.LINK_OR_CREATE)
    for _ in range(int(sys.argv[3])):
        assert sem.acquire(timeout=30)
    print("holding", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def holder(sem_name):
    """holder(capacity, units): a child process holding `units` of a robust `sem_name`."""
    children = []

    def start(capacity, units):
        child = start_child(HOLDER, sem_name, capacity, units, stdin=subprocess.PIPE)
        wait_for_line(child, "holding")
        children.append(child)
        return child

    yield start
    for child in children:  # a clean exit: the last user's close removes the name
        if child.poll() is None:
            child.stdin.close()
        child.wait(timeout=30)


def test_list_info_and_holders_show_a_robust_semaphore(sem_name, holder):
    child = holder(3, 2)
    entries = {e["name"]: e for e in json.loads(cli("list", "--json").stdout)}
    e = entries["/" + sem_name]
    assert (e["kind"], e["value"], e["capacity"], e["error"]) == ("robust", 1, 3, None)
    assert e["holders"] == [{"pid": child.pid, "units": 2}]
    assert e["path"] == robust_file(sem_name)
    row = next(ln for ln in cli("list").stdout.splitlines() if ln.startswith(f"/{sem_name} "))
    assert row.split()[1:5] == ["robust", "1", "3", "1"]  # kind, free, capacity, holders
    r = cli("info", sem_name)
    assert r.returncode == 0, r.stderr
    assert f"holders:  pid {child.pid} (2 units)" in r.stdout
    r = cli("holders", sem_name, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"pid": child.pid, "units": 2}]
    width = max(3, len(str(child.pid)))  # an aligned table: numbers on the right
    assert cli("holders", sem_name).stdout.splitlines() == [f"{'PID':>{width}}  UNITS", f"{child.pid:>{width}}      2"]


def test_a_dead_holder_is_never_listed(sem_name, holder):
    keeper = holder(2, 0)  # keeps the name alive, holds nothing
    victim = holder(2, 1)
    assert json.loads(cli("holders", sem_name, "--json").stdout) == [{"pid": victim.pid, "units": 1}]
    victim.kill()
    victim.wait()
    assert json.loads(cli("holders", sem_name, "--json").stdout) == []
    assert json.loads(cli("info", sem_name, "--json").stdout)["value"] == 2
    assert keeper.poll() is None


def test_holders_of_a_plain_or_missing_name_exits_3(sem_name):
    assert_clean_error(cli("holders", sem_name), 3)
    assert cli("create", sem_name).returncode == 0
    r = cli("holders", sem_name)
    assert_clean_error(r, 3)
    assert "plain" in r.stderr
    assert cli("unlink", sem_name).returncode == 0


def test_a_corrupt_robust_file_is_listed_with_why(sem_name):
    with open(robust_file(sem_name), "wb") as f:
        f.write(b"not a robust semaphore" * 100)
    try:
        r = cli("info", sem_name, "--json")
        assert r.returncode == 6  # exists, but is no robust semaphore
        e = json.loads(r.stdout)
        assert e["kind"] == "robust" and e["value"] is None and "not a robust semaphore" in e["error"]
    finally:
        os.unlink(robust_file(sem_name))


def test_run_holds_a_robust_slot_by_default_and_leaves_no_name(sem_name):
    probe = f"{nob_sem_path()} info {sem_name} --json"
    r = cli("run", sem_name, "--slots", "2", "--", "sh", "-c", probe)
    assert r.returncode == 0, r.stderr
    inside = json.loads(r.stdout)
    assert (inside["kind"], inside["value"], inside["capacity"]) == ("robust", 1, 2)
    assert len(inside["holders"]) == 1 and inside["holders"][0]["units"] == 1  # nob-sem run holds it
    assert not os.path.exists(robust_file(sem_name))  # gone with its last user
    assert not os.path.exists(os.path.join(SHM, "sem." + sem_name))


def test_sigkill_of_run_gives_the_robust_slot_back(sem_name, tmp_path):
    started, marker = tmp_path / "started", tmp_path / "second"
    first = start_cli("run", sem_name, "--", "sh", "-c", f"echo $$ > {started}; exec sleep 60")
    second = None
    try:
        wait_until(lambda: started.exists() and started.read_text().strip(), what="the first command")
        command = int(started.read_text())
        second = start_cli("run", sem_name, "--timeout", "60", "--", "touch", marker)
        time.sleep(0.5)
        assert second.poll() is None and not marker.exists()  # waiting: the only slot is taken
        first.kill()  # SIGKILL: nob-sem cannot release anything itself
        assert second.wait(timeout=20) == 0, second.stderr.read()
        assert marker.exists()
        wait_until(lambda: not os.path.exists(f"/proc/{command}"), timeout=10,
                   what="the first command to die with its nob-sem")
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.kill()
            if p is not None:
                p.wait()


def test_run_uses_an_existing_plain_semaphore_unless_told_robust(sem_name):
    assert cli("create", sem_name, "--value", "2").returncode == 0
    try:
        probe = f"{nob_sem_path()} info {{}} {sem_name} --json"
        r = cli("run", sem_name, "--", "sh", "-c", probe.format("--plain"))
        assert json.loads(r.stdout)["value"] == 1  # the plain one, one unit taken
        r = cli("run", "--robust", sem_name, "--", "sh", "-c", probe.format("--robust"))
        assert json.loads(r.stdout)["kind"] == "robust"
        assert json.loads(cli("info", "--plain", sem_name, "--json").stdout)["value"] == 2
    finally:
        assert cli("unlink", sem_name).returncode == 0


def test_run_plain_creates_a_plain_semaphore_that_stays(sem_name):
    r = cli("run", "--plain", "--slots", "3", sem_name, "--", "true")
    assert r.returncode == 0, r.stderr
    e = json.loads(cli("info", sem_name, "--json").stdout)
    assert (e["kind"], e["value"]) == ("plain", 3)
    assert not os.path.exists(robust_file(sem_name))
    assert cli("unlink", sem_name).returncode == 0


def test_unlink_removes_a_persistent_robust_semaphore(sem_name):
    r = run_child("""
        import sys
        from nob.ipc import Flags, RobustSemaphore
        RobustSemaphore(sys.argv[1], 2, Flags.RAISE_IF_EXISTS, persistent=True).close()
    """, sem_name)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(robust_file(sem_name))
    assert json.loads(cli("info", sem_name, "--json").stdout)["capacity"] == 2
    assert os.path.exists(robust_file(sem_name))  # reading it kept it
    assert cli("unlink", sem_name).returncode == 0
    assert not os.path.exists(robust_file(sem_name))


SHRINKER = """
import os, sys, time
path, image = sys.argv[1], open(sys.argv[2], "rb").read()
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
print("ready", flush=True)
end = time.monotonic() + 60
while time.monotonic() < end:
    os.pwrite(fd, image, 0)   # a valid robust semaphore (persistent: opening keeps it)
    os.ftruncate(fd, 0)       # and gone under whoever mapped it
"""

READER = """
import os, sys
from nob.ipc._cli.inspect import info_entries
sys.stdout = open(os.devnull, "w")
for _ in range(int(sys.argv[2])):
    try:
        info_entries(sys.argv[1].encode(), ["robust"])
    except FileNotFoundError:
        pass
print("survived", file=sys.__stdout__)
"""


def test_a_robust_file_shrinking_under_info_never_kills_nob_sem(sem_name, tmp_path):
    r = run_child("""
        import sys
        from nob.ipc import Flags, RobustSemaphore
        RobustSemaphore(sys.argv[1], 4, Flags.RAISE_IF_EXISTS, persistent=True).close()
    """, sem_name)
    assert r.returncode == 0, r.stderr
    image = tmp_path / "image"
    image.write_bytes(open(robust_file(sem_name), "rb").read())
    shrinker = start_child(SHRINKER, robust_file(sem_name), image)
    try:
        wait_for_line(shrinker, "ready")
        r = run_child(READER, sem_name, 300, timeout=120)
        assert r.returncode == 0, (r.returncode, r.stderr)
        assert "survived" in r.stdout
    finally:
        shrinker.kill()
        shrinker.wait()
        os.unlink(robust_file(sem_name))
        os.unlink(os.path.join(SHM, "nob~" + sem_name))  # its lock file


def test_a_robust_semaphore_whose_users_all_died_is_listed_stale_and_left_to_the_next_open(sem_name):
    # In a private /dev/shm: whoever opens a stale file first removes it (the contract), and on a
    # shared machine other programs may be first.
    space = PrivateIpc()
    try:
        r = space.run([sys.executable, "-c", textwrap.dedent("""
            import os, signal, sys
            from nob.ipc import Flags, RobustSemaphore
            sem = RobustSemaphore(sys.argv[1], 2, Flags.RAISE_IF_EXISTS)
            sem.acquire()
            os.kill(os.getpid(), signal.SIGKILL)
        """), sem_name])
        assert r.returncode == -9 or r.returncode == 137, r.stderr
        assert space.exists(robust_file(sem_name))  # the file of a dead pool
        rows = {e["name"]: e for e in json.loads(space.cli("list", "--json").stdout)}
        row = rows["/" + sem_name]  # shown for what it is: it counts as absent
        assert row["value"] is None and row["error"].startswith("stale")
        assert f"owner uid {os.geteuid()}" in row["error"]
        r = space.cli("info", sem_name)
        assert r.returncode == 3 and "stale" in r.stdout  # counts as absent
        assert space.exists(robust_file(sem_name))  # looking removes nothing (it opens nothing)
        assert space.cli("run", sem_name, "--", "true").returncode == 0  # an open removes it and starts anew
        assert not space.exists(robust_file(sem_name))
    finally:
        space.close()


def test_post_and_wait_on_a_robust_name_say_why_they_refuse(sem_name, holder):
    holder(2, 1)
    for command in ("post", "wait"):
        r = cli(command, sem_name)
        assert_clean_error(r, 3)  # no plain semaphore of that name
        assert "robust" in r.stderr
    assert json.loads(cli("info", sem_name, "--json").stdout)["value"] == 1  # untouched
