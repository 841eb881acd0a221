"""list, info, holders: what is in /dev/shm and /dev/mqueue, read without ever waiting on
another process, mapping a file, or writing, locking or removing anything.

Each file is reached by its name inside its directory (a descriptor of the directory),
after lstat, through a descriptor opened O_RDONLY|O_NOFOLLOW|O_NONBLOCK and checked to
be the same regular file. Semaphore files are checked and read by the library's own
code (nob.ipc._cli_native) with pread. Leases come from /proc/locks (asking starts no
lease break); a robust file's lock is looked at twice, once for all files.
"""

import argparse
import errno
import os
import stat
from typing import Dict, List, Optional, Sequence, Set, Tuple

from nob.ipc._cli import Exit, Failure, complain
from nob.ipc._cli.names import (KINDS, MQ_DIR, SEMAPHORES, SHM_DIR, classify, directory_here, escape, file_of,
                                is_kind_of, kinds_of, name_bytes, owner, safe_text, shown, valid_name)

LEASED = "busy: another process holds a lease on the file"
LOCKED = "busy: another process keeps the file locked"
NOT_PLAIN = "not a semaphore: truncated or foreign file"
LOCK_SECOND_LOOK = 0.05  # seconds between two looks at a robust file's lock (users hold it for microseconds)
LOCKS_BUDGET = 0.3  # seconds of this thread's CPU time that /proc/locks is read for at most (leased_files)
COLUMNS = ("NAME", "KIND", "VALUE", "CAPACITY", "HOLDERS", "MODE", "OWNER", "SIZE")
JSON_KEYS = ("name", "kind", "value", "capacity", "holders", "max_message_size", "mode", "owner", "uid", "size",
             "path", "error")

Entry = Dict[str, object]


def leased_files(budget: float = LOCKS_BUDGET) -> Tuple[Set[Tuple[int, int]], bool]:
    """(device, inode) of every file under a lease (F_SETLEASE), read or write, from
    /proc/locks: opening such a file for writing (sem_open, RobustSemaphore) waits for the
    lease holder up to the kernel's lease-break-time (45 s by default). Asking so starts no
    lease break, as an open would. The kernel makes /proc/locks anew at every read, walking
    its list of locks from the start each time, so reading all of it costs time quadratic in
    the number of locks that any local user can take (300,000 took 41 s): it is read for at
    most `budget` seconds of this thread's CPU time (the kernel makes the text in the reading
    thread, so that is its cost; time spent waiting for a CPU on a loaded machine is not),
    and the second value says whether it was read to its end."""
    import time

    found: Set[Tuple[int, int]] = set()
    try:
        fd = os.open("/proc/locks", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return found, True
    chunks, complete = [], False
    deadline = time.thread_time() + budget
    try:
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                complete = True
                break
            chunks.append(chunk)
            if time.thread_time() >= deadline:
                break
    except OSError:
        pass
    finally:
        os.close(fd)
    lines = b"".join(chunks).split(b"\n")
    if not complete:
        lines.pop()  # cut in the middle
    for line in lines:
        words = line.split()
        if len(words) < 6 or words[1] not in (b"LEASE", b"DELEG"):  # "N: -> ..." is a waiter, not a lock
            continue
        where = words[5].split(b":")
        if len(where) == 3:
            try:
                found.add((os.makedev(int(where[0], 16), int(where[1], 16)), int(where[2])))
            except ValueError:
                pass
    return found, complete


def _why(e: OSError) -> str:
    """What an OSError means for a row."""
    if e.errno == errno.ELOOP:
        return "not a regular file"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return safe_text(e.strerror or str(e))


def _stale(uid: int) -> str:
    """The error of a robust file whose every user has ended: it counts as absent."""
    mine = os.geteuid() in (0, uid)
    return (f"stale: every user has ended, owner uid {uid}; "
            + ("the next open removes it" if mine else "only that user (or root) can remove it"))


def _plain_fields(fd: int, raw: bytes) -> Tuple[Entry, Optional[str]]:
    """The value of a plain semaphore, read with pread as the library checks the file."""
    from nob.ipc._cli_native import plain_value

    value = plain_value(fd)
    if value >= 0:
        return {"value": value}, None
    if value == -1:
        return {}, NOT_PLAIN
    return _plain_by_opening(raw)  # where the sem_t layout is not known: sem_open maps it


def _plain_by_opening(raw: bytes) -> Tuple[Entry, Optional[str]]:
    """The value read through NamedSemaphore (sem_getvalue)."""
    from nob.ipc import Flags, NamedSemaphore

    name = valid_name(raw)
    if name is None:
        return {}, "name not usable by nob"
    try:
        sem = NamedSemaphore(name, handle_existence=Flags.RAISE_IF_NOT_EXISTS, unlink_on_delete=False)
    except FileNotFoundError:
        raise
    except OSError as e:
        return {}, NOT_PLAIN if e.errno == errno.EINVAL else _why(e)
    try:
        return {"value": sem.value}, None
    finally:
        sem.close()


def _robust_fields(fd: int, st: os.stat_result) -> Tuple[Entry, Optional[str]]:
    """value, capacity and holders of a robust semaphore, or why they are not shown, read
    through the library's own code without mapping, locking or waiting."""
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
        return {"capacity": view["capacity"]}, _stale(st.st_uid)
    holders = [{"pid": pid, "units": units} for pid, units in view["holders"]]
    fields: Entry = {"value": view["value"], "capacity": view["capacity"], "holders": holders}
    if view["locked"]:
        fields["locked"] = True  # looked at again later (Reading.finish)
    return fields, None


def _queue_fields(fd: int) -> Tuple[Entry, Optional[str]]:
    """A message queue's messages, the most it holds and the largest message, through the
    descriptor of its file (mq_getattr), and the bytes queued (the file's QSIZE)."""
    from nob.ipc._cli_native import queue_attributes

    try:
        max_messages, max_size, current = queue_attributes(fd)
    except OSError as e:
        return {}, _why(e)
    fields: Entry = {"value": current, "capacity": max_messages, "max_message_size": max_size}
    try:
        text = os.pread(fd, 200, 0).decode("ascii", "replace")  # "QSIZE:N NOTIFY:... "
        fields["size"] = int(text.split()[0].split(":")[1])
    except (OSError, ValueError, IndexError):
        pass
    return fields, None


class Reading:
    """One `list`, `info` or `holders`: reads each file by name inside its directory, asks
    /proc/locks once for leases, and looks a second time, once for all, at robust files
    whose lock was taken: held at both looks, LOCK_SECOND_LOOK apart, it is busy. Nothing
    waits on another process: any number of files costs at most that one pause."""

    def __init__(self) -> None:
        import time

        self.dirs: Dict[str, int] = {}
        self.leased, complete = leased_files()
        if not complete:
            complain(f"/proc/locks holds too many locks to read in {LOCKS_BUDGET:g} s of CPU time: a file under "
                     "a read lease further down is shown as if it had none (a write lease still shows as busy)")
        self.locked: List[Tuple[Entry, str, bytes, float]] = []
        self.clock = time.monotonic

    def __enter__(self) -> "Reading":
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self.dirs.values():
            os.close(fd)

    def dir_fd(self, directory: str) -> int:
        if directory not in self.dirs:
            self.dirs[directory] = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        return self.dirs[directory]

    def describe(self, kind: str, raw: bytes) -> Entry:
        """One object as a dict (the keys of --json). FileNotFoundError when absent (or when
        the file is an object of another kind: /dev/shm/sem.x is no shared memory /sem.x)."""
        if not is_kind_of(kind, raw):
            raise FileNotFoundError(errno.ENOENT, "no such object")
        directory = KINDS[kind].directory
        dir_fd = self.dir_fd(directory)
        file = file_of(kind, raw)
        try:
            st = os.lstat(file, dir_fd=dir_fd)
        except FileNotFoundError:
            if kind != "robust":
                raise
            return self._orphan_lock(raw, dir_fd)
        entry: Entry = dict.fromkeys(JSON_KEYS)
        entry.update(name=shown(raw), kind=kind, mode=f"{stat.S_IMODE(st.st_mode):04o}", owner=owner(st.st_uid),
                     uid=st.st_uid, path=f"{directory}/{escape(file)}")
        if kind != "mq":  # a queue's size is the bytes queued, read from the file (its st_size is not)
            entry["size"] = st.st_size
        if not stat.S_ISREG(st.st_mode):
            entry["error"] = "not a regular file"
        elif (st.st_dev, st.st_ino) in self.leased:
            entry["error"] = LEASED
        else:  # a shared memory object is what lstat says, opened only to learn whether you may read it
            self._read(entry, kind, raw, dir_fd, file, st)
        return entry

    def _orphan_lock(self, raw: bytes, dir_fd: int) -> Entry:
        """A robust NAME's lock file without its data file that no creator holds (its maker
        or remover was killed between the two names; docs/robust.md): stale, shown by the
        lock file, as the library's status() does. Another user's stays until that user
        (or root) removes it, and blocks the name meanwhile. FileNotFoundError when there
        is none, or a creator holds it (its data file comes next). One this user may not
        open counts as stale too: nobody it could see holds it."""
        from nob.ipc._cli_native import lock_file_taken

        lock = b"nob~" + raw
        st = os.lstat(lock, dir_fd=dir_fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileNotFoundError(errno.ENOENT, "no such object")
        try:
            fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
        except FileNotFoundError:
            raise
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                if (os.fstat(fd).st_ino != st.st_ino) or lock_file_taken(fd):
                    raise FileNotFoundError(errno.ENOENT, "no such object")
            finally:
                os.close(fd)
        entry: Entry = dict.fromkeys(JSON_KEYS)
        entry.update(name=shown(raw), kind="robust", mode=f"{stat.S_IMODE(st.st_mode):04o}", owner=owner(st.st_uid),
                     uid=st.st_uid, path=f"{SHM_DIR}/{escape(lock)}", size=st.st_size,
                     error=_stale(st.st_uid) + " (lock file only)")
        return entry

    def _read(self, entry: Entry, kind: str, raw: bytes, dir_fd: int, file: bytes, st: os.stat_result) -> None:
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
        try:
            fd = os.open(file, flags, dir_fd=dir_fd)
        except FileNotFoundError:
            raise
        except BlockingIOError:  # a write lease taken since /proc/locks was read
            entry["error"] = LEASED
            return
        except OSError as e:
            entry["error"] = _why(e)
            return
        try:
            now = os.fstat(fd)
            if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
                entry["error"] = "replaced while being read"
                return
            if kind == "plain":
                fields, entry["error"] = _plain_fields(fd, raw)
            elif kind == "robust":
                fields, entry["error"] = _robust_fields(fd, st)
                if fields.pop("locked", False):
                    self.locked.append((entry, KINDS[kind].directory, file, self.clock()))
            elif kind == "mq":
                fields, entry["error"] = _queue_fields(fd)
            else:
                fields = {}
            entry.update(fields)
        finally:
            os.close(fd)

    def finish(self) -> None:
        """The second look at the robust files whose lock was taken at the first."""
        import time

        from nob.ipc._cli.waiting import file_lock_taken

        if self.locked:
            time.sleep(max(0.0, self.locked[0][3] + LOCK_SECOND_LOOK - self.clock()))
        for entry, directory, file, _ in self.locked:
            try:
                fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                             dir_fd=self.dir_fd(directory))
            except OSError:
                continue
            try:
                if file_lock_taken(fd):
                    entry.update(value=None, holders=None, error=LOCKED)
            finally:
                os.close(fd)
        self.locked = []


def list_entries(kinds: List[str]) -> List[Entry]:
    """Every object of the kinds, sorted by name (then kind); vanished ones are skipped."""
    directories = sorted({KINDS[k].directory for k in kinds})
    if SHM_DIR in directories and not directory_here("plain"):
        raise Failure(f"listing needs {SHM_DIR} (Linux); use 'info NAME' here")
    if MQ_DIR in directories and not directory_here("mq"):
        if kinds == ["mq"]:
            raise Failure(f"message queues are listed from {MQ_DIR}, which is not mounted here "
                          f"(mount -t mqueue none {MQ_DIR})")
        directories.remove(MQ_DIR)
    entries = []
    with Reading() as reading:
        for directory in directories:
            files = os.listdir(os.fsencode(directory))  # bytes: any name, UTF-8 or not
            present = set(files)
            for file in files:
                found = classify(directory, file)
                if found is None and file.startswith(b"nob~") and b"nob." + file[4:] not in present:
                    found = ("robust", file[4:])  # a lock file alone: shown when stale (_orphan_lock)
                if found is None or found[0] not in kinds:
                    continue
                try:
                    entries.append(reading.describe(*found))
                except FileNotFoundError:
                    pass  # removed while we looked
        reading.finish()
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(entries, key=lambda e: (str(e["name"]), order[str(e["kind"])]))


def info_entries(raw: bytes, kinds: List[str]) -> List[Entry]:
    """The objects of the NAME, one per kind that has one, in the order of `kinds`."""
    found = []
    with Reading() as reading:
        for kind in kinds:
            if not directory_here(kind):
                continue
            try:
                found.append(reading.describe(kind, raw))
            except FileNotFoundError:
                pass
        reading.finish()
    return found


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def table(entries: List[Entry]) -> str:
    """Entries as an aligned text table, its header even when empty; unreadable ones show
    '-' and why. Every cell is escaped: a name cannot move the cursor, change the terminal
    or start a new row."""
    rows: List[Tuple[str, ...]] = [COLUMNS + ("",)]
    for e in entries:
        holders = e.get("holders")
        rows.append((str(e["name"]), str(e["kind"]), _cell(e["value"]), _cell(e.get("capacity")),
                     "-" if holders is None else str(len(holders)),  # type: ignore[arg-type]
                     str(e["mode"]), str(e["owner"]), _cell(e["size"]),
                     f"({safe_text(str(e['error']))})" if e.get("error") else ""))
    return aligned(rows, right={2, 3, 4, 7})


def aligned(rows: Sequence[Sequence[str]], right: Set[int]) -> str:
    """Rows as columns two spaces apart (the last one as it is), numbers on the right."""
    n = len(rows[0]) - 1
    widths = [max(len(r[i]) for r in rows) for i in range(n)]
    lines = []
    for r in rows:
        cells = [r[i].rjust(widths[i]) if i in right else r[i].ljust(widths[i]) for i in range(n)]
        lines.append("  ".join(cells + [r[n]]).rstrip())
    return "\n".join(lines)


def print_json(data: object) -> None:
    import json

    print(json.dumps(data, indent=2))  # ensure_ascii: control characters come out as \uNNNN


def code_of_entry(entry: Entry) -> Exit:
    """The exit code of `info` for an object it found."""
    error = str(entry.get("error") or "")
    if not error:
        return Exit.OK
    if error.startswith("stale"):
        return Exit.NOT_FOUND
    if error.startswith("busy") or error.startswith("changed"):
        return Exit.TIMED_OUT
    if error.startswith("permission"):
        return Exit.PERMISSION
    return Exit.ERROR


def cmd_list(args: argparse.Namespace) -> int:
    """nob-sem list: every object of the kinds asked for (all by default)."""
    entries = list_entries(kinds_of(args.kind, list(KINDS)))
    if args.json:
        print_json(entries)
    else:
        print(table(entries))
    return Exit.OK


def _holders_text(holders: List[Dict[str, int]]) -> str:
    return ", ".join(f"pid {h['pid']} ({h['units']} unit{'s' if h['units'] != 1 else ''})"
                     for h in holders) or "none"


def info_kinds(args: argparse.Namespace) -> List[str]:
    """The kinds `info` looks at, robust first: --kind, or the shorthands --plain/--robust."""
    if args.plain:
        return ["plain"]
    if args.robust:
        return ["robust"]
    chosen = kinds_of(args.kind, list(KINDS))
    return [k for k in SEMAPHORES + ["shm", "mq"] if k in chosen]


def _what(kinds: List[str]) -> str:
    """How messages name the kinds looked for: "semaphore", "message queue", "object"."""
    if set(kinds) <= set(SEMAPHORES):
        return KINDS[kinds[0]].what if len(kinds) == 1 else "semaphore"
    return KINDS[kinds[0]].what if len(kinds) == 1 else "object"


def cmd_info(args: argparse.Namespace) -> int:
    """nob-sem info NAME: one object (the first kind that has one)."""
    raw = name_bytes(args.name, args.raw)
    kinds = info_kinds(args)
    entries = info_entries(raw, kinds)
    if not entries:
        raise Failure(f"{shown(raw)}: no such {_what(kinds)}", Exit.NOT_FOUND)
    # A stale robust semaphore counts as none: the first kind with an object that does not
    # is shown (the stale one only when nothing else has the name).
    entries.sort(key=lambda e: code_of_entry(e) == Exit.NOT_FOUND)  # stable: the kinds' order otherwise
    entry = entries[0]
    if args.json:
        print_json(entry)
    else:
        lines = []
        for key in JSON_KEYS:
            value = entry.get(key)
            if key == "holders" and value is not None:
                value = _holders_text(value)  # type: ignore[arg-type]
            elif key == "error" and value is not None:
                value = safe_text(str(value))
            if value is not None or key == "value":
                lines.append((key + ":", _cell(value)))
        for other in entries[1:]:
            stale = " (stale: counts as none)" if code_of_entry(other) == Exit.NOT_FOUND else ""
            lines.append(("also:", f"a {KINDS[str(other['kind'])].what} of the same name{stale} "
                                   f"(info --kind {other['kind']})"))
        width = max(10, max(len(k) for k, _ in lines) + 1)
        for key, value in lines:
            print(f"{key:{width}}{value}")
    return code_of_entry(entry)


def cmd_holders(args: argparse.Namespace) -> int:
    """nob-sem holders NAME: the live processes holding units of a robust semaphore."""
    raw = name_bytes(args.name, args.raw)
    entries = info_entries(raw, ["robust", "plain"])
    if not entries:
        raise Failure(f"{shown(raw)}: no such robust semaphore", Exit.NOT_FOUND)
    entry = entries[0]
    if entry["kind"] != "robust" and entry["error"] in (None, LEASED):
        raise Failure(f"{shown(raw)} is a plain semaphore: its units have no owners", Exit.NOT_FOUND)
    if entry["error"] is not None:  # a broken file, a socket, a FIFO: what it is, as info says
        raise Failure(f"{shown(raw)}: {safe_text(str(entry['error']))}", code_of_entry(entry))
    holders: List[Dict[str, int]] = entry["holders"]  # type: ignore[assignment]
    if args.json:
        print_json(holders)
    else:
        print(aligned([("PID", "UNITS", "")] + [(str(h["pid"]), str(h["units"]), "") for h in holders],
                      right={0, 1}))
    return Exit.OK
