"""nob-sem started with stdin, stdout or stderr closed (`cmd >&-`, a daemon's child): `run`
runs CMD with the same descriptors closed and exits with its status; a command whose output
would be lost says so (exit 6); nothing prints a traceback, and no file nob-sem opens takes
the place of a closed descriptor.

(Before: with stdout or stderr closed, `run` died of AttributeError ('NoneType' object has
no attribute 'flush', exit 1) and CMD never ran.)"""

import subprocess

import pytest
from test_cli_support import nob_sem_path

# CMD writes which of its descriptors 0, 1, 2 are open to $1.
PROBE = ('s=; for fd in 0 1 2; do if [ -e /proc/$$/fd/$fd ]; then s="$s$fd open "; else s="$s$fd closed "; fi; '
         'done; printf "%s" "$s" > "$1"')


def _sh(script):
    """Runs a bash script with NOB_SEM set; returns CompletedProcess."""
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                          env={"NOB_SEM": nob_sem_path(), "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("closed, fds", [("<&-", "0 closed 1 open 2 open "), (">&-", "0 open 1 closed 2 open "),
                                         ("2>&-", "0 open 1 open 2 closed "),
                                         ("<&- >&- 2>&-", "0 closed 1 closed 2 closed ")])
def test_run_runs_cmd_with_the_same_descriptors_closed(sem_name, tmp_path, closed, fds):
    out = tmp_path / "fds"
    r = _sh(f'"$NOB_SEM" run {sem_name} -- sh -c \'{PROBE}; exit 7\' sh {out} {closed}; echo "exit $?"')
    assert r.stdout == "exit 7\n", r.stderr
    assert "Traceback" not in r.stderr
    assert out.read_text() == fds


def test_list_with_stdout_closed_says_its_output_is_lost(sem_name):
    r = _sh(f'"$NOB_SEM" list >&-; echo "exit $?" >&2')
    assert r.stderr == "nob-sem: standard output is closed\nexit 6\n"


@pytest.mark.parametrize("closed", ["2>&-", "<&- >&- 2>&-"])
def test_a_failure_with_stderr_closed_still_has_its_exit_code(sem_name, closed):
    r = _sh(f'"$NOB_SEM" info {sem_name} {closed}; echo "exit $?"')
    assert r.stdout == "exit 3\n"
