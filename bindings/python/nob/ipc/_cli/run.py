"""nob-sem run NAME -- CMD: runs CMD while holding one slot of a semaphore (robust by
default), passes terminating signals on to its job (job.py), and gives the slot back when
the whole job (CMD and every process it started) has ended, however it ends. A robust slot
is also lent to the job, so it outlives a SIGKILL of nob-sem while the job lives."""

import argparse
import os
import sys
from typing import Any, List, NoReturn, Optional, Set

from nob.ipc._cli import Exit, Failure, UsageError, complain
from nob.ipc._cli.job import Job
from nob.ipc._cli.names import SHM_DIR, file_of, normalize, safe_text
from nob.ipc._cli.waiting import (acquire_or_signal, block, deadline_after, handled_signals, interruptible,
                                  ready_to_open, seconds_left)

def _run_semaphore(name: str, args: argparse.Namespace, deadline: Optional[float]) -> Any:
    """The semaphore `run` holds a slot of: robust by default (a slot comes back even when
    nob-sem is SIGKILLed); a plain one with --plain, or when only a plain one of that
    name exists (made by `nob-sem create`, `--plain` or a C program's sem_open). Another
    user's is refused unless --any-owner. None when another process kept a lease, or the
    robust file's lock, until the deadline."""
    from nob.ipc import Flags, NamedSemaphore, RobustSemaphore

    use_plain = args.plain or (not args.robust and NamedSemaphore.exists(name) and not RobustSemaphore.exists(name))
    kind = "plain" if use_plain else "robust"
    file = file_of(kind, name[1:].encode())
    mine_only = not args.any_owner
    if not ready_to_open(file, seconds_left(deadline), lock=not use_plain):
        return None
    try:
        if use_plain:
            return interruptible(lambda: NamedSemaphore(name, args.slots, Flags.LINK_OR_CREATE,
                                                        unlink_on_delete=False, mode=args.mode,
                                                        same_uid_only=mine_only))
        return interruptible(lambda: RobustSemaphore(name, args.slots, Flags.LINK_OR_CREATE, mode=args.mode,
                                                     same_uid_only=mine_only))
    except PermissionError:
        try:
            uid = os.stat(os.path.join(os.fsencode(SHM_DIR), file)).st_uid
        except OSError:
            raise Failure(f"{name}: permission denied", Exit.PERMISSION) from None
        if mine_only and uid != os.geteuid():
            raise Failure(f"{name}: the {kind} semaphore of that name belongs to uid {uid}, another user; "
                          "--any-owner shares its slots", Exit.PERMISSION) from None
        raise Failure(f"{name}: permission denied", Exit.PERMISSION) from None


def lendable(sem: Any) -> bool:
    """True when `sem` is robust and its liveness descriptor is safe to lend: not its data
    file, through which CMD could truncate or rewrite the pool under every user (a CMD that
    changes user keeps the descriptors it inherits). nob's robust semaphores keep their
    locks in a lock file of their own, which holds no data; where the library's liveness
    descriptor is the data file itself (before that change), nothing is lent."""
    from nob.ipc._cli_native import is_robust_data_file

    return hasattr(sem, "_liveness_fd") and not is_robust_data_file(sem._liveness_fd())


class _LentSlot:
    """A robust slot lent to the whole job, for when nob-sem itself is SIGKILLed: CMD
    inherits a duplicate of the descriptor whose open file description keeps nob-sem's
    units alive (RobustSemaphore._liveness_fd), and the write end of a pipe. The processes
    of the job that keep their inherited descriptors keep the slot held after nob-sem's
    end. When the job has ended, EOF on the pipe says that no process outside it (one given
    the descriptors on purpose) holds them."""

    def __init__(self, sem: Any) -> None:
        self.lent: List[int] = []
        self.watch = -1
        try:
            self.lent.append(os.dup(sem._liveness_fd()))
            self.watch, writer = os.pipe()
            self.lent.append(writer)
            for fd in self.lent:
                os.set_inheritable(fd, True)
            os.set_blocking(self.watch, False)
        except BaseException:
            self.close()
            raise

    def started(self) -> None:
        """CMD has its copies (or failed to start): nob-sem drops its own."""
        for fd in self.lent:
            os.close(fd)
        self.lent = []

    def job_lives(self) -> bool:
        """True while some process still holds the pipe's write end."""
        while True:
            try:
                if not os.read(self.watch, 4096):
                    return False  # EOF: every copy is closed
            except BlockingIOError:
                return True

    def close(self) -> None:
        self.started()
        if self.watch >= 0:
            os.close(self.watch)
            self.watch = -1


def _hold_and_run(sem: Any, args: argparse.Namespace, deadline: Optional[float], job: Job,
                  old_mask: Set[int], sigchld_ignored: bool) -> int:
    """Takes a slot, runs CMD, gives the slot back once the whole job has ended; the exit
    status of `run` (CMD's). A robust slot that a process outside the job still holds
    (a lent descriptor passed on) stays theirs: nob-sem then exits at once, without giving
    it back or closing (_exit_keeping_slot)."""
    got = acquire_or_signal(sem, seconds_left(deadline), job.signals)
    if got is False:
        return _no_slot(sem.name, args)
    if got is not True:
        return 128 + int(got)
    lent = _LentSlot(sem) if lendable(sem) else None
    try:
        try:
            job.start(args.cmd, old_mask, sigchld_ignored)
        except OSError as e:
            complain(f"{safe_text(args.cmd[0])}: {e.strerror or e}")
            return 127 if isinstance(e, FileNotFoundError) else 126
        finally:
            if lent is not None:
                lent.started()
        status = job.wait()
        if lent is not None and lent.job_lives():
            _exit_keeping_slot(status)
        return status
    finally:
        if lent is not None:
            lent.close()
        sem.release()


def _exit_keeping_slot(status: int) -> NoReturn:
    """Exits with `status` at once, without closing the robust semaphore: nob-sem's end drops
    its own hold on its entry as a SIGKILL would, and the entry (with its slot) lives on in
    whoever else holds its open file description."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _no_slot(name: str, args: argparse.Namespace) -> int:
    complain(f"{name}: no slot free after {args.timeout:g} s; not running {safe_text(args.cmd[0])}")
    return Exit.TIMED_OUT


def _close_run_semaphore(sem: Any, status: int, old_mask: Set[int], signals: Set[int]) -> None:
    """Closes the semaphore after the slot was given back. The signals that came meanwhile
    are taken off first (`status` says what they did). A robust close waits for the file
    lock: with the signal mask nob-sem started with and the signals at their default (any
    signal ends a stalled close), and not at all when another process has kept the lock for
    2 s: then nob-sem exits at once with `status`; its end drops its locks as a SIGKILL
    would, and the next opener of an unused name removes it."""
    import signal

    while signal.sigtimedwait(signals, 0) is not None:
        pass
    if not hasattr(sem, "_liveness_fd"):
        sem.close()
        return

    def close() -> None:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        if not ready_to_open(file_of("robust", sem.name[1:].encode()), 2.0, lock=True):
            _exit_keeping_slot(status)
        sem.close()

    interruptible(close)


def cmd_run(args: argparse.Namespace) -> int:
    """nob-sem run NAME -- CMD: runs CMD while holding one of K slots."""
    import signal

    from nob.ipc._cli_native import robust_max_capacity

    name = normalize(args.name)
    if not args.cmd:
        raise UsageError("run needs a command after '--'")
    if args.slots > robust_max_capacity() and not args.plain:
        raise UsageError(f"--slots {args.slots}: a robust semaphore has at most {robust_max_capacity()} "
                         "slots (--plain for more)")
    signals = handled_signals()
    sigchld_ignored = signal.getsignal(signal.SIGCHLD) is signal.SIG_IGN
    if sigchld_ignored:  # the kernel would reap the job itself, and CMD's status would be lost
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    deadline = deadline_after(args.timeout)
    job = Job(signals)  # its witness starts before the semaphore is opened: it must not keep it
    try:
        sem = _run_semaphore(name, args, deadline)  # signals end the command while opening: nothing is held yet
        if sem is None:
            return _no_slot(name, args)
        old_mask = block(signals | {int(signal.SIGCHLD)})
        try:
            status = _hold_and_run(sem, args, deadline, job, old_mask, sigchld_ignored)
        except BaseException:
            sem.close()
            raise
        _close_run_semaphore(sem, status, old_mask, signals)
        return status
    finally:
        job.close()


def cmd_demo(args: argparse.Namespace) -> int:
    """nob-sem demo: several processes share one named semaphore."""
    from nob.ipc._demo import run_demo

    name = normalize(args.name) if args.name else None
    return run_demo(workers=args.workers, slots=args.slots, rounds=args.rounds, hold=args.hold, name=name)

