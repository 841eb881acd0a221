"""nob-sem refuses bad names and arguments: exit 2, one line on stderr, no traceback."""

import os

import pytest
from test_cli_support import assert_clean_error, cli, shm_file


def _cases(name):
    big = str(2**40)
    return [
        ["info", "bad name"],
        ["info", "a/b"],
        ["create", ""],
        ["create", "..."],
        ["create", "x" * 252],
        ["create", "caf\u00e9"],
        ["create", name, "--value", "-1"],
        ["create", name, "--value", "abc"],
        ["create", name, "--value", big],
        ["create", name, "--mode", "999"],
        ["create", name, "--mode", "01777"],
        ["post", name, "-n", "0"],
        ["post", name, "-n", "1.5"],
        ["wait", name, "--timeout", "-1"],
        ["wait", name, "--timeout", "nan"],
        ["wait", name, "--timeout", "soon"],
        ["unlink", name, "bad@name"],
        ["unlink"],
        ["run", name, "--slots", "0", "--", "true"],
        ["run", name],
        ["run", name, "--"],
        ["run", "bad name", "--", "true"],
        ["demo", "--workers", "0"],
        ["list", "--bogus"],
        ["frobnicate"],
        [],
    ]


@pytest.mark.parametrize("index", range(len(_cases("x"))))
def test_bad_name_or_argument_exits_2_with_one_line(sem_name, index):
    args = _cases(sem_name)[index]
    r = cli(*args)
    assert_clean_error(r, 2)
    assert not os.path.exists(shm_file(sem_name)), args  # refused before creating anything


def test_unlink_with_one_bad_name_removes_nothing(sem_name):
    assert cli("create", sem_name).returncode == 0
    assert_clean_error(cli("unlink", sem_name, "bad name"), 2)
    assert os.path.exists(shm_file(sem_name))
    assert cli("unlink", sem_name).returncode == 0


def test_system_error_is_one_line_exit_1(sem_name):
    assert cli("create", sem_name).returncode == 0
    assert_clean_error(cli("create", sem_name), 1)
    assert cli("unlink", sem_name).returncode == 0
