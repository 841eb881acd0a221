"""nob-sem: inspect, create, post, wait on and clean up POSIX named semaphores.

The same tool runs as ``python -m nob.ipc``. Exit codes: 0 success, 1 a
failure the tool reports (absent, exists, timeout, system error), 2 a bad
name or argument, 126/127 a command ``run`` cannot start, 128+N a signal N.
Heavy modules are imported only by the commands that need them, so the tool
starts fast.
"""

import argparse
import os
import sys
from typing import Any, Callable, Dict, List, NoReturn, Optional, Set, Tuple, Union

PROG = "nob-sem"
SHM_DIR = "/dev/shm"
SEM_PREFIX = "sem."
SI_KERNEL = 0x80  # si_code of a signal the kernel sent, e.g. Ctrl+C at a terminal


class UsageError(Exception):
    """A bad name or argument: one line on stderr, exit 2."""


class Failure(Exception):
    """A failure the tool reports itself: one line on stderr, exit 1."""


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error message (exit 2) instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# ---------------------------------------------------------------- arguments


def _count(min_value: int) -> Callable[[str], int]:
    """An argparse type: an int >= min_value."""

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < min_value:
            raise argparse.ArgumentTypeError(f"must be >= {min_value}: {text!r}")
        return value

    return parse


def _seconds(text: str) -> float:
    """An argparse type: seconds, a real number >= 0 ('inf' waits forever)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value != value or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0: {text!r}")
    return value


def _mode(text: str) -> int:
    """An argparse type: permission bits in octal, '0600', '600' or '0o600'."""
    digits = text[2:] if text.lower().startswith("0o") else text
    try:
        value = int(digits, 8)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an octal mode: {text!r}") from None
    if not 0 <= value <= 0o777:
        raise argparse.ArgumentTypeError(f"mode must be within 0000..0777: {text!r}")
    return value


def _normalize(name: str) -> str:
    """The name with one leading '/', or UsageError when nob refuses it."""
    from nob.ipc import NamedSemaphore

    normalize = getattr(sys.modules["nob.ipc"], "normalize_name", None)
    try:
        if normalize is not None:
            return str(normalize(name))
        NamedSemaphore.exists(name)  # validates before any system call
        return "/" + name.lstrip("/")
    except ValueError as e:
        raise UsageError(str(e)) from None


# ---------------------------------------------------------------- inspection


def _shm_path(name: str) -> str:
    """Where glibc keeps the semaphore '/x' on Linux: /dev/shm/sem.x."""
    return os.path.join(SHM_DIR, SEM_PREFIX + name.lstrip("/"))


def _owner(uid: int) -> str:
    """The user name of uid, or the number when it has none."""
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def _read_value(name: str) -> Any:
    """(value, None) for a working semaphore, or (None, why it cannot be read)."""
    from nob.ipc import Flags, NamedSemaphore

    try:
        sem = NamedSemaphore(name, handle_existence=Flags.RAISE_IF_NOT_EXISTS, unlink_on_delete=False)
    except ValueError:
        return None, "name not usable by nob"
    except FileNotFoundError:
        raise
    except OSError as e:
        import errno

        if e.errno == errno.EINVAL:
            return None, "not a semaphore: truncated or foreign file"
        return None, e.strerror or str(e)
    try:
        return sem.value, None
    finally:
        sem.close()


def _describe(name: str, st: Optional[os.stat_result]) -> Dict[str, object]:
    """One semaphore as a dict: name, value, mode, owner, uid, size, path, error."""
    import stat

    entry: Dict[str, object] = {"name": name, "value": None}
    if st is not None:
        entry.update(
            mode=f"{stat.S_IMODE(st.st_mode):04o}",
            owner=_owner(st.st_uid),
            uid=st.st_uid,
            size=st.st_size,
            path=_shm_path(name),
        )
    if st is not None and not stat.S_ISREG(st.st_mode):
        entry["error"] = "not a regular file"
    else:
        entry["value"], entry["error"] = _read_value(name)
    return entry


def _linux_shm() -> bool:
    """True when semaphores live in /dev/shm/sem.* (Linux with glibc)."""
    return sys.platform.startswith("linux") and os.path.isdir(SHM_DIR)


def _list_entries() -> List[Dict[str, object]]:
    """Every sem.* file in /dev/shm, sorted by name; vanished ones are skipped."""
    if not _linux_shm():
        raise Failure(f"listing needs {SHM_DIR} (Linux); use 'info NAME' here")
    entries = []
    for file in sorted(os.listdir(SHM_DIR)):
        if not file.startswith(SEM_PREFIX):
            continue
        name = "/" + file[len(SEM_PREFIX):]
        try:
            entries.append(_describe(name, os.lstat(os.path.join(SHM_DIR, file))))
        except FileNotFoundError:
            continue  # unlinked while we looked
    return entries


def _info_entry(name: str) -> Dict[str, object]:
    """The entry of one semaphore; Failure when it does not exist."""
    st = None
    if _linux_shm():
        try:
            st = os.lstat(_shm_path(name))
        except FileNotFoundError:
            raise Failure(f"{name}: no such semaphore") from None
    try:
        return _describe(name, st)
    except FileNotFoundError:
        raise Failure(f"{name}: no such semaphore") from None


def _table(entries: List[Dict[str, object]]) -> str:
    """Entries as an aligned text table; unreadable ones show '-' and why."""
    rows = [("NAME", "VALUE", "MODE", "OWNER", "SIZE", "")]
    for e in entries:
        value = "-" if e["value"] is None else str(e["value"])
        note = f"({e['error']})" if e.get("error") else ""
        rows.append((str(e["name"]), value, str(e.get("mode", "?")), str(e.get("owner", "?")),
                     str(e.get("size", "?")), note))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for r in rows:
        cells = [r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].ljust(widths[2]),
                 r[3].ljust(widths[3]), r[4].rjust(widths[4]), r[5]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _print_json(data: object) -> None:
    import json

    print(json.dumps(data, indent=2))


def cmd_list(args: argparse.Namespace) -> int:
    """nob-sem list: every semaphore in /dev/shm."""
    entries = _list_entries()
    if args.json:
        _print_json(entries)
    elif entries:
        print(_table(entries))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """nob-sem info NAME: one semaphore; exit 1 when absent or unreadable."""
    entry = _info_entry(_normalize(args.name))
    if args.json:
        _print_json(entry)
    else:
        for key in ("name", "value", "mode", "owner", "uid", "size", "path", "error"):
            if entry.get(key) is not None or key == "value":
                shown = "-" if entry.get(key) is None else entry[key]
                print(f"{key + ':':7}{shown}")
    return 0 if entry["error"] is None else 1


# ---------------------------------------------------------------- changes


def _open(name: str) -> Any:
    """Opens an existing semaphore (never unlinks it on close)."""
    from nob.ipc import Flags, NamedSemaphore

    try:
        return NamedSemaphore(name, handle_existence=Flags.RAISE_IF_NOT_EXISTS, unlink_on_delete=False)
    except FileNotFoundError:
        raise Failure(f"{name}: no such semaphore") from None


def cmd_create(args: argparse.Namespace) -> int:
    """nob-sem create NAME: creates a semaphore that outlives the tool."""
    from nob.ipc import Flags, NamedSemaphore

    name = _normalize(args.name)
    policy = Flags.LINK_OR_CREATE if args.exist_ok else Flags.RAISE_IF_EXISTS
    try:
        sem = NamedSemaphore(name, args.value, policy, unlink_on_delete=False, mode=args.mode)
    except FileExistsError:
        raise Failure(f"{name}: already exists (--exist-ok accepts that)") from None
    if sem.linked_existing_semaphore:
        print(f"{name} exists, left as it is")
    else:
        print(f"created {name} value={args.value} mode={args.mode:04o}")
    sem.close()
    return 0


def cmd_post(args: argparse.Namespace) -> int:
    """nob-sem post NAME [-n N]: adds N units."""
    sem = _open(_normalize(args.name))
    try:
        sem.release(args.n)
    except OverflowError:
        raise Failure(f"{sem.name}: posting {args.n} would pass the maximum; value left at {sem.value}") from None
    finally:
        sem.close()
    return 0


def _handled_signals() -> Set[int]:
    """SIGINT, SIGTERM and SIGHUP, minus those this process was told to ignore."""
    import signal

    wanted = [signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)]
    return {int(s) for s in wanted if s is not None and signal.getsignal(s) is not signal.SIG_IGN}


def _acquire_or_signal(sem: Any, timeout: Optional[float], signals: Set[int]) -> Union[bool, int]:
    """Acquires with `signals` blocked: True, False on timeout, or the signal that came first.

    Blocking the signals means none can strike between taking a unit and
    recording it; they are polled every 0.1 s while the wait goes on.
    """
    import math
    import signal
    import time

    deadline = None if timeout is None or math.isinf(timeout) else time.monotonic() + timeout
    while True:
        pending = signal.sigpending() & signals
        if pending:
            return int(min(pending))
        left = 0.1 if deadline is None else min(0.1, max(0.0, deadline - time.monotonic()))
        if sem.acquire(timeout=left):
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False


def _block(signals: Set[int]) -> Set[int]:
    """Blocks the signals; returns the mask as it was before."""
    import signal

    return {int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, signals)}


def cmd_wait(args: argparse.Namespace) -> int:
    """nob-sem wait NAME: takes one unit; 1 on timeout, 128+N on signal N."""
    name = _normalize(args.name)
    signals = _handled_signals()
    _block(signals)
    sem = _open(name)
    try:
        got = _acquire_or_signal(sem, args.timeout, signals)
    finally:
        sem.close()
    if got is True:
        return 0
    if got is False:
        print(f"{PROG}: {name}: timed out after {args.timeout:g} s", file=sys.stderr)
        return 1
    return 128 + int(got)


def cmd_unlink(args: argparse.Namespace) -> int:
    """nob-sem unlink NAME...: removes every name; 1 when one did not exist."""
    from nob.ipc import NamedSemaphore

    names = [_normalize(n) for n in args.names]  # all checked before any removal
    status = 0
    for name in names:
        try:
            removed = NamedSemaphore.remove(name)
        except OSError as e:
            print(f"{PROG}: {name}: {e.strerror or e}", file=sys.stderr)
            status = 1
            continue
        if not removed:
            print(f"{PROG}: {name}: no such semaphore", file=sys.stderr)
            status = 1
    return status


# ---------------------------------------------------------------- run


def _spawn(cmd: List[str], sigmask: Set[int]) -> int:
    """Starts cmd with the original signal mask; raises Failure-like exits when it cannot."""
    sys.stdout.flush()
    sys.stderr.flush()
    return os.posix_spawnp(cmd[0], cmd, os.environ, setsigmask=sigmask)


def _next_signal(watch: Set[int]) -> Tuple[Optional[int], Optional[int]]:
    """(signal number, si_code) of a pending signal in `watch`, taken off the
    queue, or (None, None) after a short wait. si_code is None where the
    platform cannot tell (no sigtimedwait, e.g. macOS)."""
    import signal

    if hasattr(signal, "sigtimedwait"):
        info = signal.sigtimedwait(watch, 0.5)
        return (None, None) if info is None else (info.si_signo, info.si_code)
    pending = signal.sigpending() & watch
    if pending:
        return int(signal.sigwait({min(pending)})), None
    import time

    time.sleep(0.05)
    return None, None


def _wait_forwarding(pid: int, signals: Set[int]) -> int:
    """Waits for the child, forwarding the signals sent to us; returns its exit code."""
    import signal

    watch = set(signals) | {int(signal.SIGCHLD)}
    while True:
        signo, code = _next_signal(watch)
        # Ctrl+C at the terminal (si_code SI_KERNEL) already reached the child,
        # which shares our process group: forward only what was sent to us alone.
        if signo in signals and code != SI_KERNEL:
            try:
                os.kill(pid, signo)
            except ProcessLookupError:
                pass
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            exit_code = os.waitstatus_to_exitcode(status)
            return 128 - exit_code if exit_code < 0 else exit_code


def cmd_run(args: argparse.Namespace) -> int:
    """nob-sem run NAME -- CMD: runs CMD while holding one of K slots."""
    from nob.ipc import Flags, NamedSemaphore

    name = _normalize(args.name)
    if not args.cmd:
        raise UsageError("run needs a command after '--'")
    import signal

    signals = _handled_signals()
    old_mask = _block(signals | {int(signal.SIGCHLD)})
    sem = NamedSemaphore(name, args.slots, Flags.LINK_OR_CREATE, unlink_on_delete=False, mode=args.mode)
    try:
        got = _acquire_or_signal(sem, args.timeout, signals)
        if got is False:
            print(f"{PROG}: {name}: no slot free after {args.timeout:g} s; not running {args.cmd[0]}",
                  file=sys.stderr)
            return 1
        if got is not True:
            return 128 + int(got)
        try:
            try:
                pid = _spawn(args.cmd, old_mask)
            except OSError as e:
                print(f"{PROG}: {args.cmd[0]}: {e.strerror or e}", file=sys.stderr)
                return 127 if isinstance(e, FileNotFoundError) else 126
            return _wait_forwarding(pid, signals)
        finally:
            sem.release()
    finally:
        sem.close()


# ---------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    """nob-sem demo: several processes share one named semaphore."""
    from nob.ipc._demo import run_demo

    name = _normalize(args.name) if args.name else None
    return run_demo(workers=args.workers, slots=args.slots, rounds=args.rounds, hold=args.hold, name=name)


# ---------------------------------------------------------------- parser


def _version() -> str:
    try:
        from nob import __version__
    except ImportError:  # pragma: no cover - a broken install
        __version__ = "unknown"
    return f"{PROG} (nob.py) {__version__}"


def build_parser(run_options_after_name: bool = False) -> argparse.ArgumentParser:
    """The nob-sem argument parser, one subcommand per action.

    run_options_after_name: `run` options may follow NAME (the caller cut argv at '--').
    """
    p = _Parser(prog=PROG, description="Inspect, create, post, wait on and clean up POSIX named semaphores.",
                epilog="Names: 1-251 of [A-Za-z0-9._-], with or without the leading '/'. "
                       "Exit codes: 0 ok, 1 failure or timeout, 2 bad name or argument, 128+N signal N.")
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, func: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text, description=help_text)
        c.set_defaults(func=func)
        return c

    c = command("list", cmd_list, "List every named semaphore (Linux: /dev/shm/sem.*).")
    c.add_argument("--json", action="store_true", help="print a JSON list of objects")

    c = command("info", cmd_info, "Show one semaphore; exit 1 if it does not exist.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--json", action="store_true", help="print a JSON object")

    c = command("create", cmd_create, "Create a semaphore that stays after the tool exits; exit 1 if it exists.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--value", type=_count(0), default=1, metavar="N", help="initial value (default 1)")
    c.add_argument("--mode", type=_mode, default=0o600, metavar="MODE", help="octal permissions (default 0600)")
    c.add_argument("--exist-ok", action="store_true", help="an existing semaphore is fine; leave it as it is")

    c = command("post", cmd_post, "Add N units (sem_post N times).")
    c.add_argument("name", metavar="NAME")
    c.add_argument("-n", type=_count(1), default=1, metavar="N", help="how many units (default 1)")

    c = command("wait", cmd_wait, "Take one unit: exit 0 when taken, 1 on timeout, 130 on Ctrl+C.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                   help="give up after this long (0 tries once; default: wait forever)")

    c = command("unlink", cmd_unlink, "Remove names; exit 1 if one of them did not exist.")
    c.add_argument("names", metavar="NAME", nargs="+")

    c = command("run", cmd_run, "Run CMD while holding one of K slots of NAME (like GNU parallel's sem); "
                                "exit with CMD's status, 128+N if it died of signal N.")
    c.usage = f"{PROG} run [-h] [--slots K] [--timeout SECONDS] [--mode MODE] NAME -- CMD [ARG...]"
    c.epilog = ("NAME is created with K slots if it does not exist, and stays afterwards (nob-sem unlink NAME). "
                "SIGINT, SIGTERM and SIGHUP sent to nob-sem are forwarded to CMD; the slot is given back "
                "however CMD ends.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--slots", type=_count(1), default=1, metavar="K",
                   help="slots when this call creates NAME (default 1); ignored if NAME exists")
    c.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                   help="exit 1 without running CMD if no slot frees up in time")
    c.add_argument("--mode", type=_mode, default=0o600, metavar="MODE",
                   help="octal permissions when this call creates NAME (default 0600)")
    c.add_argument("cmd", metavar="-- CMD [ARG...]", nargs="*" if run_options_after_name else argparse.REMAINDER)

    c = command("demo", cmd_demo, "Show several processes sharing one named semaphore as a pool of slots.")
    c.add_argument("--workers", type=_count(1), default=5, metavar="N", help="worker processes (default 5)")
    c.add_argument("--slots", type=_count(1), default=2, metavar="K", help="slots in the pool (default 2)")
    c.add_argument("--rounds", type=_count(1), default=2, metavar="R", help="slots each worker takes (default 2)")
    c.add_argument("--hold", type=_seconds, default=0.25, metavar="SECONDS", help="how long a slot is held")
    c.add_argument("--name", default=None, metavar="NAME", help="semaphore name (default nob-demo-PID)")
    return p


def _parse(argv: List[str]) -> argparse.Namespace:
    """Parses argv. For `run`, the command is everything after the first '--',
    or, without '--', everything from the first word after NAME on."""
    positionals = [a for a in argv if not a.startswith("-")]
    if positionals[:1] != ["run"]:
        return build_parser().parse_args(argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    head, tail = argv[:cut], argv[cut + 1:]
    args = build_parser().parse_args(head)  # argparse never sees the '--'
    if args.cmd and args.cmd[0].startswith("-"):  # options after NAME
        if cut == len(argv):
            raise UsageError(f"run: put '--' before the command (options after NAME: {args.cmd[0]})")
        args = build_parser(run_options_after_name=True).parse_args(head)
    if args.cmd and cut < len(argv):
        args.cmd = args.cmd + argv[cut:]  # `run NAME CMD ARG -- X`: that '--' is CMD's
    elif not args.cmd:
        args.cmd = tail
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Runs nob-sem with argv (default sys.argv[1:]); returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = _parse(argv)
        return int(args.func(args))
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # nob refuses a name or a value
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except Failure as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `nob-sem list | head`: stop quietly, like other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        print(f"{PROG}: {where}{e.strerror or e}", file=sys.stderr)
        return 1
