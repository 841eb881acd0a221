"""nob-sem: list, inspect and clean up nob's named objects (semaphores, robust semaphores,
shared memory, message queues), and use semaphores from the shell (create, post, wait,
run). The same tool runs as ``python -m nob.ipc``.

One module per concern: ``parser`` (the command line), ``names`` (kinds, files, the
spelling of names), ``inspect`` (list, info, holders), ``changes`` (create, post, wait,
unlink), ``waiting`` (leases, file locks and signals while waiting), ``run``, ``job`` (the
processes of run's CMD and the signals sent to them), and ``completion`` (bash). This module holds the exit codes and main(). Heavy modules are
imported only by the commands that need them, so the tool starts fast.
"""

import enum
import errno
import io
import os
import sys
from typing import List, NoReturn, Optional

PROG = "nob-sem"


class Exit(enum.IntEnum):
    """nob-sem's exit codes (docs/cli.md, "Exit codes"). `run` exits with CMD's status once
    CMD has started (when its whole job has ended); 126/127 when it cannot; 128+N after
    signal N."""

    OK = 0
    TIMED_OUT = 1  # timed out, would block, busy (another process holds a lease or a lock)
    USAGE = 2  # bad name, option or argument: nothing was done
    NOT_FOUND = 3  # no such object (of the kind asked for); a stale robust file counts as none
    EXISTS = 4  # already exists
    PERMISSION = 5  # permission denied, or owned by another user (without --any-owner)
    ERROR = 6  # any other failure: a broken or foreign file, a system error


class UsageError(Exception):
    """A bad name or argument: one line on stderr, exit 2."""


class Failure(Exception):
    """A failure the tool reports itself: one line on stderr, exit `code`."""

    def __init__(self, message: str, code: Exit = Exit.ERROR) -> None:
        super().__init__(message)
        self.code = code


class Interrupted(Exception):
    """A terminating signal arrived: exit 128+N."""

    def __init__(self, signo: int) -> None:
        super().__init__(signo)
        self.signo = signo


def code_of(e: OSError) -> Exit:
    """The exit code of a system error."""
    if e.errno == errno.ENOENT:
        return Exit.NOT_FOUND
    if e.errno == errno.EEXIST:
        return Exit.EXISTS
    if e.errno in (errno.EACCES, errno.EPERM):
        return Exit.PERMISSION
    if e.errno in (errno.EAGAIN, errno.EBUSY, errno.ETIMEDOUT):
        return Exit.TIMED_OUT
    return Exit.ERROR


def complain(message: str) -> None:
    """One line on stderr, with the one prefix."""
    print(f"{PROG}: {message}", file=sys.stderr)


class _ClosedStream(io.TextIOBase):
    """sys.stdout or sys.stderr when nob-sem was started with that descriptor closed:
    writing to stdout is an error (exit 6: output would be lost), to stderr nothing."""

    def __init__(self, what: str, fail: bool) -> None:
        super().__init__()
        self.what, self.fail = what, fail

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.fail and text:
            raise OSError(errno.EBADF, f"{self.what} is closed")
        return len(text)


def _guard_standard_descriptors() -> None:
    """A closed 0, 1 or 2 gets a placeholder (/dev/null, close-on-exec): no file that nob-sem
    opens can land there and take output meant for a terminal, and a command that `run`
    starts still finds it closed, as nob-sem did."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            placeholder = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)  # the lowest free: fd
            if placeholder != fd:
                os.close(placeholder)
    if sys.stdout is None:
        sys.stdout = _ClosedStream("standard output", fail=True)
    if sys.stderr is None:
        sys.stderr = _ClosedStream("standard error", fail=False)


def _raise_interrupted(signo: int, frame: object) -> NoReturn:
    raise Interrupted(signo)


def _catch_terminating_signals() -> None:
    """Every catchable terminating signal that was not ignored at start ends the command with
    128+N (where a library call waits in C, waiting.interruptible() lets it act by default)."""
    import signal

    from nob.ipc._cli.waiting import catchable_signals

    for signo in catchable_signals():
        signal.signal(signo, _raise_interrupted)


def main(argv: Optional[List[str]] = None) -> int:
    """Runs nob-sem with argv (default sys.argv[1:]); returns the exit code."""
    from nob.ipc._cli.names import library_message, library_text, safe_text

    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        _guard_standard_descriptors()
        _catch_terminating_signals()
        from nob.ipc._cli.parser import parse

        args = parse(argv)
        return int(args.func(args))
    except UsageError as e:
        complain(str(e))
        return Exit.USAGE
    except Failure as e:
        complain(str(e))
        return e.code
    except Interrupted as e:
        return 128 + e.signo
    except KeyboardInterrupt:
        import signal

        return 128 + int(signal.SIGINT)
    except BrokenPipeError:  # `nob-sem list | head`: stop quietly, like other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except ValueError as e:  # the library refuses a name or a value
        complain(library_message(e))
        return Exit.USAGE
    except OSError as e:
        where = f"{safe_text(str(e.filename))}: " if e.filename else ""
        complain(f"{where}{library_text(e.strerror or str(e))}")
        return code_of(e)
