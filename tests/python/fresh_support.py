"""Helpers of the fresh-name tests (name=None, every kind): the four kinds
behind one table, a record of the fresh names a test made (each must be gone
at its end), and a child interpreter with a private /dev/shm and message
queue namespace whose random source the test chooses: getrandom(2) refused
by a seccomp filter, /dev/urandom a FIFO that holds the bytes the test wants
drawn. No hook in nob: the child runs the installed release build.

The child side (enter_private_ipc, choose_random_source, break_random_source)
runs in the child: `run_private(body)` gives it the body as code.
"""

import os
import re
import subprocess
import sys
import textwrap

import pytest

from nob.ipc import Flags, NamedMessageQueue, NamedSemaphore, NamedSharedMemory, RobustSemaphore

FRESH = re.compile(r"/nob-[0-9a-f]{16}")
SKIP_STATUS = {77: "needs root and mount and IPC namespaces",
               78: "cannot install a seccomp filter here"}
HERE = os.path.dirname(os.path.abspath(__file__))


class Semaphore:
    cls = NamedSemaphore
    make = staticmethod(lambda **kw: NamedSemaphore(None, **kw))
    create = staticmethod(lambda name: NamedSemaphore(name, 1, Flags.RAISE_IF_EXISTS))
    open = staticmethod(lambda name: NamedSemaphore(name))
    path = staticmethod(lambda name: "/dev/shm/sem." + name[1:])
    mark = staticmethod(lambda h: h.release(2))
    marked = staticmethod(lambda h: h.value == 3)

    @staticmethod
    def mode(h):
        return os.stat(Semaphore.path(h.name)).st_mode & 0o7777


class SharedMemory:
    cls = NamedSharedMemory
    make = staticmethod(lambda **kw: NamedSharedMemory(None, **{"size": 64, **kw}))
    create = staticmethod(lambda name: NamedSharedMemory(name, 64, False, Flags.RAISE_IF_EXISTS))
    open = staticmethod(lambda name: NamedSharedMemory(name))
    path = staticmethod(lambda name: "/dev/shm" + name)

    @staticmethod
    def mark(h):
        with h.mmap() as m:
            m[:5] = b"fresh"

    @staticmethod
    def marked(h):
        with h.mmap() as m:
            return h.size == 64 and m[:5] == b"fresh"

    @staticmethod
    def mode(h):
        return os.fstat(h.fd).st_mode & 0o7777


class MessageQueue:
    cls = NamedMessageQueue
    make = staticmethod(lambda **kw: NamedMessageQueue(
        None, **{"max_messages": 4, "max_message_size": 64, **kw}))
    create = staticmethod(lambda name: NamedMessageQueue(name, 4, 64, True, True,
                                                         Flags.RAISE_IF_EXISTS))
    open = staticmethod(lambda name: NamedMessageQueue(name))
    path = staticmethod(lambda name: "/dev/mqueue" + name)
    mark = staticmethod(lambda h: h.send(b"fresh", priority=1))
    marked = staticmethod(lambda h: h.receive(timeout=0) == (b"fresh", 1))

    @staticmethod
    def mode(h):
        return os.fstat(h.mqd).st_mode & 0o7777


class Robust:
    cls = RobustSemaphore
    make = staticmethod(lambda **kw: RobustSemaphore(None, **kw))
    create = staticmethod(lambda name: RobustSemaphore(name, 1, Flags.RAISE_IF_EXISTS))
    open = staticmethod(lambda name: RobustSemaphore(name))
    path = staticmethod(lambda name: "/dev/shm/nob." + name[1:])
    mark = staticmethod(lambda h: h.acquire())  # held by the marking process
    marked = staticmethod(lambda h: h.value == 0)

    @staticmethod
    def mode(h):
        return os.stat(Robust.path(h.name)).st_mode & 0o7777


KINDS = {"semaphore": Semaphore, "shm": SharedMemory, "mq": MessageQueue, "robust": Robust}


class Made:
    """The fresh names a test made, by kind: each must be gone at the test's end."""

    def __init__(self):
        self.names = []

    def __call__(self, kind, handle):
        self.names.append((kind, handle.name))
        return handle

    def left(self):
        return [name for kind, name in self.names if kind.cls.exists(name)]

    def remove_all(self):
        for kind, name in self.names:
            kind.cls.remove(name)


@pytest.fixture
def made():
    """A Made for the test; it fails the test if a name it recorded is left."""
    record = Made()
    yield record
    left = record.left()
    record.remove_all()
    assert not left, f"left behind: {left}"


# --- the child side -------------------------------------------------------

def _libc():
    import ctypes
    return ctypes, ctypes.CDLL(None, use_errno=True)


def enter_private_ipc():
    """In a fresh child: private mount and IPC namespaces, a tmpfs on
    /dev/shm and the namespace's mqueue file system on /dev/mqueue. Exits
    with 77 when it cannot."""
    ctypes, libc = _libc()
    CLONE_NEWNS, CLONE_NEWIPC, MS_REC, MS_PRIVATE = 0x20000, 0x08000000, 0x4000, 0x40000
    if (os.geteuid() != 0 or libc.unshare(CLONE_NEWNS | CLONE_NEWIPC) != 0
            or libc.mount(None, b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE), None) != 0
            or libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", ctypes.c_ulong(0), b"mode=1777") != 0
            or libc.mount(b"mqueue", b"/dev/mqueue", b"mqueue", ctypes.c_ulong(0), None) != 0):
        os._exit(77)


def entries():
    """What the private /dev/shm and /dev/mqueue hold ("mq:" before the latter), sorted."""
    return sorted(os.listdir("/dev/shm") + ["mq:" + n for n in os.listdir("/dev/mqueue")])


def _filter_getrandom(errno_value):
    """A seccomp filter on this process: getrandom(2) fails with errno_value.
    Exits with 78 where no filter can be installed (other machines, qemu)."""
    import platform
    import struct
    ctypes, libc = _libc()
    try:
        arch, nr = {"x86_64": (0xC000003E, 318), "aarch64": (0xC00000B7, 278)}[platform.machine()]
    except KeyError:
        os._exit(78)
    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    program = [(ld, 0, 0, 4), (jeq, 0, 3, arch), (ld, 0, 0, 0), (jeq, 0, 1, nr),
               (ret, 0, 0, 0x00050000 | errno_value), (ret, 0, 0, 0x7FFF0000)]
    code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(program), ctypes.addressof(code))
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    zero = ctypes.c_ulong(0)
    if (libc.prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), zero, zero, zero) != 0
            or libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER),
                          ctypes.byref(prog), zero, zero) != 0):
        os._exit(78)


def choose_random_source(draws, fifo):
    """getrandom(2) fails with ENOSYS (a kernel without it) and /dev/urandom
    is the FIFO `fifo`, holding exactly `draws` (8 bytes each), in order:
    the names create_unique draws are "/nob-" + draw.hex(). The child keeps
    the FIFO's write end, so a read past them waits: give enough draws."""
    import errno
    ctypes, libc = _libc()
    os.mkfifo(fifo, 0o600)
    fd = os.open(fifo, os.O_RDWR)
    os.write(fd, b"".join(draws))
    if libc.mount(fifo.encode(), b"/dev/urandom", None, ctypes.c_ulong(0x1000), None) != 0:  # MS_BIND
        os._exit(79)
    _filter_getrandom(errno.ENOSYS)
    return fd


def break_random_source():
    """No random source at all: getrandom(2) fails with EPERM and /dev/urandom
    is /dev/null (it ends at once)."""
    import errno
    ctypes, libc = _libc()
    if libc.mount(b"/dev/null", b"/dev/urandom", None, ctypes.c_ulong(0x1000), None) != 0:
        os._exit(79)
    _filter_getrandom(errno.EPERM)


def run_private(body, timeout=60):
    """Runs `body` in a child interpreter that has entered private namespaces
    (`fs` is this module there; nob.ipc's names are imported). Returns the
    CompletedProcess; skip on SKIP_STATUS, else expect 0 (see check_private)."""
    code = textwrap.dedent("""\
        import os, sys
        sys.path.insert(0, {here!r})
        import fresh_support as fs
        from nob.ipc import *
        fs.enter_private_ipc()
    """).format(here=HERE) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout)


def check_private(result):
    """pytest side of run_private: skip with its reason, or assert it passed."""
    if result.returncode in SKIP_STATUS:
        pytest.skip(SKIP_STATUS[result.returncode])
    assert result.returncode == 0, result.stdout + result.stderr
