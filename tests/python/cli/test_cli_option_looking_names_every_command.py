"""Every command that takes a NAME refuses an option-looking NAME with exit 2 and does
nothing: `nob-sem COMMAND "$N"` for N = each of that command's options, alone and with a
value glued on (`--prefix=j`), never acts (only --help prints the usage, and exits 0).

(Before: `N=--prefix=j; nob-sem unlink "$N"` removed every semaphore whose name starts
with j, exit 0.)"""

import os

import pytest
from test_cli_support import cli, shm_file

from nob.ipc._cli.parser import build_parser, options, subcommands

NAMED = ["info", "holders", "create", "post", "wait", "unlink"]


def _words(command, target):
    """Option-looking words for `command`'s NAME: each option, and each valued one with a value."""
    every, valued = options(subcommands(build_parser())[command])
    words = set(every) | {f"{o}={target}" for o in valued if o.startswith("--")} | {f"{o}{target}" for o in valued
                                                                                     if not o.startswith("--")}
    return sorted(words)


@pytest.mark.parametrize("command", NAMED)
def test_a_single_option_looking_name_never_acts(command, sem_name):
    sentinel = f"{sem_name}-kept"
    assert cli("create", sentinel).returncode == 0
    try:
        for word in _words(command, sem_name[:3]):
            r = cli(command, word)
            if word in ("-h", "--help"):
                assert r.returncode == 0 and r.stdout.startswith("usage:"), (word, r.stderr)
                continue
            assert r.returncode == 2, (word, r.returncode, r.stdout, r.stderr)
            assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr, (word, r.stderr)
            assert os.path.exists(shm_file(sentinel)), f"{command} {word} removed {sentinel}"
        assert [f for f in os.listdir("/dev/shm") if sem_name in f] == ["sem." + sentinel]  # nothing made
    finally:
        cli("unlink", sentinel)


def test_prefix_takes_its_value_as_the_next_word(sem_name):
    assert cli("create", f"{sem_name}-a").returncode == 0
    r = cli("unlink", f"--prefix={sem_name}")
    assert r.returncode == 2, r.stderr
    assert "--prefix PREFIX" in r.stderr
    assert os.path.exists(shm_file(f"{sem_name}-a"))
    r = cli("unlink", "--prefix", sem_name)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(shm_file(f"{sem_name}-a"))
