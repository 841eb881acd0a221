"""Each outcome of nob-sem has its own exit code (docs/cli.md, "Exit codes"), so a script can
tell them apart: 0 done, 1 timed out / would block / busy, 2 bad usage, 3 no such object,
4 already exists, 5 permission denied, 6 any other failure, 128+N ended by signal N
(before, 1 meant absent, exists, timed out, would overflow and system error alike)."""

import os
import signal
import subprocess
import sys
import time

import pytest
from test_cli_support import PrivateIpc, cli, other_user, robust_file_of, run_as, shm_file, start_cli, wait_until


@pytest.fixture
def plain(sem_name):
    """A plain semaphore at value 0, removed after the test."""
    assert cli("create", sem_name, "--value", "0").returncode == 0
    yield sem_name
    cli("unlink", sem_name)


def test_0_done(plain):
    assert cli("post", plain).returncode == 0
    assert cli("wait", plain, "--timeout", "0").returncode == 0


@pytest.mark.parametrize("args", [["wait", "{}", "--timeout", "0"], ["wait", "{}", "--timeout", "0.2"],
                                  ["run", "--timeout", "0.2", "{}", "--", "true"]])
def test_1_timed_out(plain, args):
    r = cli(*[a.format(plain) for a in args])
    assert r.returncode == 1, (r.returncode, r.stderr)


def test_1_a_post_that_would_pass_the_maximum(plain):
    assert cli("post", plain, "-n", "2147483647").returncode == 0  # at the maximum
    r = cli("post", plain)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "would pass the maximum" in r.stderr


@pytest.mark.parametrize("args", [["info", "{}"], ["holders", "{}"], ["post", "{}"], ["wait", "{}"],
                                  ["unlink", "{}"], ["unlink", "--kind", "all", "{}"], ["info", "--kind", "mq", "{}"],
                                  ["unlink", "--prefix", "{}"]])
def test_3_no_such_object(sem_name, args):
    r = cli(*[a.format(sem_name) for a in args])
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert len(r.stderr.splitlines()) == 1


def test_3_for_a_stale_robust_file_which_counts_as_absent(sem_name):
    space = PrivateIpc()  # nobody else may notice the stale file and remove it first
    try:
        r = space.run([sys.executable, "-c", "import os, signal, sys\n"
                       "from nob.ipc import Flags, RobustSemaphore\n"
                       "sem = RobustSemaphore(sys.argv[1], 1, Flags.RAISE_IF_EXISTS)\n"
                       "os.kill(os.getpid(), signal.SIGKILL)", sem_name])
        assert r.returncode == -9, r.stderr
        assert space.exists(robust_file_of(sem_name))
        r = space.cli("info", sem_name)
        assert r.returncode == 3 and "stale" in r.stdout, (r.returncode, r.stdout, r.stderr)
    finally:
        space.close()


def test_4_already_exists(plain):
    assert cli("create", plain).returncode == 4
    assert cli("demo", "--name", plain).returncode == 4


def test_5_permission_denied(sem_name):
    user = other_user("nob-cli-victim")
    assert cli("create", sem_name, "--mode", "0600").returncode == 0  # root's, closed to others
    try:
        for args in (["wait", sem_name, "--timeout", "0"], ["post", sem_name], ["unlink", sem_name],
                     ["unlink", "--any-owner", sem_name], ["run", "--plain", sem_name, "--", "true"]):
            r = run_as(user, "sys.exit(nob.ipc._cli.main(sys.argv[1:]))", *args)
            assert r.returncode == 5, (args, r.returncode, r.stderr)
            assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
        r = run_as(user, "sys.exit(nob.ipc._cli.main(sys.argv[1:]))", "info", sem_name)
        assert r.returncode == 5 and "permission denied" in r.stdout, (r.returncode, r.stdout, r.stderr)
    finally:
        cli("unlink", sem_name)


def test_6_another_failure(sem_name):
    with open(robust_file_of(sem_name), "wb") as f:
        f.write(b"garbage" * 100)
    with open(shm_file(sem_name), "wb") as f:
        f.write(b"x")
    try:
        for args in (["info", "--kind", "robust", sem_name], ["holders", sem_name], ["info", "--plain", sem_name],
                     ["post", sem_name], ["wait", sem_name]):
            r = cli(*args)
            assert r.returncode == 6, (args, r.returncode, r.stdout, r.stderr)
    finally:
        os.unlink(robust_file_of(sem_name))
        os.unlink(shm_file(sem_name))


def _shell_status(returncode):
    """The exit status a shell reports: 128+N for a process killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGUSR1],
                         ids=lambda s: signal.Signals(s).name)
@pytest.mark.parametrize("command", ["wait", "run"])
def test_128_plus_n_when_a_signal_ends_a_wait(plain, command, sig):
    args = ["wait", plain] if command == "wait" else ["run", plain, "--", "true"]
    proc = start_cli(*args)
    try:
        from test_cli_support import sleeping_in_wait

        wait_until(lambda: sleeping_in_wait(proc.pid, plain), what=f"{command} to block")
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 128 + sig
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


LEASER = """
import fcntl, os, signal, sys, time
signal.signal(signal.SIGIO, signal.SIG_IGN)  # told of a lease break: keep the lease anyway
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
print("leased", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("args", [["create", "--exist-ok", "{}"], ["post", "{}"]])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: signal.Signals(s).name)
def test_128_plus_n_when_a_signal_ends_a_wait_for_a_lease(plain, args, sig):
    leaser = subprocess.Popen([sys.executable, "-c", LEASER, shm_file(plain)], stdout=subprocess.PIPE, text=True)
    try:
        assert leaser.stdout.readline() == "leased\n"
        proc = start_cli(*[a.format(plain) for a in args])
        time.sleep(1)  # well into the wait: sem_open would wait 45 s in the kernel
        assert proc.poll() is None
        proc.send_signal(sig)
        assert _shell_status(proc.wait(timeout=10)) == 128 + sig
        assert "Traceback" not in proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    finally:
        leaser.kill()
        leaser.wait()
        leaser.stdout.close()


def test_126_and_127_when_run_cannot_start_the_command(plain, tmp_path):
    assert cli("post", plain).returncode == 0
    assert cli("run", plain, "--", "nob-no-such-command").returncode == 127
    not_executable = tmp_path / "script"
    not_executable.write_text("#!/bin/sh\n")
    assert cli("run", plain, "--", str(not_executable)).returncode == 126
    assert cli("info", plain, "--json").returncode == 0

