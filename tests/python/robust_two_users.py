"""Two real users for the tests of a hostile local user against RobustSemaphore (issue 19):
a victim and an attacker (made by test_cli_support.other_user). The suite runs as root; each
user's part is a Python function run in a forked child that drops to that uid (no exec: the
interpreter may live where other users cannot read it). Without root the tests skip."""

import ctypes
import json
import mmap
import os
import pickle
import platform
import select
import signal
import time

import pytest
from test_cli_support import PrivateIpc, other_user, run_as

VICTIM, ATTACKER = "nob-victim", "nob-attacker"


@pytest.fixture
def users():
    """(victim, attacker): two real users, each (uid, gid); skips unless root."""
    return other_user(VICTIM), other_user(ATTACKER)


def _become(who):
    uid, gid = who
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


class AsUser:
    """`fn(*args)` running as `who` in a forked child. `result()` waits for it (at most
    `timeout` s, then kills it) and returns what fn returned, or raises what it raised (as
    AssertionError with its repr); `ready()` waits until fn called the `ready` it was given
    as its keyword argument `ready` (with `pass_ready`); `kill()` ends it."""

    def __init__(self, who, fn, *args, pass_ready=False):
        self._r, w = os.pipe()
        self._ready_r, ready_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into pytest
            code = 0
            try:
                os.close(self._r)
                os.close(self._ready_r)
                _become(who)
                kwargs = {"ready": lambda: os.write(ready_w, b"r")} if pass_ready else {}
                out = ("ok", fn(*args, **kwargs))
            except BaseException as e:  # noqa: B036 - handed to the parent
                out = ("error", repr(e))
            try:
                os.write(w, pickle.dumps(out))
            except BaseException:  # noqa: B036
                code = 1
            os._exit(code)
        os.close(w)
        os.close(ready_w)
        self.status = None

    def ready(self, timeout=30.0):
        """Waits for the child's ready(); False when it ended first or the time ran out."""
        readable, _, _ = select.select([self._ready_r], [], [], timeout)
        return bool(readable) and os.read(self._ready_r, 1) == b"r"

    def result(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        chunks = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise AssertionError(f"the child (pid {self.pid}) did not end within {timeout} s")
            readable, _, _ = select.select([self._r], [], [], left)
            if readable:
                chunk = os.read(self._r, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
        _, self.status = os.waitpid(self.pid, 0)
        os.close(self._r)
        os.close(self._ready_r)
        if os.WIFSIGNALED(self.status):
            raise AssertionError(f"the child died of signal {os.WTERMSIG(self.status)}")
        kind, value = pickle.loads(b"".join(chunks))
        if kind == "error":
            raise AssertionError(f"the child raised {value}")
        return value

    def kill(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, self.status = os.waitpid(self.pid, 0)
            for fd in (self._r, self._ready_r):
                try:
                    os.close(fd)
                except OSError:
                    pass


def as_user(who, fn, *args, timeout=60.0):
    """fn(*args) as `who` in a forked child: its return value (see AsUser)."""
    return AsUser(who, fn, *args).result(timeout)


def pause_forever():
    while True:
        signal.pause()


# A full /dev/shm (robust/test_robust_full_shm.py, shm/test_shared_memory_allocate_at_create.py):
# the attacker fills a small private one up to argv[1] bytes, the victim runs a test's script.
FILL = """
fd = os.open("/dev/shm/filler", os.O_CREAT | os.O_WRONLY, 0o644)
size = 0
try:
    while os.write(fd, b"\\0" * 4096) == 4096:
        size += 4096
except OSError as e:
    assert e.errno == errno.ENOSPC
os.ftruncate(fd, max(0, size - int(sys.argv[1])))  # gives back that many bytes
print("filled")
"""


def create_in_small_shm(size, leave, name, capacity, script):
    """`script` (its CREATE) run by the victim in a /dev/shm of `size` that the attacker filled up
    to `leave` bytes: what it printed, as JSON."""
    victim, attacker = other_user(VICTIM), other_user(ATTACKER)
    space = PrivateIpc(size=size)
    try:
        r = run_as(attacker, FILL, leave, inside=space)
        assert r.stdout == "filled\n", r.stderr
        r = run_as(victim, script, name, capacity, inside=space)
        assert r.returncode == 0, (r.returncode, r.stderr)  # -7: SIGBUS
        return json.loads(r.stdout)
    finally:
        space.close()


LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long
LIBC.mmap.restype = ctypes.c_void_p
LIBC.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                      ctypes.c_long]
SYS_FUTEX = {"x86_64": 202, "aarch64": 98, "i686": 240, "i386": 240}.get(platform.machine())
FUTEX_WAKE = 1


def map_read_only(path, length=4096):
    """The address of a PROT_READ, MAP_SHARED mapping of the first `length` bytes of `path`
    (opened read-only), as an int."""
    fd = os.open(path, os.O_RDONLY)
    addr = LIBC.mmap(None, length, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
    os.close(fd)
    if addr in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "mmap")
    return addr


def futex_wake(addr):
    """FUTEX_WAKE every sleeper on the 32-bit word at `addr` (shared: no private flag)."""
    return LIBC.syscall(SYS_FUTEX, ctypes.c_void_p(addr), FUTEX_WAKE, 0x7FFFFFFF, None, None, 0)
