"""nob-sem list/info read semaphore files without mapping or waiting: a file that
shrinks meanwhile is no SIGBUS, a file under another process's lease is 'busy' at once."""

import json
import os
import time

from test_cli_support import cli, shm_file

from conftest import run_child, start_child, wait_for_line

# A valid 64-bit glibc sem_t holding 1: {u64 value, int private = 128, int pad} + 16 bytes.
SEM_ONE = (1).to_bytes(8, "little") + (128).to_bytes(4, "little") + bytes(20)


FLIPPER = """
import os, sys, time
path, image = sys.argv[1], bytes.fromhex(sys.argv[2])
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
print("ready", flush=True)
end = time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:
    os.pwrite(fd, image, 0)   # a valid semaphore: passes any size and content check
    os.ftruncate(fd, 0)       # and gone under whoever mapped it
os.close(fd)
"""

READER = """
import os, sys
import nob.ipc._cli as cli
from nob.ipc._cli.inspect import info_entries
name, rounds = sys.argv[1], int(sys.argv[2])
sys.stdout = open(os.devnull, "w")
sys.stderr = open(os.devnull, "w")
info = lambda: info_entries(name.encode(), ["robust", "plain"])
for i in range(rounds):
    try:
        info()  # what `nob-sem info NAME` does, without parsing argv each time
    except Exception:
        pass
    if i % 200 == 0:
        cli.main(["list"])
print("survived", file=sys.__stdout__)
"""


def test_a_file_shrinking_under_list_and_info_never_sigbus(sem_name):
    path = shm_file(sem_name)
    flipper = start_child(FLIPPER, path, SEM_ONE.hex(), 60)
    try:
        wait_for_line(flipper, "ready")
        # nob-sem's own code path, many times in one process (the console script costs
        # ~50 ms a start; the mapping code it replaced died within 20,000 reads in 10 of 10 runs)
        r = run_child(READER, sem_name, 20000, timeout=120)
        assert r.returncode == 0, (r.returncode, r.stderr)  # -7 would be SIGBUS
        assert "survived" in r.stdout
        for _ in range(20):  # and the console script itself
            r = cli("info", sem_name, "--json")
            assert r.returncode in (0, 6), r  # a value, or "not a semaphore" at that instant
            assert json.loads(r.stdout)["name"] == "/" + sem_name
    finally:
        flipper.kill()
        flipper.wait()
        os.unlink(path)


LEASER = """
import fcntl, os, signal, sys, time
signal.signal(signal.SIGIO, signal.SIG_IGN)  # told of a lease break: keep the lease anyway
path = sys.argv[1]
fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
print("leased", flush=True)
time.sleep(120)
"""


def test_a_leased_file_is_reported_busy_at_once(make_name):
    leased, good = make_name("leased"), make_name("good")
    assert cli("create", good, "--value", "3").returncode == 0
    with open(shm_file(leased), "wb") as f:
        f.write(SEM_ONE)
    holder = start_child(LEASER, shm_file(leased))
    try:
        wait_for_line(holder, "leased")
        t0 = time.monotonic()
        r = cli("list", "--json", timeout=40)  # opening it blocking would stall 45 s
        assert r.returncode == 0, r.stderr
        entries = {e["name"]: e for e in json.loads(r.stdout)}
        assert entries["/" + leased]["value"] is None
        assert "busy" in entries["/" + leased]["error"]
        assert entries["/" + good]["value"] == 3  # the others are still read
        r = cli("info", leased, timeout=40)
        assert r.returncode == 1
        assert "busy" in r.stdout
        assert time.monotonic() - t0 < 20
    finally:
        holder.kill()
        holder.wait()
        os.unlink(shm_file(leased))
        cli("unlink", good)
