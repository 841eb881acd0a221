"""Helpers for the nob-sem tests: run the INSTALLED console script as a real process.

(No tests here; the test_cli_*.py modules import it.)
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

SHM = "/dev/shm"


def nob_sem_path():
    """The installed nob-sem script: next to this interpreter (a venv), else on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "nob-sem")
    found = beside if os.access(beside, os.X_OK) else shutil.which("nob-sem")
    assert found, "nob-sem is not installed next to the interpreter nor on PATH"
    return found


def nob_sem_cmd(*args):
    """argv for `nob-sem args...`."""
    return [nob_sem_path(), *map(str, args)]


def module_cmd(*args):
    """argv for `python -m nob.ipc args...`."""
    return [sys.executable, "-m", "nob.ipc", *map(str, args)]


def cli(*args, timeout=30, via=nob_sem_cmd):
    """Runs nob-sem to completion; returns CompletedProcess with text output."""
    return subprocess.run(via(*args), capture_output=True, text=True, timeout=timeout)


def _default_signals():
    """In the child before exec: the signals tests send act by default, even when the
    suite itself runs with them ignored (nohup, a background job of a script)."""
    for sig in range(1, signal.NSIG):
        try:
            if signal.getsignal(sig) is signal.SIG_IGN:
                signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):  # SIGKILL, SIGSTOP, numbers that are no signal
            pass


def start_cli(*args, **kwargs):
    """Starts nob-sem with pipes and default signal dispositions; the caller waits for it."""
    return subprocess.Popen(nob_sem_cmd(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_default_signals, **kwargs)


def stop_cli(proc):
    """Kills nob-sem if it still runs, reaps it and closes its pipes."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()


# Creates a semaphore (argv[1]: "plain" or "robust", argv[2]: NAME) and holds a read lease
# on its file, deaf to the lease break, until stdin closes.
_LEASER = """
import fcntl, os, signal, sys
from nob.ipc import Flags, NamedSemaphore
signal.signal(signal.SIGIO, signal.SIG_IGN)
kind, name = sys.argv[1:3]
if kind == "plain":
    NamedSemaphore(name, 1, Flags.RAISE_IF_EXISTS, unlink_on_delete=False).close()
else:
    from nob.ipc import RobustSemaphore
    RobustSemaphore(name, 2, Flags.RAISE_IF_EXISTS, persistent=True).close()
fd = os.open(os.path.join("/dev/shm", ("sem." if kind == "plain" else "nob.") + name), os.O_RDONLY)
fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
print("leased", flush=True)
sys.stdin.readline()
"""


def leased_semaphore(kind, name):
    """For a fixture (`yield from`): a process creates NAME of `kind` and holds a lease on
    its file while the test runs; then it ends and the name is unlinked."""
    child = subprocess.Popen([sys.executable, "-c", _LEASER, kind, name], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "leased"
        yield name
    finally:
        child.stdin.close()
        child.wait(timeout=30)
        child.stdout.close()
        cli("unlink", name)


def start_run(name, tmp_path, script):
    """Starts `nob-sem run --plain NAME -- sh -c script` and waits until the command runs;
    returns (the nob-sem Popen, the command's pid)."""
    started = tmp_path / "started"
    proc = start_cli("run", "--plain", name, "--", "sh", "-c", f"echo $$ > {started}; {script}")
    wait_until(lambda: started.exists() and started.read_text().strip(), what="the command to start")
    return proc, int(started.read_text())


def info(name):
    """`nob-sem info NAME --json`, parsed (asserts it succeeded)."""
    r = cli("info", name, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def value(name):
    """The semaphore's value, as nob-sem reports it."""
    return info(name)["value"]


def shm_file(name):
    """/dev/shm/sem.NAME."""
    return os.path.join(SHM, "sem." + name.lstrip("/"))


def robust_file_of(name):
    """/dev/shm/nob.NAME."""
    return os.path.join(SHM, "nob." + name.lstrip("/"))


def assert_clean_error(result, code=2):
    """Exit `code` with exactly one line on stderr and no traceback."""
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("nob-sem"), lines[0]


def costs(run):
    """(run()'s result, the CPU seconds of the processes it ran and waited for, wall seconds):
    a bound on the CPU time holds on a loaded machine, where wall time is that over the
    share of a CPU the process gets."""
    import resource

    before, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    result = run()
    wall, after = time.monotonic() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    return result, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def wait_until(predicate, timeout=10.0, what="condition"):
    """Polls predicate() until true; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def maps_semaphore(pid, name):
    """True once process pid has the semaphore's file mapped (it is past opening it)."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            return shm_file(name) in f.read()
    except FileNotFoundError:
        return False


def sleeping_in_wait(pid, name):
    """True once pid has the semaphore mapped and is asleep (blocked in the wait)."""
    if not maps_semaphore(pid, name):
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "S"
    except FileNotFoundError:
        return False


def other_user(name):
    """(uid, gid) of the real user `name` (e.g. "nob-cli-other"), made with useradd the first
    time; skips the test unless it runs as root."""
    import pwd

    import pytest

    if os.geteuid() != 0:
        pytest.skip("needs root to act as other users")
    for _ in range(20):
        try:
            pw = pwd.getpwnam(name)
            return pw.pw_uid, pw.pw_gid
        except KeyError:
            pass
        r = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                           capture_output=True, text=True)
        if r.returncode not in (0, 9, 10):  # 9: made meanwhile, 10: /etc/passwd busy (another run)
            pytest.skip(f"useradd {name} failed: {r.stderr.strip()}")
        time.sleep(0.1)
    pytest.skip(f"no user {name}")


# The start of a child that acts as another user: what it needs is imported first (this
# interpreter may live where that user cannot read, e.g. under /root), then it drops root.
_AS_USER = """
import argparse, ctypes, errno, fcntl, gettext, json, locale, math, os, pwd, re, select, shutil, signal, stat
import struct, subprocess, sys, textwrap, threading, time, traceback
import importlib
import nob.ipc
import nob.ipc._cli, nob.ipc._cli.changes, nob.ipc._cli.inspect, nob.ipc._cli.parser, nob.ipc._cli.run
import nob.ipc._cli_native
uid, gid = int(sys.argv.pop(1)), int(sys.argv.pop(1))
os.setgroups([]); os.setresgid(gid, gid, gid); os.setresuid(uid, uid, uid)
"""


def start_as(user, code, *args, inside=None, **kwargs):
    """Starts `python -c code args...` as `user` (uid, gid), with pipes (inside a PrivateIpc
    if given); the caller waits."""
    import textwrap

    argv = [sys.executable, "-c", _AS_USER + textwrap.dedent(code), *map(str, user), *map(str, args)]
    return subprocess.Popen(inside.wrap(argv) if inside else argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)


def run_as(user, code, *args, timeout=60, inside=None):
    """Runs `python -c code args...` as `user` to completion; returns CompletedProcess."""
    proc = start_as(user, code, *args, inside=inside)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _hidden_from_others(path):
    """(directory, the next component of `path` below it) for the first directory on the
    way to `path` that other users may not search (e.g. /root, where pyenv puts its
    Pythons), or None when every one may be searched."""
    import stat

    parts = os.path.realpath(path).split(os.sep)[1:]
    for i in range(len(parts) - 1):
        directory = os.sep + os.path.join(*parts[:i]) if i else os.sep
        if not os.stat(directory).st_mode & stat.S_IXOTH:
            return directory, parts[i]
    return None


class PrivateIpc:
    """A /dev/shm and a /dev/mqueue of its own (a mount and an IPC namespace kept by a sleeping
    process), for tests whose files must not be seen by anybody else: a stale robust file is
    removed by whoever opens it first (the contract), and other programs on a shared machine
    do. `wrap(argv)` runs argv inside; everything there goes with the namespace at close().
    `size` (e.g. "64k") limits its /dev/shm.

    Inside, this interpreter, the installed package and nob-sem are reachable by every user:
    a directory on the way to the interpreter that others may not search (/root, where pyenv
    keeps its Pythons, is 0700) is covered there by a tmpfs of mode 0755 that holds only the
    way to it. So `as_user(user, argv)` runs the real nob-sem as another uid (setpriv), not a
    copy of the code imported as root."""

    def __init__(self, size=None):
        import pytest

        if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("nsenter") is None:
            pytest.skip("needs root, unshare and nsenter for a private /dev/shm")
        reach = ""
        hidden = _hidden_from_others(sys.executable)
        if hidden:
            directory, below = hidden
            reach = (f"mount --rbind '{directory}/{below}' /mnt && mount -t tmpfs -o mode=0755 none '{directory}' && "
                     f"mkdir '{directory}/{below}' && mount --move /mnt '{directory}/{below}' && ")
        options = "mode=1777" + (f",size={size}" if size else "")
        self.keeper = subprocess.Popen(
            ["unshare", "--ipc", "--mount", "--propagation", "private", "sh", "-c",
             f"mount -t tmpfs -o {options} none /dev/shm && mount -t mqueue none /dev/mqueue && " + reach +
             "echo ready && exec sleep 3600"], stdout=subprocess.PIPE, text=True)
        assert self.keeper.stdout.readline() == "ready\n"

    def wrap(self, argv):
        return ["nsenter", "-t", str(self.keeper.pid), "-m", "-i", "--", *map(str, argv)]

    def as_user(self, user, argv, timeout=60):
        """Runs argv inside as `user` (uid, gid) to completion; CompletedProcess."""
        uid, gid = user
        return self.run(["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--", *argv],
                        timeout=timeout)

    def nob_sem_as(self, user, *args, timeout=60):
        """The installed nob-sem, run inside as `user`."""
        return self.as_user(user, nob_sem_cmd(*args), timeout=timeout)

    def cli(self, *args, timeout=30):
        """`nob-sem args...` inside."""
        return cli(*args, timeout=timeout, via=lambda *a: self.wrap(nob_sem_cmd(*a)))

    def run(self, argv, timeout=60):
        return subprocess.run(self.wrap(argv), capture_output=True, text=True, timeout=timeout)

    def exists(self, path):
        return self.run(["test", "-e", path]).returncode == 0

    def close(self):
        self.keeper.kill()
        self.keeper.wait()
        self.keeper.stdout.close()


def private_ipc():
    """For a fixture (`yield from`): a PrivateIpc, closed after the test."""
    space = PrivateIpc()
    try:
        yield space
    finally:
        space.close()


def alive(pid):
    """True while process `pid` runs (exists and is not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
