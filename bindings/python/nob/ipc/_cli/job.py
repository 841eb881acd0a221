"""The job of `nob-sem run`: CMD and every process it starts, however they start and
whatever descriptors they close.

nob-sem is the job's subreaper (PR_SET_CHILD_SUBREAPER): a process of the job whose parent
ends becomes nob-sem's child instead of init's, so nob-sem sees the end of every process of
the job with wait(). The job has ended when CMD has ended and nob-sem has no child left;
`run` holds its slot until then and then exits with CMD's status.

Signals sent to nob-sem are for the job: CMD gets each one once, at once; the job's other
processes get it when CMD has ended (so a CMD that handles it, a shell or make, acts first),
and at once when it comes after that. A signal sent to nob-sem's whole process group (a
terminal's Ctrl+C, `kill -- -PGID`, a supervisor signalling every process) has already
reached the processes of the job in that group: only those outside it get it from nob-sem.
Which signals went to the group is asked of the witness (_cli_native.hpp, start_witness), a
process in nob-sem's group that blocks every signal: a signal sent to the group is pending
in it, one sent to nob-sem alone is not.
"""

import os
import signal
from typing import Any, Dict, List, Optional, Set, Tuple

SI_KERNEL = 0x80  # si_code of a signal the kernel sent, e.g. Ctrl+C at a terminal
WITNESS_GRACE = 0.02  # seconds a group signal may take to reach the witness after nob-sem
WITNESS_PATIENCE = 0.5  # seconds to wait for an answer (a stopped witness gives none)


class Witness:
    """The witness of nob-sem's process group (see the module's docstring)."""

    def __init__(self) -> None:
        from nob.ipc._cli_native import start_witness

        self.pid, self._ask, self._answer = start_witness()
        self._seq = 0

    def _question(self, signo: int) -> Optional[bool]:
        """Was `signo` pending in the witness (and taken off)? None when it does not answer."""
        import select
        import time

        self._seq = (self._seq + 1) % 256
        try:
            os.write(self._ask, bytes([self._seq, signo]))
        except OSError:
            return None
        deadline = time.monotonic() + WITNESS_PATIENCE
        reply = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answer], [], [], left)[0]:
                return None  # stopped (SIGSTOP to the group): late answers are told apart by _seq
            got = os.read(self._answer, 2 - len(reply))
            if not got:
                return None
            reply += got
            if len(reply) == 2:
                if reply[0] == self._seq:
                    return bool(reply[1])
                reply = b""

    def forget(self) -> None:
        """Takes every signal pending in the witness off (those of the group so far)."""
        self._question(0)

    def saw(self, signo: int, received: float) -> Optional[bool]:
        """True when `signo`, which nob-sem received at `received` (time.monotonic()), was
        sent to the whole process group; None when the witness does not answer."""
        import time

        time.sleep(max(0.0, received + WITNESS_GRACE - time.monotonic()))
        return self._question(signo)

    def close(self) -> None:
        """Ends the witness (it reads EOF)."""
        for fd in (self._ask, self._answer):
            try:
                os.close(fd)
            except OSError:
                pass
        self._ask = self._answer = -1


def _table() -> Dict[int, Tuple[int, int]]:
    """pid -> (parent pid, process group) of every process in /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            found[int(entry)] = (int(fields[1]), int(fields[2]))
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
    return found


def descendants(table: Dict[int, Tuple[int, int]], root: int) -> Set[int]:
    """Every process below `root` in the table."""
    children: Dict[int, List[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found: Set[int] = set()
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo += children.get(pid, [])
    return found


def _parent_of(pid: int) -> Optional[int]:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _send(pid: int, signo: int, job: Set[int]) -> None:
    """Sends `signo` to `pid` if it is still a process of the job: it is held by a pidfd
    first, then its parent is checked, so a pid reused meanwhile is never signalled."""
    try:
        fd = os.pidfd_open(pid)  # type: ignore[attr-defined]
    except ProcessLookupError:
        return
    except (OSError, AttributeError):  # no pidfd (Linux < 5.3): the check below, then kill
        fd = -1
    try:
        if _parent_of(pid) not in job:
            return
        if fd >= 0:
            signal.pidfd_send_signal(fd, signo)  # type: ignore[attr-defined]
        else:
            os.kill(pid, signo)
    except ProcessLookupError:
        pass
    finally:
        if fd >= 0:
            os.close(fd)


class Job:
    """CMD and its descendants: started by start(), waited for by wait()."""

    def __init__(self, signals: Set[int]) -> None:
        from nob.ipc._cli_native import become_subreaper

        self.signals = signals
        self.witness: Optional[Witness] = None
        try:
            self.witness = Witness()  # before anything is opened that a child must not keep
        except OSError:
            pass  # then a signal from the kernel (a terminal's) is taken as sent to the group
        become_subreaper()
        self.proc: Any = None
        self.status: Optional[int] = None
        self.early: List[Tuple[int, bool]] = []  # signals that came while CMD ran, for the rest

    def start(self, cmd: List[str], sigmask: Set[int], sigchld_ignored: bool) -> None:
        """Starts CMD as subprocess does (restore_signals: SIGPIPE and SIGXFSZ by default),
        with the signal mask nob-sem was started with and every descriptor it inherited
        (SIGCHLD ignored again if nob-sem was started so: it set it to default to see the
        job end). The kernel SIGKILLs CMD if nob-sem dies (PR_SET_PDEATHSIG)."""
        import subprocess
        import sys

        from nob.ipc._cli_native import die_with_parent, reset_internal_signals

        parent = os.getpid()

        def child_setup() -> None:
            die_with_parent(int(signal.SIGKILL))
            if os.getppid() != parent:  # nob-sem died before prctl: do not run unaccounted
                os._exit(128 + int(signal.SIGKILL))
            reset_internal_signals()  # glibc's own 32 and 33, left ignored by a posix_spawn that started nob-sem
            if sigchld_ignored:
                signal.signal(signal.SIGCHLD, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_SETMASK, sigmask)

        if self.witness is not None:
            self.witness.forget()  # what the group got before CMD is no business of CMD's
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        self.proc = subprocess.Popen(cmd, close_fds=False, restore_signals=True, preexec_fn=child_setup)

    def wait(self) -> int:
        """Waits for the whole job, passing on the signals sent to nob-sem (with them and
        SIGCHLD blocked); returns CMD's exit status (128+N if it died of signal N)."""
        import time

        watch = self.signals | {int(signal.SIGCHLD)}
        while not self._reap():
            batch = [signal.sigtimedwait(watch, 0.5)]
            received = time.monotonic()
            while batch[-1] is not None:  # all that came meanwhile: one WITNESS_GRACE for them all
                batch.append(signal.sigtimedwait(watch, 0))
            for info in batch[:-1]:
                if info is not None and info.si_signo in self.signals:  # only batch[-1] is None
                    self._pass_on(info, received)
        assert self.status is not None
        return self.status

    def close(self) -> None:
        if self.witness is not None:
            self.witness.close()

    def _reap(self) -> bool:
        """Reaps every process of the job that has ended; True once the whole job has."""
        while True:
            try:
                pid, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return True  # no child left (CMD among them: it is reaped only here)
            if pid == 0:
                return False
            if pid == self.proc.pid:
                code = os.waitstatus_to_exitcode(wait_status)
                self.status = 128 - code if code < 0 else code
                self.proc.returncode = code  # reaped here: Popen must not wait for it
                for signo, to_group in self.early:
                    self._signal_the_rest(signo, to_group)
                self.early = []

    def _to_group(self, info: Any, received: float) -> bool:
        """Whether the signal was sent to nob-sem's whole process group."""
        if self.witness is not None:
            seen = self.witness.saw(info.si_signo, received)
            if seen is not None:
                return seen
        return bool(info.si_code == SI_KERNEL)

    def _pass_on(self, info: Any, received: float) -> None:
        if info.si_pid == os.getpid() and info.si_code != SI_KERNEL:
            return  # nob-sem's own (a SIGPIPE of its own write): not the job's business
        signo = int(info.si_signo)
        to_group = self._to_group(info, received)
        if self.status is None:
            if not (to_group and _in_group(self.proc.pid, os.getpgrp())):
                os.kill(self.proc.pid, signo)  # not reaped yet: the pid is CMD's, or its zombie's
            self.early.append((signo, to_group))
        else:
            self._signal_the_rest(signo, to_group)

    def _signal_the_rest(self, signo: int, to_group: bool) -> None:
        """Sends `signo` to every process of the job (CMD has ended) that did not get it."""
        me, mine = os.getpid(), os.getpgrp()
        table = _table()
        job = descendants(table, me)
        if self.witness is not None:
            job.discard(self.witness.pid)
        for pid in sorted(job):
            if not (to_group and table[pid][1] == mine):
                _send(pid, signo, job | {me})


def _in_group(pid: int, group: int) -> bool:
    try:
        return os.getpgid(pid) == group
    except ProcessLookupError:
        return True  # gone: nothing to send
