"""Failure messages have nob-sem's one prefix and say what failed: the library's own "nob: "
is dropped (`nob-sem: /fifo: open (not a regular file): ...`), `holders` of a file that is no
semaphore (a socket, a FIFO, 32 zero bytes) says what `info` says of it instead of calling it
a plain semaphore, and a demo on a full /dev/shm names what it could not make. In a private
/dev/shm.

(Before: `nob-sem: /fifo: nob: open (not a regular file): Invalid argument`; `holders sock`:
"/sock is a plain semaphore: its units have no owners", exit 3; demo: `nob-sem: No space
left on device`.)"""

import sys

from test_cli_support import PrivateIpc

MAKE = """
import os, socket
os.mkfifo("/dev/shm/sem.fifo"); os.mkfifo("/dev/shm/nob.fifo")
socket.socket(socket.AF_UNIX).bind("/dev/shm/sem.sock")
with open("/dev/shm/sem.zero32", "wb") as f:
    f.write(bytes(32))
print("made")
"""


def _one_line(r):
    assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
    return r.stderr.strip()


def test_library_errors_have_one_prefix_and_holders_says_what_a_file_is():
    space = PrivateIpc()
    try:
        assert space.run([sys.executable, "-c", MAKE]).stdout.strip() == "made"
        for args in (["wait", "fifo"], ["post", "fifo"], ["run", "fifo", "--", "true"],
                     ["run", "--plain", "fifo", "--", "true"], ["wait", "zero32"]):
            r = space.cli(*args)
            line = _one_line(r)
            assert r.returncode == 6 and line.startswith("nob-sem: /"), (args, r.returncode, line)
            assert "nob:" not in line and "open (not a" in line, (args, line)
        for name, why in (("sock", "not a regular file"), ("fifo", "not a regular file"),
                          ("zero32", "not a semaphore")):
            r = space.cli("holders", name)
            line = _one_line(r)
            assert r.returncode == 6, (name, r.returncode, line)
            assert line.startswith(f"nob-sem: /{name}: {why}") and "plain semaphore" not in line, (name, line)
        assert space.cli("create", "real").returncode == 0
        r = space.cli("holders", "real")
        assert r.returncode == 3 and "is a plain semaphore" in r.stderr, r.stderr
    finally:
        space.close()


def test_demo_on_a_full_dev_shm_names_what_it_could_not_make():
    space = PrivateIpc()
    try:
        r = space.run(["sh", "-c", "mount -o remount,size=64k /dev/shm && "
                                   "head -c 100000 /dev/zero > /dev/shm/filler 2>/dev/null; test -s /dev/shm/filler"])
        assert r.returncode == 0, r.stderr
        r = space.cli("demo", "--workers", "2", "--rounds", "1", "--hold", "0")
        line = _one_line(r)
        assert r.returncode == 6, (r.returncode, line)
        assert "No space left on device" in line and "/dev/shm" in line and "demo" in line, line
    finally:
        space.close()
