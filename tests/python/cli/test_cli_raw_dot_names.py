"""`--raw .` and `--raw ..` name no object: with --kind shm or mq (whose file is the NAME
itself) they are the directory or its parent, so info says "no such" (exit 3) and unlink,
even --dry-run, removes nothing and would remove nothing. With a semaphore kind the file
is sem.. or nob.., an ordinary name, reached as usual.

(Before: `info --raw --kind shm ..` showed /dev as a shared memory object "/.." (exit 6);
`unlink --raw --kind all --dry-run .. .` tried /dev/shm/. and /dev/mqueue/.. as objects.)"""

import json
import os

import pytest
from test_cli_support import cli


@pytest.mark.parametrize("kind", ["shm", "mq"])
@pytest.mark.parametrize("word", [".", "..", "/.", "/.."])
def test_info_of_a_dot_name_finds_no_object(kind, word):
    r = cli("info", "--raw", "--kind", kind, "--json", word)
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == "" and "no such" in r.stderr, r.stderr


def test_unlink_of_dot_names_touches_nothing():
    for extra in (["--dry-run"], []):
        r = cli("unlink", "--raw", "--kind", "shm", "--kind", "mq", *extra, "..", ".")
        assert r.returncode == 3, (extra, r.returncode, r.stdout, r.stderr)
        assert "would remove" not in r.stdout and "directory" not in r.stderr, (r.stdout, r.stderr)
    assert os.path.isdir("/dev/shm")


def test_a_plain_semaphore_named_dot_is_still_reached_with_raw(sem_name):
    # sem_open("/.") makes /dev/shm/sem.. (glibc allows the name); --raw reaches what list shows.
    path = "/dev/shm/sem.."
    if os.path.exists(path):
        pytest.skip("/dev/shm/sem.. exists already")
    assert cli("create", sem_name).returncode == 0
    try:
        os.link(f"/dev/shm/sem.{sem_name}", path)  # the same semaphore under the name "."
        try:
            r = cli("info", "--raw", "--kind", "plain", "--json", ".")
            assert r.returncode == 0, r.stderr
            assert json.loads(r.stdout)["name"] == "/."
        finally:
            os.unlink(path)
    finally:
        cli("unlink", sem_name)
