"""nob-sem run and signals: the command starts as a shell would start it (default
dispositions, no blocked signals), every terminating signal sent to nob-sem reaches the
command and gives the slot back, and the command never outlives nob-sem."""

import os
import signal
import subprocess

import pytest
from test_cli_support import cli, start_run, value, wait_until


@pytest.fixture
def run_name(sem_name):
    """A name for `run --plain` (which leaves its semaphore in place); unlinked after the test."""
    yield sem_name
    cli("unlink", sem_name)


def test_yes_into_head_dies_quietly_of_sigpipe(run_name):
    r = cli("run", "--plain", run_name, "--", "bash", "-c", "yes | head -n1; echo status=${PIPESTATUS[0]}")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "y\nstatus=141\n"  # yes died of SIGPIPE (128+13) ...
    assert r.stderr == ""  # ... without "Broken pipe"


def test_a_file_size_limit_kills_with_sigxfsz(run_name, tmp_path):
    script = f"ulimit -f 1; head -c 100000 /dev/zero > {tmp_path}/big; echo status=$?"
    r = cli("run", "--plain", run_name, "--", "bash", "-c", script)
    assert r.stdout == f"status={128 + signal.SIGXFSZ}\n", r.stderr


def test_the_command_starts_with_no_signal_blocked_or_ignored(run_name):
    probe = ["grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"]
    direct = subprocess.run(probe, capture_output=True, text=True, timeout=30)  # as subprocess starts it
    r = cli("run", "--plain", run_name, "--", *probe)
    assert r.returncode == 0, r.stderr
    masks = dict(line.split(":") for line in r.stdout.splitlines())
    assert int(masks["SigBlk"], 16) == 0
    assert r.stdout == direct.stdout  # ignored: only what the suite itself was started with


def _ignored_by_spawned(argv):
    """The SigIgn mask of a program that os.posix_spawn starts (glibc 2.36 sets its own
    signals 32 and 33 to ignored in the child, as Python 3.13's subprocess does)."""
    r, w = os.pipe()
    try:
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, w, 1)])
    finally:
        os.close(w)
    with os.fdopen(r) as out:
        text = out.read()
    os.waitpid(pid, 0)
    return int(dict(line.split(":") for line in text.splitlines() if line.startswith("SigIgn"))["SigIgn"], 16)


def test_signals_the_c_library_keeps_for_itself_are_not_passed_on_ignored(run_name):
    """nob-sem started by a posix_spawn that leaves glibc's 32 and 33 ignored (Python 3.13's
    subprocess does): its command starts with them at their default (they were ignored)."""
    internal = (1 << 31) | (1 << 32)  # SigIgn bit N-1 is signal N
    if _ignored_by_spawned(["/bin/grep", "^SigIgn", "/proc/self/status"]) & internal != internal:
        pytest.skip("this C library's posix_spawn leaves signals 32 and 33 at their default")
    from test_cli_support import nob_sem_cmd

    ignored = _ignored_by_spawned(nob_sem_cmd("run", "--plain", run_name, "--", "grep", "^SigIgn",
                                              "/proc/self/status"))
    assert ignored & internal == 0, hex(ignored)


def _gone(pid):
    """True once pid is no process (or a zombie nobody reaps yet)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _stop(proc, child):
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    if not _gone(child):
        os.kill(child, signal.SIGKILL)


SIGNALS = [signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGTERM, signal.SIGQUIT, signal.SIGPIPE,
           signal.SIGVTALRM, signal.SIGPROF, signal.SIGXCPU, signal.SIGRTMIN + 2,
           # the core-dumping ones, as another process sends them (kill -ABRT, systemd's watchdog)
           signal.SIGABRT, signal.SIGTRAP, signal.SIGSYS, signal.SIGBUS, signal.SIGSEGV, signal.SIGFPE, signal.SIGILL]


def _signal_id(sig):
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"SIGRTMIN+{sig - signal.SIGRTMIN}"


@pytest.mark.parametrize("sig", SIGNALS, ids=_signal_id)
def test_a_terminating_signal_reaches_the_command_and_frees_the_slot(run_name, tmp_path, sig):
    proc, child = start_run(run_name, tmp_path, "ulimit -c 0; exec sleep 30")  # no core file
    try:
        assert value(run_name) == 0
        os.kill(proc.pid, sig)
        assert proc.wait(timeout=10) == 128 + sig  # sleep died of it, and nob-sem says so
        assert value(run_name) == 1
        wait_until(lambda: _gone(child), timeout=5, what="the command to be gone")
    finally:
        _stop(proc, child)


def test_a_command_that_traps_the_signal_decides_the_status(run_name, tmp_path):
    got = tmp_path / "got"
    proc, child = start_run(run_name, tmp_path, f"trap 'echo USR1 > {got}; exit 5' USR1; "
                                                 "while :; do sleep 0.05; done")
    try:
        proc.send_signal(signal.SIGUSR1)
        assert proc.wait(timeout=10) == 5
        assert got.read_text() == "USR1\n"
        assert value(run_name) == 1
    finally:
        _stop(proc, child)


def test_sigkill_of_nob_sem_takes_the_command_with_it(run_name, tmp_path):
    proc, child = start_run(run_name, tmp_path, "exec sleep 30")
    try:
        proc.kill()
        proc.wait(timeout=10)
        wait_until(lambda: _gone(child), timeout=5, what="the orphaned command to be killed")
    finally:
        _stop(proc, child)
