"""nob-sem: inspect, create, post, wait on and clean up POSIX named semaphores.

The same tool runs as ``python -m nob.ipc``. Exit codes: 0 success, 1 a
failure the tool reports (absent, exists, timeout, busy, system error), 2 a
bad name or argument, 126/127 a command ``run`` cannot start, 128+N a signal
N. Heavy modules are imported only by the commands that need them, so the
tool starts fast.

What `list` and `info` print comes from files that any local user can name
and fill: names are shown with every byte outside printable ASCII escaped,
files are read with pread through a descriptor opened O_NONBLOCK|O_NOFOLLOW
(never mapped, never followed, never waited on).
"""

import argparse
import os
import sys
from typing import Any, Callable, Dict, List, NoReturn, Optional, Set, Tuple, Union

PROG = "nob-sem"
SHM_DIR = "/dev/shm"
PLAIN_PREFIX = b"sem."  # glibc's sem_open: /dev/shm/sem.NAME
ROBUST_PREFIX = b"nob."  # nob's robust semaphores: /dev/shm/nob.NAME
SI_KERNEL = 0x80  # si_code of a signal the kernel sent, e.g. Ctrl+C at a terminal
SEM_T_SIZE = 32  # glibc's sem_t on 64-bit platforms
SEM_PRIVATE_SHARED = 128  # glibc's `private` field of a process-shared sem_t
SEM_VALUE_MAX = 0x7FFFFFFF
VALUE_OPTIONS = ("--slots", "--timeout", "--mode")  # `run` options that take the next word


class UsageError(Exception):
    """A bad name or argument: one line on stderr, exit 2."""


class Failure(Exception):
    """A failure the tool reports itself: one line on stderr, exit 1."""


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error message (exit 2) instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        # argparse quotes refused words as they are ("unrecognized arguments: ..."): escaped here
        self.exit(2, f"{self.prog}: error: {_safe_text(message)} (see '{self.prog} --help')\n")


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


# ---------------------------------------------------------------- spelling of file names


def escape(raw: bytes) -> str:
    """The printable spelling of a file name's bytes: every byte outside '!'..'~',
    and the backslash, becomes \\xNN. Names nob accepts are spelled as they are;
    no spelling holds a space, a control character or a non-ASCII character."""
    return "".join(chr(b) if 0x21 <= b <= 0x7E and b != 0x5C else f"\\x{b:02x}" for b in raw)


def unescape(spelling: str) -> bytes:
    """The bytes of a name spelled as `list` shows it (one leading '/' optional):
    the reverse of escape(). UsageError for a spelling no file in /dev/shm can have."""
    text = spelling[1:] if spelling.startswith("/") else spelling
    out = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "\\":
            digits = text[i + 2:i + 4]
            if text[i + 1:i + 2] != "x" or len(digits) != 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise UsageError(f"--raw name {_safe_text(spelling)!r}: a backslash must start \\xNN")
            out.append(int(digits, 16))
            i += 4
        else:
            out += os.fsencode(text[i])
            i += 1
    raw = bytes(out)
    if not raw or b"/" in raw or b"\0" in raw or len(raw) > 255 - len(PLAIN_PREFIX):
        raise UsageError(f"--raw name {_safe_text(spelling)!r}: not a file name in {SHM_DIR}"
                         " (empty, too long, or holds '/' or NUL)")
    return raw


def _refuse_option_like(names: List[str], argv: List[str]) -> None:
    """UsageError for a NAME that starts with '-' unless it came after '--'."""
    after = set(argv[argv.index("--") + 1:]) if "--" in argv else set()
    for name in names:
        if name.startswith("-") and name not in after:
            raise UsageError(f"{escape(os.fsencode(name))} looks like an option; write a NAME that starts "
                             f"with '-' with its leading '/' (/{escape(os.fsencode(name))}) or after '--'")


def _safe_text(text: str) -> str:
    """Text for a terminal: every character outside printable ASCII becomes \\xNN (its bytes)."""
    return "".join(c if " " <= c <= "~" else escape(os.fsencode(c)) for c in text)


# ---------------------------------------------------------------- inspection


def _owner(uid: int) -> str:
    """The user name of uid (escaped), or the number when it has none."""
    try:
        import pwd

        return escape(os.fsencode(pwd.getpwuid(uid).pw_name))
    except (ImportError, KeyError):
        return str(uid)


def _linux_shm() -> bool:
    """True when semaphores live in /dev/shm (Linux)."""
    return sys.platform.startswith("linux") and os.path.isdir(SHM_DIR)


def _direct_layout() -> bool:
    """True where nob-sem decodes a sem_t itself from its bytes: Linux, 64-bit glibc."""
    import struct

    if not sys.platform.startswith("linux") or struct.calcsize("P") != 8:
        return False
    try:
        return str(os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError):
        return False


def _valid_name(raw: bytes) -> Optional[str]:
    """'/' + the name when nob accepts it, else None."""
    try:
        return _normalize(raw.decode("ascii"))
    except (UnicodeDecodeError, UsageError):
        return None


def _robust_class() -> Any:
    """nob.ipc.RobustSemaphore, or None in a build without it."""
    try:
        from nob.ipc import RobustSemaphore
    except ImportError:
        return None
    return RobustSemaphore


class _ShmDir:
    """A descriptor of /dev/shm, so every file is reached by its name in that directory only."""

    def __enter__(self) -> int:
        self.fd = os.open(SHM_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        return self.fd

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)


def _why(e: OSError, meanings: Dict[int, str]) -> str:
    """What an OSError means for a row: the meaning of a known errno, else its text."""
    return meanings.get(e.errno or 0) or _safe_text(e.strerror or str(e))


def _file_lock_taken(fd: int) -> bool:
    """True when another open file description holds byte 0 of a robust semaphore's file:
    its file-wide lock (docs/robust.md), which RobustSemaphore's open and close wait for.
    Any user who can open the file for writing can keep it."""
    from nob.ipc._cli_native import file_lock_taken

    return bool(file_lock_taken(fd))


def _file_lock_free(fd: int, seconds: Optional[float]) -> bool:
    """Waits up to `seconds` (None: without end) for the file lock to be free; False if it
    never was. Checked every 20 ms from Python, so signals end the wait."""
    import time

    deadline = None if seconds is None else time.monotonic() + seconds
    while _file_lock_taken(fd):
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def _leased_files() -> Set[Tuple[int, int]]:
    """(device, inode) of every file under a lease (F_SETLEASE), read or write, from
    /proc/locks: opening such a file for writing (sem_open, RobustSemaphore) waits for the
    lease holder up to the kernel's lease-break-time (45 s by default). Asking so starts no
    lease break, as an open would."""
    found: Set[Tuple[int, int]] = set()
    try:
        with open("/proc/locks") as f:
            lines = f.read().splitlines()
    except OSError:
        return found
    for line in lines:
        words = line.split()
        if "->" in words[:2]:  # a request waiting for a lock, not a lock
            continue
        if len(words) < 6 or words[1] not in ("LEASE", "DELEG"):
            continue
        where = words[5].split(":")
        if len(where) == 3:
            try:
                found.add((os.makedev(int(where[0], 16), int(where[1], 16)), int(where[2])))
            except ValueError:
                pass
    return found


LOCK_SECOND_LOOK = 0.05  # seconds between two looks at a robust file's lock (a user holds it for microseconds)


def _open_to_read(dir_fd: int, file: bytes, st: os.stat_result) -> Tuple[Optional[int], Optional[str]]:
    """(a descriptor of /dev/shm/FILE, None) or (None, why it cannot be read).

    Never follows a symlink, never waits: O_NONBLOCK makes an open that would break
    another process's write lease fail at once (EWOULDBLOCK), and O_RDONLY breaks no
    read lease. The descriptor is checked to be the regular file `st` describes.
    FileNotFoundError when the file went away.
    """
    import errno
    import stat

    if not stat.S_ISREG(st.st_mode):
        return None, "not a regular file"
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    try:
        fd = os.open(file, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        raise
    except BlockingIOError:
        return None, LEASED
    except OSError as e:
        return None, _why(e, {errno.ELOOP: "not a regular file"})
    now = os.fstat(fd)
    if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
        os.close(fd)
        return None, "replaced while being read"
    return fd, None


LEASED = "busy: another process holds a lease on the file"
LOCKED = "busy: another process keeps the file locked"


def _plain_value(head: bytes) -> Tuple[Optional[int], Optional[str]]:
    """The value of a 64-bit glibc sem_t from its bytes: {u64 data; int private; int pad},
    the value in the low 32 bits of data, private == 128 in a process-shared one."""
    import struct

    if len(head) < SEM_T_SIZE:
        return None, "not a semaphore: truncated or foreign file"
    data, private = struct.unpack_from("=Qi", head)
    value = data & 0xFFFFFFFF
    if private != SEM_PRIVATE_SHARED or value > SEM_VALUE_MAX:
        return None, "not a semaphore: truncated or foreign file"
    return value, None


def _plain_value_by_opening(raw: bytes) -> Tuple[Optional[int], Optional[str]]:
    """The value read through NamedSemaphore: where nob-sem does not know the sem_t layout."""
    import errno

    from nob.ipc import Flags, NamedSemaphore

    name = _valid_name(raw)
    if name is None:
        return None, "name not usable by nob"
    try:
        sem = NamedSemaphore(name, handle_existence=Flags.RAISE_IF_NOT_EXISTS, unlink_on_delete=False)
    except FileNotFoundError:
        raise
    except OSError as e:
        return None, _why(e, {errno.EINVAL: "not a semaphore: truncated or foreign file"})
    try:
        return sem.value, None
    finally:
        sem.close()


def _stale_text(uid: int) -> str:
    """The error of a robust file whose every user has ended: it counts as absent."""
    mine = os.geteuid() in (0, uid)
    return (f"stale: every user has ended, owner uid {uid}; "
            + ("the next open removes it" if mine else "only that user (or root) can remove it"))


def _robust_fields(fd: int, st: os.stat_result) -> Tuple[Dict[str, object], Optional[str]]:
    """value, capacity and holders of a robust semaphore, or why they are not shown, read
    through the library's own code without mapping, locking or waiting (_cli_native)."""
    import errno

    from nob.ipc._cli_native import inspect_robust

    view = inspect_robust(fd)
    if view["errno"] == errno.EINVAL:
        reason = str(view["error"] or "").replace("open (", "").rstrip(")")
        return {}, f"not a robust semaphore: {reason}"
    if view["errno"] == errno.EAGAIN:
        return {}, "changed while being read"
    if view["errno"]:
        return {}, os.strerror(view["errno"])
    if view["stale"]:
        return {"capacity": view["capacity"]}, _stale_text(st.st_uid)
    holders = [{"pid": pid, "units": units} for pid, units in view["holders"]]
    fields: Dict[str, object] = {"value": view["value"], "capacity": view["capacity"], "holders": holders}
    if view["locked"]:
        fields["locked"] = True  # looked at again after LOCK_SECOND_LOOK (_Reading.finish)
    return fields, None


KINDS = {"plain": PLAIN_PREFIX, "robust": ROBUST_PREFIX}


class _Reading:
    """One `list` or `info`: reads files by name inside /dev/shm, asks /proc/locks once for
    leases, and looks a second time, once for all, at robust files whose lock was taken:
    held at both looks, LOCK_SECOND_LOOK apart, is busy (owners hold it for microseconds).
    Nothing waits on another process: a list of any number of files costs at most one pause."""

    def __init__(self) -> None:
        import time

        self.dir_fd = os.open(SHM_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self.leased = _leased_files()
        self.locked: List[Tuple[Dict[str, object], bytes, float]] = []
        self.clock = time.monotonic

    def describe(self, kind: str, raw: bytes) -> Dict[str, object]:
        """One semaphore file as a dict (the keys of --json). FileNotFoundError when absent."""
        import stat

        file = KINDS[kind] + raw
        entry: Dict[str, object] = {"name": "/" + escape(raw), "kind": kind, "value": None,
                                    "capacity": None, "holders": None}
        st = os.lstat(file, dir_fd=self.dir_fd)
        entry.update(mode=f"{stat.S_IMODE(st.st_mode):04o}", owner=_owner(st.st_uid), uid=st.st_uid,
                     size=st.st_size, path=f"{SHM_DIR}/{escape(file)}", error=None)
        if stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) in self.leased:
            entry["error"] = LEASED
            return entry
        fd, entry["error"] = _open_to_read(self.dir_fd, file, st)
        if fd is None:
            return entry
        try:
            if kind == "robust":
                fields, entry["error"] = _robust_fields(fd, st)
                if fields.pop("locked", False):
                    self.locked.append((entry, file, self.clock()))
                entry.update(fields)
            elif _direct_layout():
                entry["value"], entry["error"] = _plain_value(os.pread(fd, SEM_T_SIZE, 0))
            else:
                entry["value"], entry["error"] = _plain_value_by_opening(raw)
        finally:
            os.close(fd)
        return entry

    def finish(self) -> None:
        """The second look at the robust files whose lock was taken at the first."""
        import time

        if self.locked:
            time.sleep(max(0.0, self.locked[0][2] + LOCK_SECOND_LOOK - self.clock()))
        for entry, file, _ in self.locked:
            try:
                fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=self.dir_fd)
            except OSError:
                continue
            try:
                if _file_lock_taken(fd):
                    entry.update(value=None, holders=None, error=LOCKED)
            finally:
                os.close(fd)
        os.close(self.dir_fd)


def _list_entries() -> List[Dict[str, object]]:
    """Every sem.* and nob.* file in /dev/shm, sorted by name; vanished ones are skipped."""
    if not _linux_shm():
        raise Failure(f"listing needs {SHM_DIR} (Linux); use 'info NAME' here")
    entries = []
    reading = _Reading()
    for file in sorted(os.listdir(os.fsencode(SHM_DIR))):  # bytes: any name, UTF-8 or not
        for kind, prefix in KINDS.items():
            if file.startswith(prefix) and len(file) > len(prefix):
                try:
                    entries.append(reading.describe(kind, file[len(prefix):]))
                except FileNotFoundError:
                    pass  # removed while we looked
    reading.finish()
    return entries


def _info_entries(raw: bytes, kinds: List[str]) -> List[Dict[str, object]]:
    """The entries of the name, one per kind that exists, in the order of `kinds`."""
    if not _linux_shm():
        if "plain" not in kinds:
            return []
        entry: Dict[str, object] = {"name": "/" + escape(raw), "kind": "plain", "value": None,
                                    "capacity": None, "holders": None}
        try:
            entry["value"], entry["error"] = _plain_value_by_opening(raw)
        except FileNotFoundError:
            return []
        return [entry]
    found = []
    reading = _Reading()
    for kind in kinds:
        try:
            found.append(reading.describe(kind, raw))
        except FileNotFoundError:
            pass
    reading.finish()
    return found


def _name_bytes(args: argparse.Namespace, name: str) -> bytes:
    """The bytes of NAME: as list spells it with --raw, else a name nob accepts."""
    return unescape(name) if getattr(args, "raw", False) else _normalize(name)[1:].encode("ascii")


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def _table(entries: List[Dict[str, object]]) -> str:
    """Entries as an aligned text table; unreadable ones show '-' and why. Every cell is
    escaped: a name cannot move the cursor, change the terminal or start a new row."""
    rows = [("NAME", "KIND", "VALUE", "CAPACITY", "HOLDERS", "MODE", "OWNER", "SIZE", "")]
    for e in entries:
        holders = e.get("holders")
        rows.append((str(e["name"]), str(e["kind"]), _cell(e["value"]), _cell(e.get("capacity")),
                     "-" if holders is None else str(len(holders)),  # type: ignore[arg-type]
                     str(e.get("mode", "?")), str(e.get("owner", "?")), str(e.get("size", "?")),
                     f"({_safe_text(str(e['error']))})" if e.get("error") else ""))
    widths = [max(len(r[i]) for r in rows) for i in range(8)]
    right = {2, 3, 4, 7}
    lines = []
    for r in rows:
        cells = [r[i].rjust(widths[i]) if i in right else r[i].ljust(widths[i]) for i in range(8)]
        lines.append("  ".join(cells + [r[8]]).rstrip())
    return "\n".join(lines)


def _print_json(data: object) -> None:
    import json

    print(json.dumps(data, indent=2))  # ensure_ascii: control characters come out as \uNNNN


def cmd_list(args: argparse.Namespace) -> int:
    """nob-sem list: every semaphore in /dev/shm."""
    entries = _list_entries()
    if args.json:
        _print_json(entries)
    elif entries:
        print(_table(entries))
    return 0


def _holders_text(holders: List[Dict[str, int]]) -> str:
    return ", ".join(f"pid {h['pid']} ({h['units']} unit{'s' if h['units'] != 1 else ''})"
                     for h in holders) or "none"


def _kinds(args: argparse.Namespace) -> List[str]:
    """The kinds --plain / --robust allow, robust first."""
    if getattr(args, "plain", False):
        return ["plain"]
    if getattr(args, "robust", False):
        return ["robust"]
    return ["robust", "plain"]


def cmd_info(args: argparse.Namespace) -> int:
    """nob-sem info NAME: one semaphore; exit 1 when absent or unreadable."""
    raw = _name_bytes(args, args.name)
    entries = _info_entries(raw, _kinds(args))
    if not entries:
        raise Failure(f"/{escape(raw)}: no such semaphore")
    entry = entries[0]
    if args.json:
        _print_json(entry)
    else:
        for key in ("name", "kind", "value", "capacity", "holders", "mode", "owner", "uid", "size", "path",
                    "error"):
            shown = entry.get(key)
            if key == "holders" and shown is not None:
                shown = _holders_text(shown)  # type: ignore[arg-type]
            elif key == "error" and shown is not None:
                shown = _safe_text(str(shown))
            if shown is not None or key == "value":
                print(f"{key + ':':10}{_cell(shown)}")
        for other in entries[1:]:
            print(f"{'also:':10}a {other['kind']} semaphore of the same name (info --{other['kind']})")
    return 0 if entry["error"] is None else 1


def cmd_holders(args: argparse.Namespace) -> int:
    """nob-sem holders NAME: the live processes holding units of a robust semaphore."""
    raw = _name_bytes(args, args.name)
    shown = f"/{escape(raw)}"
    entries = _info_entries(raw, ["robust"])
    if not entries:
        if _info_entries(raw, ["plain"]):
            raise Failure(f"{shown} is a plain semaphore: its units have no owners")
        raise Failure(f"{shown}: no such robust semaphore")
    entry = entries[0]
    if entry["error"] is not None:
        raise Failure(f"{shown}: {_safe_text(str(entry['error']))}")
    holders: List[Dict[str, int]] = entry["holders"]  # type: ignore[assignment]
    if args.json:
        _print_json(holders)
    elif holders:
        print("PID UNITS")
        for h in holders:
            print(f"{h['pid']} {h['units']}")
    return 0


# ---------------------------------------------------------------- changes


def _open(name: str) -> Any:
    """Opens an existing plain semaphore (never unlinks it on close)."""
    from nob.ipc import Flags, NamedSemaphore

    try:
        return NamedSemaphore(name, handle_existence=Flags.RAISE_IF_NOT_EXISTS, unlink_on_delete=False)
    except FileNotFoundError:
        robust = _robust_class()
        if robust is not None and robust.exists(name):
            raise Failure(f"{name} is a robust semaphore: its units belong to processes, so post and wait "
                          "work only on plain ones (use run)") from None
        raise Failure(f"{name}: no such semaphore") from None


def cmd_create(args: argparse.Namespace) -> int:
    """nob-sem create NAME: creates a semaphore that outlives the tool."""
    from nob.ipc import Flags, NamedSemaphore

    name = _normalize(args.name)
    policy = Flags.LINK_OR_CREATE if args.exist_ok else Flags.RAISE_IF_EXISTS
    _ready_to_open(_file_of(PLAIN_PREFIX, name), None)  # a lease: waited for where signals act
    try:
        sem = _interruptible(lambda: NamedSemaphore(name, args.value, policy, unlink_on_delete=False,
                                                    mode=args.mode))
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
    name = _normalize(args.name)
    _ready_to_open(_file_of(PLAIN_PREFIX, name), None)  # a lease: waited for where signals act
    sem = _interruptible(lambda: _open(name))
    try:
        sem.release(args.n)
    except OverflowError:
        raise Failure(f"{sem.name}: posting {args.n} would pass the maximum; value left at {sem.value}") from None
    finally:
        sem.close()
    return 0


# Catchable signals whose default action ends a process. The fault signals (SIGSEGV,
# SIGBUS, ...) count too: sent by another process (kill -ABRT, systemd's watchdog) they
# are forwarded like the others, while a real fault of nob-sem itself is delivered by
# the kernel even when blocked, and kills it as before.
_TERMINATING = ("SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
                "SIGSTKFLT", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGIO", "SIGPOLL", "SIGPWR",
                "SIGLOST", "SIGEMT", "SIGABRT", "SIGTRAP", "SIGSYS", "SIGBUS", "SIGSEGV", "SIGFPE", "SIGILL")


def _handled_signals() -> Set[int]:
    """Every catchable terminating signal (real-time ones too), minus those this process
    was started with ignored (nohup): the command inherits those ignored. SIGPIPE and
    SIGXFSZ count as not ignored: Python itself ignores them at startup."""
    import signal

    numbers = {int(getattr(signal, n)) for n in _TERMINATING if hasattr(signal, n)}
    if hasattr(signal, "SIGRTMIN"):
        numbers |= set(range(int(signal.SIGRTMIN), int(signal.SIGRTMAX) + 1))
    python_ignores = {int(getattr(signal, n)) for n in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, n)}
    return {s for s in numbers if s in python_ignores or signal.getsignal(s) is not signal.SIG_IGN}


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
    import math
    import time

    name = _normalize(args.name)
    signals = _handled_signals()
    deadline = None if args.timeout is None or math.isinf(args.timeout) else time.monotonic() + args.timeout
    got: Union[bool, int] = False
    if _ready_to_open(_file_of(PLAIN_PREFIX, name), _seconds_left(deadline)):  # a lease: waited for here
        sem = _interruptible(lambda: _open(name))  # signals act as usual: nothing is taken yet
        _block(signals)
        try:
            got = _acquire_or_signal(sem, _seconds_left(deadline), signals)
        finally:
            sem.close()
    if got is True:
        return 0
    if got is False:
        print(f"{PROG}: {name}: timed out after {args.timeout:g} s", file=sys.stderr)
        return 1
    return 128 + int(got)


def _remove(raw: bytes) -> List[str]:
    """Removes the plain and the robust semaphore of that name; returns the kinds removed.

    A name nob accepts goes through the library (NamedSemaphore.remove,
    RobustSemaphore.remove); any other name (made by another library) is
    unlinked as /dev/shm/sem.NAME and /dev/shm/nob.NAME by its name in the
    directory: unlink never follows a symlink, and nothing else is touched.
    """
    name = _valid_name(raw)
    removed = []
    if name is None:
        if not _linux_shm():
            raise Failure(f"--raw needs {SHM_DIR} (Linux)")
        with _ShmDir() as dir_fd:
            for kind, prefix in KINDS.items():
                try:
                    os.unlink(prefix + raw, dir_fd=dir_fd)
                    removed.append(kind)
                except FileNotFoundError:
                    pass
        return removed
    from nob.ipc import NamedSemaphore

    if NamedSemaphore.remove(name):
        removed.append("plain")
    robust = _robust_class()
    if robust is not None and _robust_leased(raw):
        # RobustSemaphore.remove opens the file first, which would wait out the lease
        with _ShmDir() as dir_fd:
            try:
                os.unlink(ROBUST_PREFIX + raw, dir_fd=dir_fd)
                removed.append("robust")
            except FileNotFoundError:
                pass
    elif robust is not None and robust.remove(name):
        removed.append("robust")
    return removed


def _robust_leased(raw: bytes) -> bool:
    """True when another process holds a lease on /dev/shm/nob.RAW."""
    if not _linux_shm():
        return False
    try:
        fd = _open_robust_file(ROBUST_PREFIX + raw)
    except BlockingIOError:
        return True
    if fd is not None:
        os.close(fd)
    return False


def cmd_unlink(args: argparse.Namespace) -> int:
    """nob-sem unlink NAME...: removes every name; 1 when one did not exist."""
    names = [_name_bytes(args, n) for n in args.names]  # all checked before any removal
    status = 0
    for raw in names:
        shown = f"/{escape(raw)}"
        try:
            removed = _remove(raw)
        except OSError as e:
            print(f"{PROG}: {shown}: {_safe_text(e.strerror or str(e))}", file=sys.stderr)
            status = 1
            continue
        if not removed:
            print(f"{PROG}: {shown}: no such semaphore", file=sys.stderr)
            status = 1
    return status


# ---------------------------------------------------------------- run


def _pdeathsig() -> Optional[Callable[[], None]]:
    """A function that, run in the child before exec, has the kernel SIGKILL it when its
    parent dies (prctl PR_SET_PDEATHSIG, Linux): a command never outlives its slot."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import signal

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)


def _spawn(cmd: List[str], sigmask: Set[int], sigchld_ignored: bool) -> Any:
    """Starts cmd as subprocess does (restore_signals: SIGPIPE and SIGXFSZ by default),
    with the signal mask nob-sem was started with and every descriptor it inherited
    (SIGCHLD ignored again if nob-sem was started so: it set it to default to see CMD end)."""
    import signal
    import subprocess

    from nob.ipc._cli_native import reset_internal_signals

    parent = os.getpid()
    on_parent_death = _pdeathsig()

    def child_setup() -> None:
        if on_parent_death is not None:
            on_parent_death()
            if os.getppid() != parent:  # nob-sem died before prctl: do not run unaccounted
                os._exit(128 + int(signal.SIGKILL))
        reset_internal_signals()  # glibc's own 32 and 33, left ignored by a posix_spawn that started nob-sem
        if sigchld_ignored:
            signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_SETMASK, sigmask)

    sys.stdout.flush()
    sys.stderr.flush()
    return subprocess.Popen(cmd, close_fds=False, restore_signals=True, preexec_fn=child_setup)


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


def _wait_forwarding(proc: Any, signals: Set[int]) -> int:
    """Waits for the child, forwarding the signals sent to us; returns its exit code."""
    import signal

    watch = set(signals) | {int(signal.SIGCHLD)}
    while True:
        signo, code = _next_signal(watch)
        # Ctrl+C at the terminal (si_code SI_KERNEL) already reached the child,
        # which shares our process group: forward only what was sent to us alone.
        if signo in signals and code != SI_KERNEL:
            proc.send_signal(signo)  # does nothing once the child is reaped
        exit_code = proc.poll()
        if exit_code is not None:
            return 128 - exit_code if exit_code < 0 else int(exit_code)


def _open_robust_file(file: bytes) -> Optional[int]:
    """A descriptor of /dev/shm/FILE opened as RobustSemaphore opens it (read-write, else
    read-only), but never waiting: BlockingIOError while another process holds a lease
    on it (the open starts the lease break, which the holder must answer within the
    kernel's lease-break-time, 45 s by default). None when it cannot be opened at all."""
    flags = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    with _ShmDir() as dir_fd:
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


def _ready_to_open(file: bytes, seconds: Optional[float], lock: bool = False) -> bool:
    """False when another process keeps a lease on /dev/shm/FILE (with `lock`: or the file
    lock of a robust file) for `seconds` (None: waits as long as it takes), where sem_open
    or RobustSemaphore would wait in the kernel; True when free or there is no such file
    (the library then decides). The wait runs Python code, so signals end it."""
    import time

    if not _linux_shm():
        return True
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        try:
            fd = _open_robust_file(file)
            break
        except BlockingIOError:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
    if fd is None:
        return True
    try:
        return not lock or _file_lock_free(fd, _seconds_left(deadline))
    finally:
        os.close(fd)


def _file_of(prefix: bytes, name: str) -> bytes:
    """/dev/shm's file name for a normalized NAME."""
    return prefix + name[1:].encode("ascii")


def _interruptible(call: Callable[[], Any]) -> Any:
    """call() with Ctrl+C at its default action: RobustSemaphore's open and close may wait
    for the file lock in C, where Python's SIGINT handler would never run."""
    import signal

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:  # ignored: leave it so
        return call()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        return call()
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _seconds_left(deadline: Optional[float]) -> Optional[float]:
    import time

    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _run_semaphore(name: str, args: argparse.Namespace, deadline: Optional[float]) -> Any:
    """The semaphore `run` holds a slot of: robust by default (a slot comes back even when
    nob-sem is SIGKILLed); a plain one with --plain, or when only a plain one of that
    name exists (made by `nob-sem create`, `--plain` or a C program's sem_open).
    None when another process kept the robust file's lock until the deadline."""
    from nob.ipc import Flags, NamedSemaphore

    robust = _robust_class()
    if args.robust and robust is None:
        raise Failure("this build of nob has no robust semaphores; use --plain")
    use_plain = args.plain or robust is None or (
        not args.robust and NamedSemaphore.exists(name) and not robust.exists(name))
    mine_only = not args.any_owner
    try:
        if use_plain:
            if not _ready_to_open(_file_of(PLAIN_PREFIX, name), _seconds_left(deadline)):
                return None
            return _interruptible(lambda: NamedSemaphore(name, args.slots, Flags.LINK_OR_CREATE,
                                                         unlink_on_delete=False, mode=args.mode,
                                                         same_uid_only=mine_only))
        if not _ready_to_open(_file_of(ROBUST_PREFIX, name), _seconds_left(deadline), lock=True):
            return None
        return _interruptible(lambda: robust(name, args.slots, Flags.LINK_OR_CREATE, mode=args.mode,
                                             same_uid_only=mine_only))
    except PermissionError as e:
        file = _file_of(PLAIN_PREFIX if use_plain else ROBUST_PREFIX, name)
        try:
            uid: object = os.stat(os.path.join(os.fsencode(SHM_DIR), file)).st_uid
        except OSError:
            uid = "?"
        if mine_only and uid not in ("?", os.geteuid()):
            raise Failure(f"{name}: the {'plain' if use_plain else 'robust'} semaphore of that name belongs "
                          f"to uid {uid}, another user; --any-owner shares its slots") from None
        raise e


class _LentSlot:
    """A robust slot lent to the whole job: CMD inherits a duplicate of the descriptor whose
    open file description keeps nob-sem's units alive (RobustSemaphore._liveness_fd), and
    the write end of a pipe. Every process of the job (CMD, its children, a daemon it
    starts) inherits both, so the slot stays held while any of them lives, even after
    nob-sem is SIGKILLed; when CMD ends, EOF on the pipe says whether any is left."""

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
        """True while some process of the job still holds the pipe's write end."""
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


def _hold_and_run(sem: Any, args: argparse.Namespace, deadline: Optional[float], signals: Set[int],
                  old_mask: Set[int], sigchld_ignored: bool) -> int:
    """Takes a slot, runs CMD, gives the slot back; the exit status of `run`. A robust slot
    that some process of the job still holds when CMD ends stays theirs: nob-sem then
    exits with CMD's status at once, without giving it back or closing (_exit_keeping_slot)."""
    got = _acquire_or_signal(sem, _seconds_left(deadline), signals)
    if got is False:
        return _no_slot(sem.name, args)
    if got is not True:
        return 128 + int(got)
    lent = _LentSlot(sem) if hasattr(sem, "_liveness_fd") else None
    try:
        try:
            proc = _spawn(args.cmd, old_mask, sigchld_ignored)
        except OSError as e:
            print(f"{PROG}: {_safe_text(args.cmd[0])}: {e.strerror or e}", file=sys.stderr)
            return 127 if isinstance(e, FileNotFoundError) else 126
        finally:
            if lent is not None:
                lent.started()
        status = _wait_forwarding(proc, signals)
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
    print(f"{PROG}: {name}: no slot free after {args.timeout:g} s; not running "
          f"{_safe_text(args.cmd[0])}", file=sys.stderr)
    return 1


def _close_run_semaphore(sem: Any, status: int, old_mask: Set[int]) -> None:
    """Closes the semaphore after the slot was given back. A robust close waits for the file
    lock: with the signal mask nob-sem started with and Ctrl+C at its default (any signal
    ends a stalled close), and not at all when another process has kept the lock for 2 s:
    then nob-sem exits at once with `status`; its end drops its locks as a SIGKILL would,
    and the next opener of an unused name removes it."""
    import signal

    robust = _robust_class()
    if robust is None or not isinstance(sem, robust):
        sem.close()
        return
    signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    if not _ready_to_open(_file_of(ROBUST_PREFIX, sem.name), 2.0, lock=True):
        _exit_keeping_slot(status)
    _interruptible(sem.close)


def cmd_run(args: argparse.Namespace) -> int:
    """nob-sem run NAME -- CMD: runs CMD while holding one of K slots."""
    name = _normalize(args.name)
    if not args.cmd:
        raise UsageError("run needs a command after '--'")
    import math
    import signal
    import time

    signals = _handled_signals()
    sigchld_ignored = signal.getsignal(signal.SIGCHLD) is signal.SIG_IGN
    if sigchld_ignored:  # the kernel would reap CMD itself, and its status would be lost
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    deadline = None if args.timeout is None or math.isinf(args.timeout) else time.monotonic() + args.timeout
    sem = _run_semaphore(name, args, deadline)  # signals act as usual while opening: nothing is held yet
    if sem is None:
        return _no_slot(name, args)
    old_mask = _block(signals | {int(signal.SIGCHLD)})
    try:
        status = _hold_and_run(sem, args, deadline, signals, old_mask, sigchld_ignored)
    except BaseException:
        sem.close()
        raise
    _close_run_semaphore(sem, status, old_mask)
    return status


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


def build_parser() -> argparse.ArgumentParser:
    """The nob-sem argument parser, one subcommand per action (`run`'s command is cut off by _parse)."""
    p = _Parser(prog=PROG, allow_abbrev=False,
                description="Inspect, create, post, wait on and clean up POSIX named semaphores.",
                epilog="Names: 1-251 of [A-Za-z0-9._-], with or without the leading '/'; a name that starts "
                       "with '-' is written with its '/' (/-x) or after '--'. Exit codes: 0 ok, 1 failure "
                       "or timeout, 2 bad name or argument, 128+N signal N.")
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, func: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text, description=help_text, allow_abbrev=False)
        c.set_defaults(func=func)
        return c

    def raw_option(c: argparse.ArgumentParser) -> None:
        c.add_argument("--raw", action="store_true",
                       help="NAME is spelled as 'list' shows it (\\xNN escapes) and may hold any character "
                            "(names made by other libraries)")

    def kind_options(c: argparse.ArgumentParser, what: str) -> None:
        g = c.add_mutually_exclusive_group()
        g.add_argument("--plain", action="store_true", help=f"{what} the plain (sem_open) semaphore")
        g.add_argument("--robust", action="store_true", help=f"{what} the robust semaphore")

    c = command("list", cmd_list, "List every named semaphore (Linux: /dev/shm/sem.* and robust /dev/shm/nob.*).")
    c.add_argument("--json", action="store_true", help="print a JSON list of objects")

    c = command("info", cmd_info, "Show one semaphore (the robust one when both kinds exist); "
                                  "exit 1 if it does not exist or cannot be read.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--json", action="store_true", help="print a JSON object")
    raw_option(c)
    kind_options(c, "show")

    c = command("holders", cmd_holders, "List the live processes holding units of a robust semaphore.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--json", action="store_true", help="print a JSON list of {pid, units}")

    c = command("create", cmd_create, "Create a plain semaphore that stays after the tool exits; "
                                      "exit 1 if it exists.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--value", type=_count(0), default=1, metavar="N", help="initial value (default 1)")
    c.add_argument("--mode", type=_mode, default=0o600, metavar="MODE", help="octal permissions (default 0600)")
    c.add_argument("--exist-ok", action="store_true", help="an existing semaphore is fine; leave it as it is")

    c = command("post", cmd_post, "Add N units to a plain semaphore (sem_post N times).")
    c.add_argument("name", metavar="NAME")
    c.add_argument("-n", type=_count(1), default=1, metavar="N", help="how many units (default 1)")

    c = command("wait", cmd_wait, "Take one unit of a plain semaphore: exit 0 when taken, 1 on timeout, "
                                  "130 on Ctrl+C.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                   help="give up after this long (0 tries once; default: wait forever)")

    c = command("unlink", cmd_unlink, "Remove names (both kinds); exit 1 if one of them did not exist.")
    c.add_argument("names", metavar="NAME", nargs="+")
    raw_option(c)

    c = command("run", cmd_run, "Run CMD while holding one of K slots of NAME (like GNU parallel's sem); "
                                "exit with CMD's status, 128+N if it died of signal N.")
    c.usage = (f"{PROG} run [-h] [--slots K] [--timeout SECONDS] [--mode MODE] [--plain | --robust] [--any-owner] "
               "NAME -- CMD [ARG...]\n       nob-sem run NAME CMD [ARG...]")
    c.epilog = ("NAME must not start with '-' (write /-x). A robust NAME is created with K slots if it does not "
                "exist and goes away after the last run; its slot comes back even if nob-sem is SIGKILLed. "
                "Terminating signals sent to nob-sem are forwarded to CMD; the slot is given back however "
                "CMD ends.")
    c.add_argument("name", metavar="NAME")
    c.add_argument("--slots", type=_count(1), default=1, metavar="K",
                   help="slots when this call creates NAME (default 1); ignored if NAME exists")
    c.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                   help="exit 1 without running CMD if no slot frees up in time")
    c.add_argument("--mode", type=_mode, default=0o600, metavar="MODE",
                   help="octal permissions when this call creates NAME (default 0600)")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--plain", action="store_true",
                   help="use a plain POSIX semaphore (shared with sem_open users; a SIGKILL of nob-sem loses "
                        "its slot); default: robust, unless only a plain NAME exists")
    g.add_argument("--robust", action="store_true", help="use the robust semaphore even if a plain NAME exists")
    c.add_argument("--any-owner", action="store_true",
                   help="use NAME even when another user owns it (default: refuse, nothing runs)")

    c = command("demo", cmd_demo, "Show several processes sharing one named semaphore as a pool of slots.")
    c.add_argument("--workers", type=_count(1), default=5, metavar="N", help="worker processes (default 5)")
    c.add_argument("--slots", type=_count(1), default=2, metavar="K", help="slots in the pool (default 2)")
    c.add_argument("--rounds", type=_count(1), default=2, metavar="R", help="slots each worker takes (default 2)")
    c.add_argument("--hold", type=_seconds, default=0.25, metavar="SECONDS", help="how long a slot is held")
    c.add_argument("--name", default=None, metavar="NAME", help="semaphore name (default nob-demo-PID)")
    return p


def _run_positionals(words: List[str]) -> List[int]:
    """Indices of the words of `run`'s own arguments that are not options or option values."""
    found, i = [], 0
    while i < len(words):
        if words[i] in VALUE_OPTIONS:
            i += 2
            continue
        if not words[i].startswith("-"):
            found.append(i)
        i += 1
    return found


def _split_run(rest: List[str]) -> Tuple[List[str], List[str]]:
    """(run's own arguments, the command) of the words after `run`.

    `run [OPTIONS] NAME [OPTIONS] -- CMD...`: NAME is the one word before the
    first '--' that is no option; a word where NAME belongs that starts with
    '-' is refused, so a NAME taken from untrusted input ('--help',
    '--mode=0666', '-x') is never read as an option. The short form `run NAME
    CMD...` takes no options: NAME is the first word and CMD the rest
    (a later '--' is CMD's).
    """
    missing = ("run: NAME is missing before '--'; a NAME that starts with '-' is written with "
               "its leading '/', e.g. /-x")
    if "--" in rest:
        cut = rest.index("--")
        names = _run_positionals(rest[:cut])
        if not names:
            raise UsageError(missing)
        if len(names) == 1:
            return rest[:cut], rest[cut + 1:]
    elif not _run_positionals(rest):
        return rest, []  # `run`, `run --help`: argparse answers
    if rest[0].startswith("-"):
        raise UsageError(f"run: with options, put '--' between NAME and the command "
                         f"(or drop the options: run NAME CMD); got {_safe_text(rest[0])!r} first")
    if len(rest) > 1 and rest[1].startswith("-"):
        raise UsageError(f"run: put '--' before the command (options after NAME: {_safe_text(rest[1])})")
    return rest[:1], rest[1:]


def _parse(argv: List[str]) -> argparse.Namespace:
    """Parses argv, cutting `run`'s command off first; refuses names that look like options."""
    at = next((i for i, a in enumerate(argv) if not a.startswith("-")), None)
    if at is None or argv[at] != "run":
        args = build_parser().parse_args(argv)
        names = getattr(args, "names", None) or ([args.name] if getattr(args, "name", None) else [])
        if args.command != "demo":
            _refuse_option_like(names, argv)
        return args
    head, cmd = _split_run(argv[at + 1:])
    args = build_parser().parse_args(argv[:at + 1] + head)
    if args.name.startswith("-"):
        raise UsageError(f"run: NAME {_safe_text(args.name)!r} looks like an option; write it as /{_safe_text(args.name)}")
    args.cmd = cmd
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
        print(f"{PROG}: error: {_safe_text(str(e))}", file=sys.stderr)
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
        where = f"{_safe_text(str(e.filename))}: " if e.filename else ""
        print(f"{PROG}: {where}{_safe_text(e.strerror or str(e))}", file=sys.stderr)
        return 1
