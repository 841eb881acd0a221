"""nob.ipc.async_wait_mode(): which of the three waiting modes runs, how
NOB_ASYNC_WAIT picks one, what happens where the kernel refuses io_uring
(a seccomp filter that refuses io_uring_setup, as container runtimes and
sandboxes install), and that uring mode needs no thread at all."""

import os
import platform
import subprocess
import sys
import textwrap

import pytest

import nob.ipc
from nob.ipc import Flags, NamedSemaphore, async_wait_mode

from async_loops import env_with_mode

# Child: optionally refuses io_uring_setup with EPERM by a seccomp filter
# (installed with ctypes before nob is imported), then reports the mode,
# awaits a unit the parent posts, and counts threads and rings meanwhile.
CHILD = textwrap.dedent("""
    import asyncio, ctypes, os, struct, sys
    name, refuse = sys.argv[1], sys.argv[2] == "refuse"
    if refuse:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
        BPF_LD_W_ABS, BPF_JEQ_K, BPF_RET_K = 0x20, 0x15, 0x06
        EPERM, RET_ERRNO, RET_ALLOW, NR_IO_URING_SETUP = 1, 0x00050000, 0x7fff0000, 425
        prog = [(BPF_LD_W_ABS, 0, 0, 0),                    # the system call's number
                (BPF_JEQ_K, 0, 1, NR_IO_URING_SETUP),
                (BPF_RET_K, 0, 0, RET_ERRNO | EPERM),
                (BPF_RET_K, 0, 0, RET_ALLOW)]
        code = b"".join(struct.pack("HBBI", *i) for i in prog)
        buf = ctypes.create_string_buffer(code)
        fprog = struct.pack("HxxxxxxQ", len(prog), ctypes.addressof(buf))
        fbuf = ctypes.create_string_buffer(fprog)
        assert libc.prctl(38, 1, 0, 0, 0) == 0                    # PR_SET_NO_NEW_PRIVS
        assert libc.prctl(22, 2, ctypes.addressof(fbuf), 0, 0) == 0  # SECCOMP_MODE_FILTER
    from nob.ipc import NamedSemaphore, async_wait_mode, _async
    sem = NamedSemaphore(name)

    async def main():
        before = len(os.listdir("/proc/self/task"))
        task = asyncio.ensure_future(sem.acquire_async(timeout=30))
        await asyncio.sleep(0.1)
        during = len(os.listdir("/proc/self/task")) - before
        rings = _async._ring_count(asyncio.get_running_loop())
        print(async_wait_mode(), during, rings, flush=True)
        sys.stdin.readline()  # the parent posts meanwhile
        return await task

    print(asyncio.run(main()), flush=True)
""")


def run_child(name, mode, refuse):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, name, "refuse" if refuse else "-"],
                            env=env_with_mode(mode), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline().split()
        assert len(first) == 3, proc.stderr.read()
        NamedSemaphore(name).release()
        proc.stdin.write("\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        return first[0], int(first[1]), int(first[2]), out.strip()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_mode_is_public_and_one_of_three():
    assert nob.ipc.async_wait_mode is async_wait_mode
    assert "async_wait_mode" in nob.ipc.__all__
    assert async_wait_mode() in ("uring", "thread", "poll")


def uring_here():
    return run_child_mode_only(None) == "uring"


def run_child_mode_only(mode):
    r = subprocess.run([sys.executable, "-c", "from nob.ipc import async_wait_mode as m; print(m())"],
                       env=env_with_mode(mode), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.mark.parametrize("mode", ["uring", "thread", "poll"])
def test_nob_async_wait_picks_the_mode_and_each_one_waits(sem_name, mode):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    try:
        if mode == "uring" and not uring_here():
            pytest.skip("this kernel refuses io_uring futex operations")
        got, threads, rings, result = run_child(sem.name, mode, refuse=False)
        print(f"\nNOB_ASYNC_WAIT={mode}: {got}, {threads} more thread(s), {rings} ring(s)")
        assert got == mode
        assert result == "True"
        assert (threads, rings) == ((0, 1) if mode == "uring" else (1, 0))
        assert sem.value == 0
    finally:
        sem.close()


def test_without_nob_async_wait_the_best_mode_runs():
    best = run_child_mode_only(None)
    assert best in ("uring", "thread", "poll")
    if best != "uring":
        assert run_child_mode_only("uring") == best  # asked for, refused: the next best


@pytest.mark.skipif(platform.machine() not in ("x86_64", "aarch64"),
                    reason="the filter's system call number is that of x86_64 and aarch64")
@pytest.mark.parametrize("mode", [None, "uring"])
def test_where_seccomp_refuses_io_uring_a_helper_thread_waits(sem_name, mode):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    try:
        got, threads, rings, result = run_child(sem.name, mode, refuse=True)
        print(f"\nio_uring_setup refused, NOB_ASYNC_WAIT={mode}: {got}, {threads} more thread(s)")
        assert got == "thread"
        assert (threads, rings) == (1, 0)
        assert result == "True"
        assert sem.value == 0
    finally:
        sem.close()


@pytest.mark.parametrize("value", ["bogus", "URING", "io_uring", " thread"])
def test_an_unknown_nob_async_wait_is_a_clear_error(sem_name, monkeypatch, value):
    import asyncio
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    monkeypatch.setenv("NOB_ASYNC_WAIT", value)
    try:
        with pytest.raises(ValueError, match="NOB_ASYNC_WAIT must be uring, thread or poll"):
            async_wait_mode()
        with pytest.raises(ValueError, match="NOB_ASYNC_WAIT"):
            asyncio.run(sem.acquire_async(timeout=1))
        sem.release()  # nothing was left behind: the next wait works
        monkeypatch.delenv("NOB_ASYNC_WAIT")
        assert asyncio.run(sem.acquire_async(timeout=1)) is True
    finally:
        sem.close()
