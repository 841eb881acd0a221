"""Waiting without hanging: for a lease or a robust file's lock that another process keeps
(waited for in Python, where signals act and --timeout counts), and for a unit with the
terminating signals blocked (so none strikes between taking a unit and recording it)."""

import os
from typing import Any, Callable, Optional, Set, Union

from nob.ipc._cli.names import SHM_DIR, Directory, directory_here

# Catchable signals whose default action ends a process. The fault signals (SIGSEGV,
# SIGBUS, ...) count too for `run` and `wait`, which block them: sent by another process
# (kill -ABRT, systemd's watchdog) they are taken like the others, while a real fault of
# nob-sem itself is delivered by the kernel even when blocked, and kills it as before.
TERMINATING = ("SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
               "SIGSTKFLT", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGIO", "SIGPOLL", "SIGPWR",
               "SIGLOST", "SIGEMT", "SIGABRT", "SIGTRAP", "SIGSYS", "SIGBUS", "SIGSEGV", "SIGFPE", "SIGILL")
FAULTS = ("SIGABRT", "SIGTRAP", "SIGSYS", "SIGBUS", "SIGSEGV", "SIGFPE", "SIGILL")
PYTHON_IGNORES = ("SIGPIPE", "SIGXFSZ")  # Python ignores them at startup


def _numbers(names: Any) -> Set[int]:
    import signal

    return {int(getattr(signal, n)) for n in names if hasattr(signal, n)}


def handled_signals() -> Set[int]:
    """Every catchable terminating signal (real-time ones too), minus those this process
    was started with ignored (nohup): a command `run` starts inherits those ignored.
    SIGPIPE and SIGXFSZ count as not ignored: Python itself ignores them at startup."""
    import signal

    numbers = _numbers(TERMINATING) | set(range(int(signal.SIGRTMIN), int(signal.SIGRTMAX) + 1))
    python_ignores = _numbers(PYTHON_IGNORES)
    return {s for s in numbers if s in python_ignores or signal.getsignal(s) is not signal.SIG_IGN}


def catchable_signals() -> Set[int]:
    """handled_signals() that a Python handler may take in every command: not the faults
    (a real one must kill), not those Python ignores (SIGPIPE is a BrokenPipeError)."""
    return handled_signals() - _numbers(FAULTS) - _numbers(PYTHON_IGNORES)


def interruptible(call: Callable[[], Any]) -> Any:
    """call() with the caught signals at their default action: a library call that waits in
    C (an open behind a lease, a robust close behind the file lock) would otherwise run
    their Python handlers only when it returns. Nothing is held yet, or everything is
    given back by the kernel: ending there is safe."""
    import signal

    saved = {s: signal.getsignal(s) for s in catchable_signals()}
    for s in saved:
        signal.signal(s, signal.SIG_DFL)
    try:
        return call()
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def seconds_left(deadline: Optional[float]) -> Optional[float]:
    import time

    return None if deadline is None else max(0.0, deadline - time.monotonic())


def deadline_after(timeout: Optional[float]) -> Optional[float]:
    """The monotonic deadline of a --timeout (None: forever)."""
    import math
    import time

    return None if timeout is None or math.isinf(timeout) else time.monotonic() + timeout


def file_lock_taken(fd: int) -> bool:
    """True when another open file description holds a robust file's file-wide lock (byte 0,
    docs/robust.md), which RobustSemaphore's open and close wait for."""
    from nob.ipc._cli_native import file_lock_taken as taken

    return bool(taken(fd))


def _open_without_waiting(file: bytes) -> Optional[int]:
    """A descriptor of /dev/shm/FILE opened as the library opens it (read-write, else
    read-only), but never waiting: BlockingIOError while another process holds a lease
    on it (the open starts the lease break, which the holder must answer within the
    kernel's lease-break-time, 45 s by default). None when it cannot be opened at all."""
    flags = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    with Directory(SHM_DIR) as dir_fd:
        for mode in (os.O_RDWR, os.O_RDONLY):
            try:
                return os.open(file, flags | mode, dir_fd=dir_fd)
            except PermissionError:
                continue
            except BlockingIOError:
                raise
            except OSError:
                return None
    return None


def ready_to_open(file: bytes, seconds: Optional[float], lock: bool = False) -> bool:
    """False when another process keeps a lease on /dev/shm/FILE (with `lock`: or the file
    lock of a robust file) for `seconds` (None: waits as long as it takes), where sem_open
    or RobustSemaphore would wait in the kernel; True when free or there is no such file
    (the library then decides). The wait runs Python code, so signals end it."""
    import time

    if not directory_here("plain"):
        return True
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        try:
            fd = _open_without_waiting(file)
            break
        except BlockingIOError:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
    if fd is None:
        return True
    try:
        while lock and file_lock_taken(fd):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True
    finally:
        os.close(fd)


def block(signals: Set[int]) -> Set[int]:
    """Blocks the signals; returns the mask as it was before."""
    import signal

    return {int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, signals)}


def acquire_or_signal(sem: Any, timeout: Optional[float], signals: Set[int]) -> Union[bool, int]:
    """Acquires with `signals` blocked: True, False on timeout, or the signal that came first.

    Blocking the signals means none can strike between taking a unit and
    recording it; they are polled every 0.1 s while the wait goes on.
    """
    import signal
    import time

    deadline = deadline_after(timeout)
    while True:
        pending = signal.sigpending() & signals
        if pending:
            return int(min(pending))
        left = 0.1 if deadline is None else min(0.1, max(0.0, deadline - time.monotonic()))
        if sem.acquire(timeout=left):
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False
