"""`nob-sem completion bash` prints a bash completion script: sourced in bash, its function
completes subcommands, each subcommand's options, --kind's words, existing names (from
/dev/shm and /dev/mqueue, without starting Python) and, after `run ... --`, commands."""

import os
import shutil
import subprocess

import pytest
from test_cli_support import cli, nob_sem_path

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")


def complete(*words, cur=None):
    """What bash offers for the command line `nob-sem words...` (the last word is completed)."""
    script = cli("completion", "bash")
    assert script.returncode == 0, script.stderr
    line = ["nob-sem", *words]
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in line)
    program = (f"source /dev/stdin; COMP_WORDS=({quoted}); COMP_CWORD={len(line) - 1}; _nob_sem; "
               'printf "%s\\n" "${COMPREPLY[@]}"')
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], input=script.stdout, capture_output=True,
                       text=True, timeout=30, env={**os.environ, "PATH": os.path.dirname(nob_sem_path()) + ":"
                                                   + os.environ.get("PATH", "")})
    assert r.returncode == 0, r.stderr
    return [w for w in r.stdout.splitlines() if w]


def test_the_script_registers_itself_for_nob_sem():
    r = cli("completion")
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().endswith("complete -F _nob_sem nob-sem")
    assert cli("completion", "bash").stdout == r.stdout


def test_subcommands():
    assert complete("") == ["list", "info", "holders", "create", "post", "wait", "unlink", "run", "demo",
                            "completion", "--help", "--version"]
    assert complete("in") == ["info"]
    assert complete("--kind", "li") == ["list"]  # top-level words that look like options are skipped


def test_options_of_each_subcommand():
    assert complete("wait", "--t") == ["--timeout"]
    assert set(complete("unlink", "--")) >= {"--prefix", "--kind", "--raw", "--any-owner", "--dry-run", "--verbose"}
    assert complete("run", "x", "--sl") == ["--slots"]
    assert complete("list", "--") == ["--help", "--json", "--kind"]


def test_kind_words_after_kind():
    assert complete("list", "--kind", "") == ["all", "sem", "plain", "robust", "shm", "mq"]
    assert complete("unlink", "--kind", "s") == ["sem", "shm"]
    assert complete("wait", "--timeout", "") == []  # a number: nothing to offer


def test_existing_names(make_name):
    plain, other = make_name("comp-a"), make_name("comp-b")
    assert cli("create", plain).returncode == 0
    shm = os.path.join("/dev/shm", other)
    with open(shm, "wb"):
        pass
    try:
        assert complete("info", make_name("comp-")) == [plain, other]
        assert complete("unlink", "/" + make_name("comp-a")) == ["/" + plain]  # the slash kept
        assert complete("post", make_name("comp-b")) == [other]
        assert complete("create", make_name("comp-")) == []  # create makes new names
        assert complete("unlink", "--prefix", make_name("comp-")) == [plain, other]
    finally:
        cli("unlink", plain)
        os.unlink(shm)


def test_a_name_nob_refuses_is_not_offered(sem_prefix):
    odd = os.path.join("/dev/shm", f"sem.{sem_prefix}-odd name")
    with open(odd, "wb"):
        pass
    try:
        assert complete("info", f"{sem_prefix}-odd") == []
    finally:
        os.unlink(odd)


def test_commands_after_the_dashes_of_run():
    assert "sleep" in complete("run", "x", "--", "slee")


def test_run_name_then_a_command_completes_commands():
    # the short form `run NAME CMD...`: after NAME come commands, and options only when asked
    assert "sleep" in complete("run", "x", "slee")
    assert "sleep" in complete("run", "--slots", "2", "x", "--", "slee")
    assert complete("run", "x", "--sl") == ["--slots"]
    assert complete("run", "--slots", "") == []  # a number


def test_failglob_and_an_empty_directory_print_nothing(sem_prefix, tmp_path):
    # bash's failglob makes a glob that matches nothing an error: never from the completion
    script = cli("completion", "bash").stdout.replace("/dev/mqueue/*", f"{tmp_path}/*")
    program = ("shopt -s failglob; source /dev/stdin; COMP_WORDS=(nob-sem info ''); COMP_CWORD=2; _nob_sem; "
               'printf "%s\\n" "${COMPREPLY[@]}"; shopt failglob')
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], input=script, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout.rstrip().endswith("failglob       \ton"), r.stdout  # the user's setting kept


def test_a_name_that_starts_with_a_dash_is_offered_with_its_slash(sem_prefix):
    dash = os.path.join("/dev/shm", f"sem.-{sem_prefix}-dash")
    with open(dash, "wb"):
        pass
    try:
        assert complete("info", "").count(f"/-{sem_prefix}-dash") == 1
        assert complete("info", f"/-{sem_prefix}") == [f"/-{sem_prefix}-dash"]
        assert complete("unlink", "--prefix", "/-") == [f"/-{sem_prefix}-dash"]
    finally:
        os.unlink(dash)


def test_names_longer_than_nob_accepts_are_not_offered(sem_prefix):
    from nob.ipc._cli_native import MAX_NAME_LENGTH

    longest = MAX_NAME_LENGTH
    made = []
    for n in (longest, longest + 1):
        name = (sem_prefix + "-long-").ljust(n, "L")
        made.append(os.path.join("/dev/shm", name))  # a shared memory object: its file name is the NAME
        with open(made[-1], "wb"):
            pass
    try:
        assert complete("info", sem_prefix + "-long-") == [os.path.basename(made[0])]
    finally:
        for path in made:
            os.unlink(path)
