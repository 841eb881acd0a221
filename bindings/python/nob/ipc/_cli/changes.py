"""create, post, wait, unlink: the commands that change things. create, post and wait work
on plain semaphores (a robust one's units belong to the processes that hold them: see
run); unlink removes objects of every kind, by NAME or by --prefix, the caller's own
unless --any-owner, and shows what it would do with --dry-run."""

import argparse
import errno
import fcntl
import os
import stat
from typing import Any, List, NamedTuple, Optional, Tuple

from nob.ipc._cli import PROG, Exit, Failure, UsageError, code_of, complain
from nob.ipc._cli.names import (KINDS, SEMAPHORES, Directory, classify, directory_here, file_of, is_kind_of,
                                kinds_of, name_bytes, normalize, owner, safe_text, shown, unescape)
from nob.ipc._cli.waiting import (acquire_or_signal, block, deadline_after, handled_signals, interruptible,
                                  ready_to_open, seconds_left)


def _open(name: str) -> Any:
    """Opens an existing plain semaphore (never unlinks it on close)."""
    from nob.ipc import Flags, NamedSemaphore, RobustSemaphore

    try:
        return NamedSemaphore(name, handle_existence=Flags.RAISE_IF_NOT_EXISTS, unlink_on_delete=False)
    except FileNotFoundError:
        if RobustSemaphore.exists(name):
            raise Failure(f"{name} is a robust semaphore: its units belong to processes, so post and wait "
                          "work only on plain ones (use run)", Exit.NOT_FOUND) from None
        raise Failure(f"{name}: no such semaphore", Exit.NOT_FOUND) from None


def cmd_create(args: argparse.Namespace) -> int:
    """nob-sem create NAME: creates a plain semaphore that outlives the tool."""
    from nob.ipc import Flags, NamedSemaphore

    name = normalize(args.name)
    policy = Flags.LINK_OR_CREATE if args.exist_ok else Flags.RAISE_IF_EXISTS
    ready_to_open(file_of("plain", name[1:].encode()), None)  # a lease: waited for where signals act
    try:
        sem = interruptible(lambda: NamedSemaphore(name, args.value, policy, unlink_on_delete=False,
                                                   mode=args.mode))
    except FileExistsError:
        raise Failure(f"{name}: already exists (--exist-ok accepts that)", Exit.EXISTS) from None
    if sem.linked_existing_semaphore:
        print(f"{name} exists, left as it is")
    else:
        print(f"created {name} value={args.value} mode={args.mode:04o}")
    sem.close()
    return Exit.OK


def cmd_post(args: argparse.Namespace) -> int:
    """nob-sem post NAME [-n N]: adds N units in one atomic add."""
    name = normalize(args.name)
    ready_to_open(file_of("plain", name[1:].encode()), None)  # a lease: waited for where signals act
    sem = interruptible(lambda: _open(name))
    try:
        sem.release(args.n)
    except (OverflowError, ValueError):
        raise Failure(f"{sem.name}: adding {args.n} would pass the maximum; value left at {sem.value}",
                      Exit.TIMED_OUT) from None
    finally:
        sem.close()
    return Exit.OK


def cmd_wait(args: argparse.Namespace) -> int:
    """nob-sem wait NAME: takes one unit; 1 on timeout, 128+N on signal N."""
    name = normalize(args.name)
    signals = handled_signals()
    deadline = deadline_after(args.timeout)
    got: Any = False
    if ready_to_open(file_of("plain", name[1:].encode()), seconds_left(deadline)):  # a lease: waited for here
        sem = interruptible(lambda: _open(name))  # signals act at their default: nothing is taken yet
        block(signals)
        try:
            got = acquire_or_signal(sem, seconds_left(deadline), signals)
        finally:
            sem.close()
    if got is True:
        return Exit.OK
    if got is False:
        complain(f"{name}: timed out after {args.timeout:g} s")
        return Exit.TIMED_OUT
    return 128 + int(got)


# ---------------------------------------------------------------- unlink

class Target(NamedTuple):
    """An object unlink would remove."""

    kind: str
    raw: bytes  # the NAME's bytes
    st: os.stat_result  # its file's lstat
    named: bool  # by a NAME (not only matched by --prefix)


def _find(kind: str, raw: bytes) -> Optional[Target]:
    """The object of that kind and name, or None."""
    if not is_kind_of(kind, raw):
        return None
    with Directory(KINDS[kind].directory) as dir_fd:
        try:
            return Target(kind, raw, os.lstat(file_of(kind, raw), dir_fd=dir_fd), True)
        except FileNotFoundError:
            return None


def _matching(prefix: bytes, kinds: List[str]) -> List[Target]:
    """Every object of the kinds whose NAME starts with `prefix`, sorted."""
    found = []
    for directory in sorted({KINDS[k].directory for k in kinds}):
        with Directory(directory) as dir_fd:
            for file in os.listdir(dir_fd):
                kind_raw = classify(directory, os.fsencode(file))
                if kind_raw is None or kind_raw[0] not in kinds or not kind_raw[1].startswith(prefix):
                    continue
                try:
                    found.append(Target(kind_raw[0], kind_raw[1], os.lstat(file, dir_fd=dir_fd), False))
                except FileNotFoundError:
                    pass
    return sorted(found, key=lambda t: (t.raw, t.kind))


def _can_override_owners() -> bool:
    """True when this process has CAP_FOWNER (root has): the sticky bit does not stop it."""
    try:
        with open("/proc/self/status") as f:
            caps = next(line for line in f if line.startswith("CapEff:"))
        return bool(int(caps.split()[1], 16) & (1 << 3))
    except (OSError, StopIteration, ValueError, IndexError):
        return os.geteuid() == 0


def _refused(target: Target) -> Optional[Failure]:
    """Why the system would refuse to remove the object: the checks unlink(2) makes, so that
    --dry-run says what the real run does, and the real run says it the same way."""
    directory = KINDS[target.kind].directory
    where = os.stat(directory)
    err, why = 0, ""
    if stat.S_ISDIR(target.st.st_mode):
        err, why = errno.EISDIR, "a directory is no object"
    elif os.statvfs(directory).f_flag & os.ST_RDONLY:
        err = errno.EROFS
    elif not os.access(directory, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        err, why = errno.EACCES, f"you may not write {directory}"
    elif (where.st_mode & stat.S_ISVTX and os.geteuid() not in (target.st.st_uid, where.st_uid)
          and not _can_override_owners()):
        err, why = errno.EPERM, f"in the sticky {directory} only the file's owner or root may remove it"
    if not err:
        return None
    text = os.strerror(err) + (f" ({why})" if why else "")
    return Failure(f"{shown(target.raw)} ({target.kind}): {text}", code_of(OSError(err, text)))


def _prefix_bytes(args: argparse.Namespace) -> bytes:
    prefix = unescape(args.prefix) if args.raw else os.fsencode(args.prefix.lstrip("/"))
    if not args.raw and not all(chr(b).isascii() and (chr(b).isalnum() or chr(b) in "._-") for b in prefix):
        raise UsageError(f"--prefix {safe_text(args.prefix)!r}: may only hold ASCII letters, digits, '-', '_' "
                         "and '.' (or use --raw)")
    if not prefix:
        raise UsageError("--prefix must not be empty")
    return prefix


def _targets(args: argparse.Namespace, kinds: List[str]) -> Tuple[List[Target], List[Failure]]:
    """What unlink would remove, and a failure for each NAME that names nothing."""
    targets: List[Target] = []
    missing: List[Failure] = []
    names = [name_bytes(n, args.raw) for n in args.names]  # every NAME checked before anything is removed
    for raw in names:
        found = [t for t in (_find(k, raw) for k in kinds) if t is not None]
        if not found:
            what = "semaphore" if kinds == SEMAPHORES else "object" if len(kinds) > 1 else KINDS[kinds[0]].what
            missing.append(Failure(f"{shown(raw)}: no such {what}", Exit.NOT_FOUND))
        targets += [t for t in found if t not in targets]
    if args.prefix is not None:
        found = _matching(_prefix_bytes(args), kinds)
        if not found:
            missing.append(Failure(f"nothing named /{safe_text(args.prefix.lstrip('/'))}... "
                                   f"({', '.join(kinds)})", Exit.NOT_FOUND))
        named = {(t.kind, t.raw) for t in targets}
        targets += [t for t in found if (t.kind, t.raw) not in named]
    return sorted(targets, key=lambda t: (t.raw, t.kind)), missing


def _unlink_robust(dir_fd, raw):
    """Removes a robust semaphore's names as the library's remove() does (docs/robust.md, "The
    names change together"): the data file's name, then its lock file's only while holding that
    lock file's file-wide lock (byte 0) and only if the name is still that file. A lock file
    whose lock is busy stays (an orphan, removed by the next look at the name): it may be a
    creator's, between its two names, and taking it would split the semaphore in two."""
    lock_name = b"nob~" + raw
    try:
        lock_fd = os.open(lock_name, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        lock_fd = -1  # none, or not ours to lock: the data file's name alone
    try:
        locked = False
        if lock_fd >= 0:
            try:  # a record lock conflicts with the library's OFD locks, and ends with lock_fd
                fcntl.lockf(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0, os.SEEK_SET)
                locked = True
            except OSError:
                pass
        try:
            os.unlink(file_of("robust", raw), dir_fd=dir_fd)  # the name, never a symlink's target
        finally:
            if locked:
                held = os.fstat(lock_fd)
                try:
                    now = os.stat(lock_name, dir_fd=dir_fd, follow_symlinks=False)
                    if (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
                        os.unlink(lock_name, dir_fd=dir_fd)
                except OSError:
                    pass
    finally:
        if lock_fd >= 0:
            os.close(lock_fd)


def cmd_unlink(args: argparse.Namespace) -> int:
    """nob-sem unlink NAME... / --prefix P: removes objects (semaphores unless --kind says
    otherwise), the caller's own unless --any-owner (another user's NAME fails with exit 5,
    another user's object that only the prefix matched is left); the first failure's code.
    --dry-run makes the same checks as the real run and reports the same failures."""
    if not args.names and args.prefix is None:
        raise UsageError(f"unlink needs a NAME or --prefix PREFIX (see '{PROG} unlink --help')")
    kinds = [k for k in kinds_of(args.kind, SEMAPHORES) if directory_here(k)]
    if not kinds:
        raise Failure(f"no {' or '.join(kinds_of(args.kind, SEMAPHORES))} directory here", Exit.NOT_FOUND)
    targets, failures = _targets(args, kinds)
    me = os.geteuid()
    theirs = mine = 0
    for t in targets:
        what = f"{shown(t.raw)} ({t.kind}, owner {owner(t.st.st_uid)})"
        if t.st.st_uid != me and not args.any_owner:
            if not t.named:  # matched by the prefix: yours are meant
                theirs += 1
                if args.verbose:
                    print(f"{'would leave' if args.dry_run else 'left'} {what}: not yours (--any-owner removes it)")
                continue
            failures.append(Failure(f"{shown(t.raw)}: the {KINDS[t.kind].what} of that name belongs to uid "
                                    f"{t.st.st_uid}, not you; --any-owner removes it", Exit.PERMISSION))
            continue
        mine += 1
        refused = _refused(t)
        if refused is not None:
            failures.append(refused)
            continue
        if args.dry_run:
            print(f"would remove {what}")
            continue
        try:
            with Directory(KINDS[t.kind].directory) as dir_fd:
                if t.kind == "robust":
                    _unlink_robust(dir_fd, t.raw)
                else:
                    os.unlink(file_of(t.kind, t.raw), dir_fd=dir_fd)  # the name, never a symlink's target
        except FileNotFoundError:
            failures.append(Failure(f"{shown(t.raw)}: removed meanwhile by another process", Exit.NOT_FOUND))
            continue
        except OSError as e:
            failures.append(Failure(f"{shown(t.raw)} ({t.kind}): {safe_text(e.strerror or str(e))}", code_of(e)))
            continue
        if args.verbose:
            print(f"removed {what}")
    if theirs and not mine and not args.names:
        failures.append(Failure(f"nothing of yours named /{safe_text(args.prefix.lstrip('/'))}... "
                                f"({theirs} of other users left; --any-owner removes them)", Exit.NOT_FOUND))
    for failure in failures:
        complain(str(failure))
    return failures[0].code if failures else Exit.OK
