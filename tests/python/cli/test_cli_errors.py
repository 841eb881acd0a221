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
        ["run", name, "--slots", "65537", "--", "true"],
        ["create", name, "--value", str(2**31)],
        ["post", name, "-n", str(2**31)],
        ["unlink", "--prefix", "a b"],
        ["unlink", "--kind", "bogus", name],
        ["list", "--kind", "sems"],
        ["completion", "zsh"],
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
    assert r.stderr.startswith("nob-sem: ") and "error:" not in r.stderr and "nob:" not in r.stderr, r.stderr
    for parameter in ("initial_value", "handle_existence", "unlink_on_delete"):
        assert parameter not in r.stderr, r.stderr  # the flag is named, never the Python parameter


@pytest.mark.parametrize("args, flag", [(["create", "x", "--value", str(2**31)], "--value"),
                                        (["run", "x", "--slots", "65537", "--", "true"], "--slots"),
                                        (["post", "x", "-n", "0"], "-n"),
                                        (["wait", "x", "--timeout", "-1"], "--timeout"),
                                        (["create", "x", "--mode", "8"], "--mode")])
def test_a_bad_value_names_its_flag(args, flag):
    r = cli(*args)
    assert_clean_error(r, 2)
    assert flag in r.stderr, r.stderr


@pytest.mark.parametrize("args, command", [(["create", "a", "b"], "create"), (["info", "a", "b"], "info"),
                                           (["list", "extra"], "list"), (["post", "a", "--bogus"], "post")])
def test_a_usage_error_points_at_the_help_of_its_command(args, command):
    r = cli(*args)
    assert_clean_error(r, 2)
    assert f"'nob-sem {command} --help'" in r.stderr, r.stderr


def test_unlink_with_one_bad_name_removes_nothing(sem_name):
    assert cli("create", sem_name).returncode == 0
    assert_clean_error(cli("unlink", sem_name, "bad name"), 2)
    assert os.path.exists(shm_file(sem_name))
    assert cli("unlink", sem_name).returncode == 0


def test_an_existing_name_is_one_line_exit_4(sem_name):
    assert cli("create", sem_name).returncode == 0
    assert_clean_error(cli("create", sem_name), 4)
    assert cli("unlink", sem_name).returncode == 0
