"""Numbers on the command line are ASCII decimal (octal for --mode): spellings that Python's
int() and float() also take (fullwidth or Arabic-Indic digits, "1_000", surrounding spaces,
"infinity") are refused with exit 2 before anything is made; the usual ones work.

(Before: `create --value ４` made a semaphore of value 4, `--value 1_000` one of 1000,
`--mode ' 0600'` and `wait --timeout 1_0` were taken.)"""

import json
import os

import pytest
from test_cli_support import cli, shm_file

REFUSED = [
    ("create", "--value", "\uff14"),  # fullwidth 4
    ("create", "--value", "\u0664"),  # Arabic-Indic 4
    ("create", "--value", "1_000"),
    ("create", "--value", " 5"),
    ("create", "--value", "5\n"),
    ("create", "--mode", " 0600"),
    ("create", "--mode", "0o6_00"),
    ("create", "--mode", "\uff10\uff16\uff10\uff10"),
    ("wait", "--timeout", "1_0"),
    ("wait", "--timeout", "\u0661"),
    ("wait", "--timeout", "infinity"),
    ("wait", "--timeout", " 1"),
    ("wait", "--timeout", "0x10"),
    ("post", "-n", "\uff12"),
]


@pytest.mark.parametrize("command,option,word", REFUSED)
def test_a_lax_spelling_is_refused_and_nothing_is_made(command, option, word, sem_name):
    name = sem_name if command == "create" else f"{sem_name}-x"
    r = cli(command, name, option, word)
    assert r.returncode == 2, (word, r.returncode, r.stdout, r.stderr)
    assert option in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert not os.path.exists(shm_file(name))


@pytest.mark.parametrize("mode,bits", [("0640", "0640"), ("640", "0640"), ("0o604", "0604"), ("0O600", "0600")])
def test_octal_modes_still_work(mode, bits, sem_name):
    assert cli("create", sem_name, "--value", "+3", "--mode", mode).returncode == 0
    try:
        entry = json.loads(cli("info", sem_name, "--json").stdout)
        assert (entry["value"], entry["mode"]) == (3, bits)
    finally:
        cli("unlink", sem_name)


@pytest.mark.parametrize("timeout", ["0", "0.5", ".5", "5.", "1e-1", "inf", "+1"])
def test_decimal_timeouts_still_work(timeout, sem_name):
    assert cli("create", sem_name).returncode == 0
    try:
        r = cli("wait", sem_name, "--timeout", timeout)
        assert r.returncode == 0, (timeout, r.stderr)
    finally:
        cli("unlink", sem_name)
