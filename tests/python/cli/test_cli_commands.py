"""nob-sem create / info / list / post / wait / unlink, run as the installed console script."""

import json
import os
import signal
import subprocess
import time

import pytest
from test_cli_support import (
    assert_clean_error,
    cli,
    info,
    module_cmd,
    shm_file,
    sleeping_in_wait,
    start_cli,
    value,
    wait_until,
)

import nob


@pytest.mark.parametrize("via", ["script", "module"])
def test_version_names_the_package_version(via):
    r = cli("--version", via=module_cmd) if via == "module" else cli("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"nob-sem (nob.py) {nob.__version__}"


@pytest.mark.parametrize("command", [[], ["list"], ["info"], ["holders"], ["create"], ["post"], ["wait"],
                                     ["unlink"], ["run"], ["demo"], ["completion"]])
def test_help_on_every_command(command):
    r = cli(*command, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: nob-sem"), r.stdout
    if command:
        assert f"nob-sem {command[0]}" in r.stdout.splitlines()[0]


def test_post_help_says_it_adds_in_one_atomic_add():
    r = cli("post", "--help")
    assert "in one atomic add" in " ".join(r.stdout.split())
    assert "sem_post N times" not in r.stdout


def test_create_persists_with_value_and_exact_mode(sem_name):
    r = cli("create", sem_name, "--value", "3", "--mode", "0640")
    assert r.returncode == 0, r.stderr
    assert os.path.exists(shm_file(sem_name))  # outlives the tool
    got = info(sem_name)
    assert got["name"] == "/" + sem_name
    assert got["value"] == 3
    assert got["mode"] == "0640"
    assert got["size"] > 0
    assert got["uid"] == os.getuid()
    assert got["error"] is None
    assert cli("unlink", sem_name).returncode == 0


def test_create_refuses_an_existing_name_unless_exist_ok(sem_name):
    assert cli("create", sem_name, "--value", "2").returncode == 0
    r = cli("create", sem_name, "--value", "5")
    assert r.returncode == 4  # already exists
    assert "exists" in r.stderr and "Traceback" not in r.stderr
    r = cli("create", sem_name, "--value", "5", "--exist-ok")
    assert r.returncode == 0, r.stderr
    assert value(sem_name) == 2  # linked, left as it was
    assert cli("unlink", sem_name).returncode == 0


def test_info_of_a_missing_name_exits_3(sem_name):
    r = cli("info", sem_name)
    assert r.returncode == 3
    assert "no such object" in r.stderr  # of any kind
    assert not os.path.exists(shm_file(sem_name))


def test_list_json_reports_semaphores_and_survives_broken_files(make_name):
    good, empty, small = make_name("good"), make_name("empty"), make_name("small")
    odd = make_name("odd name")  # glibc allows it, nob does not
    assert cli("create", good, "--value", "4").returncode == 0
    open(shm_file(empty), "wb").close()  # zero length: mapping it would SIGBUS
    with open(shm_file(odd), "wb") as f:  # a sem_t holding 1, as glibc's sem_open("/... odd name") makes it
        f.write((1).to_bytes(8, "little") + (128).to_bytes(4, "little") + bytes(20))
    with open(shm_file(small), "wb") as f:
        f.write(b"abc")
    try:
        r = cli("list", "--json")
        assert r.returncode == 0, r.stderr
        entries = {e["name"]: e for e in json.loads(r.stdout)}
        assert entries["/" + good]["value"] == 4
        assert entries["/" + good]["mode"] == "0600"
        assert entries["/" + good]["kind"] == "plain"
        for broken, size in ((empty, 0), (small, 3)):
            assert entries["/" + broken]["value"] is None
            assert entries["/" + broken]["size"] == size
            assert entries["/" + broken]["error"]
        spelled = "/" + odd.replace(" ", "\\x20")  # the space escaped: a name is one word
        assert entries[spelled]["value"] == 1  # read from the file, whatever its name
        assert entries[spelled]["error"] is None
        text = cli("list")
        assert text.returncode == 0, text.stderr
        line = next(ln for ln in text.stdout.splitlines() if ln.startswith("/" + good + " "))
        assert line.split()[1:3] == ["plain", "4"]
        r = cli("info", empty, "--json")
        assert r.returncode == 6  # exists, but is no semaphore
        assert json.loads(r.stdout)["value"] is None
        assert_clean_error(cli("unlink", odd), 2)  # nob refuses the name ...
        assert cli("unlink", "--raw", spelled).returncode == 0  # ... unless spelled as list shows it
        assert not os.path.exists(shm_file(odd))
    finally:
        if os.path.exists(shm_file(odd)):
            os.unlink(shm_file(odd))
        r = cli("unlink", good, empty, small)
    assert r.returncode == 0, r.stderr


def test_post_and_wait_count_units(sem_name):
    assert cli("create", sem_name, "--value", "0").returncode == 0
    assert cli("post", sem_name, "-n", "3").returncode == 0
    assert value(sem_name) == 3
    for _ in range(3):
        assert cli("wait", sem_name, "--timeout", "0").returncode == 0
    r = cli("wait", sem_name, "--timeout", "0")
    assert r.returncode == 1
    assert "timed out" in r.stderr
    assert value(sem_name) == 0
    assert cli("unlink", sem_name).returncode == 0


def test_wait_timeout_is_honoured(sem_name):
    assert cli("create", sem_name, "--value", "0").returncode == 0
    t0 = time.monotonic()
    r = cli("wait", sem_name, "--timeout", "0.3")
    elapsed = time.monotonic() - t0
    assert r.returncode == 1
    assert 0.3 <= elapsed < 5.0
    assert cli("unlink", sem_name).returncode == 0


def test_wait_returns_when_another_process_posts(sem_name):
    assert cli("create", sem_name, "--value", "0").returncode == 0
    waiter = start_cli("wait", sem_name, "--timeout", "20")
    try:
        wait_until(lambda: sleeping_in_wait(waiter.pid, sem_name), what="the waiter to block")
        assert waiter.poll() is None
        assert cli("post", sem_name).returncode == 0
        assert waiter.wait(timeout=10) == 0
        assert value(sem_name) == 0  # the waiter took the unit
    finally:
        waiter.kill()
        waiter.wait()
        cli("unlink", sem_name)


def test_wait_interrupted_by_sigint_exits_130_promptly(sem_name):
    assert cli("create", sem_name, "--value", "0").returncode == 0
    waiter = start_cli("wait", sem_name)
    try:
        wait_until(lambda: sleeping_in_wait(waiter.pid, sem_name), what="the waiter to block")
        t0 = time.monotonic()
        waiter.send_signal(signal.SIGINT)
        assert waiter.wait(timeout=5) == 130
        assert time.monotonic() - t0 < 2.0
        assert "Traceback" not in waiter.stderr.read()
        assert value(sem_name) == 0
    finally:
        waiter.kill()
        waiter.wait()
        cli("unlink", sem_name)


def test_post_past_the_maximum_exits_1_and_keeps_the_value(sem_name):
    from nob.ipc import SEMAPHORE_VALUE_MAX

    assert cli("create", sem_name, "--value", "5").returncode == 0
    r = cli("post", sem_name, "-n", SEMAPHORE_VALUE_MAX)
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert value(sem_name) == 5
    assert cli("unlink", sem_name).returncode == 0


def test_post_to_a_missing_name_exits_3(sem_name):
    r = cli("post", sem_name)
    assert r.returncode == 3
    assert not os.path.exists(shm_file(sem_name))


def test_unlink_removes_all_and_reports_the_missing_one(make_name):
    a, b, missing = make_name("a"), make_name("b"), make_name("missing")
    assert cli("create", a).returncode == 0
    assert cli("create", b).returncode == 0
    r = cli("unlink", a, missing, b)
    assert r.returncode == 3
    assert missing in r.stderr and a not in r.stderr.replace(missing, "")
    assert not os.path.exists(shm_file(a))
    assert not os.path.exists(shm_file(b))
    assert cli("unlink", a).returncode == 3  # already gone


def test_module_entry_point_is_the_same_tool(sem_name):
    r = cli("create", sem_name, "--value", "2", via=module_cmd)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(module_cmd("info", sem_name, "--json"), capture_output=True, text=True, timeout=30)
    assert json.loads(r.stdout)["value"] == 2
    assert cli("unlink", sem_name, via=module_cmd).returncode == 0
    assert not os.path.exists(shm_file(sem_name))
