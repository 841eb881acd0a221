"""Names that start with '-' are never read as options: `nob-sem run "$N" -- cmd` with an
untrusted N either runs cmd under the name N or fails with exit 2, never exits 0 without running."""

import os

import pytest
from test_cli_support import assert_clean_error, cli, shm_file

OPTION_LIKE = ["--help", "--mode=0666", "-x", "-", "--slots=5", "-h"]


@pytest.mark.parametrize("name", OPTION_LIKE)
def test_run_refuses_an_option_looking_name_before_dashes(name, tmp_path):
    marker = tmp_path / "ran"
    r = cli("run", name, "--", "touch", marker)
    assert_clean_error(r, 2)
    assert "NAME" in r.stderr
    assert not marker.exists()


@pytest.mark.parametrize("name", OPTION_LIKE)
def test_run_refuses_an_option_looking_name_in_the_short_form(name, sem_name, tmp_path):
    marker = tmp_path / "ran"
    r = cli("run", name, sem_name, "touch", marker)  # --mode=0666 would shift NAME to sem_name
    assert_clean_error(r, 2)
    assert not marker.exists()
    assert not os.path.exists(shm_file(sem_name))


@pytest.mark.parametrize("command", ["info", "post", "wait", "create", "unlink", "holders"])
def test_other_commands_refuse_a_name_that_starts_with_dash(command, sem_name):
    r = cli(command, "-" + sem_name)
    assert_clean_error(r, 2)
    assert not os.path.exists(shm_file("-" + sem_name))


def test_a_dash_name_works_after_dashes_or_with_its_slash(sem_name, tmp_path):
    name = "-" + sem_name
    try:
        assert cli("create", "--value", "2", "--", name).returncode == 0
        assert os.path.exists(shm_file(name))
        r = cli("info", "--json", "--", name)
        assert r.returncode == 0, r.stderr
        assert '"value": 2' in r.stdout
        marker = tmp_path / "ran"
        r = cli("run", "/" + name, "--", "touch", marker)  # the leading '/' keeps it a NAME
        assert r.returncode == 0, r.stderr
        assert marker.exists()
        assert cli("unlink", "--", name).returncode == 0
    finally:
        if os.path.exists(shm_file(name)):
            os.unlink(shm_file(name))
