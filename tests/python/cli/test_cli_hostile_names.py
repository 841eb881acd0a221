"""nob-sem list/info/unlink with names another local user picked: escaped, never raw on the terminal."""

import json
import os
import subprocess

import pytest
from test_cli_support import SHM, assert_clean_error, cli, nob_sem_cmd

from conftest import RUN_PREFIX


def _spelled(raw):
    """How nob-sem spells the bytes of a name: \\xNN for anything outside '!'..'~' and for '\\'."""
    return "".join(chr(b) if 0x21 <= b <= 0x7E and b != 0x5C else f"\\x{b:02x}" for b in raw)


@pytest.fixture
def hostile(sem_prefix):
    """hostile(suffix_bytes) creates /dev/shm/sem.<prefix>-<suffix> directly, as another
    library or user could; returns the bytes after 'sem.'. Removed after the test."""
    made = []

    def make(suffix, content=b""):
        raw = os.fsencode(sem_prefix) + b"-" + suffix
        path = os.fsencode(SHM) + b"/sem." + raw
        with open(path, "wb") as f:
            f.write(content)
        made.append(path)
        return raw

    yield make
    for path in made:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def _list_bytes(*args):
    """`nob-sem list` with its output as bytes (nothing decoded on our side either)."""
    r = subprocess.run(nob_sem_cmd("list", *args), capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _assert_printable(out):
    assert all(b == 0x0A or 0x20 <= b <= 0x7E for b in out), [b for b in out if not (b == 10 or 32 <= b < 127)]


def test_terminal_escapes_in_a_name_are_printed_escaped(hostile):
    raw = hostile(b"x\x1b]0;PWNED\x07\x1b[2J\x1b[31mred\x9b")
    out = _list_bytes()
    _assert_printable(out)
    assert ("/" + _spelled(raw)).encode() in out
    r = subprocess.run(nob_sem_cmd("info", "--raw", "/" + _spelled(raw)), capture_output=True, timeout=30)
    assert r.returncode == 6  # exists, but is no semaphore
    _assert_printable(r.stdout + r.stderr)
    assert f"name:     /{_spelled(raw)}".encode() in r.stdout


def test_a_newline_in_a_name_cannot_forge_a_row(hostile):
    forged = b"\n/" + RUN_PREFIX.encode() + b"-forged  plain  5  -  -  0600  root  32"
    raw = hostile(b"nl" + forged.replace(b"/", b""))
    out = _list_bytes().decode()
    rows = [ln for ln in out.splitlines() if RUN_PREFIX + "-" in ln and "forged" in ln]
    assert len(rows) == 1, rows  # one file, one row
    assert rows[0].split()[0] == "/" + _spelled(raw)  # the name is one word, nothing after it is its own
    assert not any(ln.startswith(f"{RUN_PREFIX}-forged") for ln in out.splitlines())


def test_a_non_utf8_name_does_not_hide_the_others(hostile, make_name):
    good = make_name("good")
    assert cli("create", good, "--value", "2").returncode == 0
    try:
        raw = hostile(b"x\xff\xfe")
        out = _list_bytes().decode("ascii")  # all of it ASCII
        assert f"/{_spelled(raw)} " in out
        row = next(ln for ln in out.splitlines() if ln.startswith(f"/{good} "))
        assert row.split()[1:3] == ["plain", "2"]
        entries = {e["name"]: e for e in json.loads(_list_bytes("--json"))}
        assert entries["/" + good]["value"] == 2
        odd = entries["/" + _spelled(raw)]
        assert odd["value"] is None and odd["error"]
        assert odd["path"] == f"{SHM}/sem.{_spelled(raw)}"
    finally:
        assert cli("unlink", good).returncode == 0


def test_json_names_are_the_listed_spelling(hostile):
    raw = hostile(b"tab\tq\"b\\s p")
    entries = {e["name"]: e for e in json.loads(_list_bytes("--json"))}
    assert "/" + _spelled(raw) in entries
    assert "\\x09" in _spelled(raw) and "\\x5c" in _spelled(raw) and "\\x20" in _spelled(raw)


def test_unlink_raw_removes_exactly_the_listed_name(hostile, sem_prefix):
    raw = hostile(b"made by\xffanother lib")
    bystander = hostile(b"made")  # a prefix of the other: must stay
    path = os.fsencode(SHM) + b"/sem." + raw
    assert_clean_error(cli("unlink", "/" + _spelled(raw)), 2)  # not a name nob accepts
    assert os.path.exists(path)
    r = cli("unlink", "--raw", "/" + _spelled(raw))
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(path)
    assert os.path.exists(os.fsencode(SHM) + b"/sem." + bystander)
    r = cli("unlink", "--raw", "/" + _spelled(raw))
    assert r.returncode == 3 and "no such semaphore" in r.stderr


def test_unlink_raw_removes_a_symlink_not_its_target(hostile, sem_prefix, tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"keep me")
    link = os.path.join(SHM, f"sem.{sem_prefix}-link\x01")
    os.symlink(target, link)
    try:
        entries = {e["name"]: e for e in json.loads(_list_bytes("--json"))}
        assert entries[f"/{sem_prefix}-link\\x01"]["error"] == "not a regular file"
        r = cli("unlink", "--raw", f"{sem_prefix}-link\\x01")
        assert r.returncode == 0, r.stderr
        assert not os.path.lexists(link)
        assert target.read_bytes() == b"keep me"
    finally:
        if os.path.lexists(link):
            os.unlink(link)


@pytest.mark.parametrize("spelling, why", [("a/b", "not a file name"), ("..\\x2fpasswd", "not a file name"),
                                           ("x\\x00y", "not a file name"), ("", "not a file name"),
                                           ("/", "not a file name"), ("x\\q", "backslash"), ("x\\x4", "backslash")])
def test_unlink_raw_refuses_what_no_file_in_dev_shm_can_be_called(spelling, why):
    r = cli("unlink", "--raw", spelling)
    assert_clean_error(r, 2)
    assert why in r.stderr


def test_unlink_raw_removes_a_robust_kind_file_of_any_name(sem_prefix):
    path = os.fsencode(SHM) + b"/nob." + os.fsencode(sem_prefix) + b"-\xff\x1b"
    open(path, "wb").close()
    try:
        entries = {e["name"]: e for e in json.loads(_list_bytes("--json"))}
        e = entries[f"/{sem_prefix}-\\xff\\x1b"]
        assert e["kind"] == "robust" and e["value"] is None and e["error"]
        r = cli("unlink", "--raw", f"/{sem_prefix}-\\xff\\x1b")
        assert r.returncode == 0, r.stderr
        assert not os.path.exists(path)
    finally:
        if os.path.exists(path):
            os.unlink(path)


def test_unlink_raw_touches_only_semaphore_files_unless_told_the_kind(sem_prefix):
    other = os.path.join(SHM, f"{sem_prefix}-notasem\x01")  # no 'sem.' prefix: a shared memory object
    open(other, "wb").close()
    try:
        r = cli("unlink", "--raw", f"{sem_prefix}-notasem\\x01")
        assert r.returncode == 3
        assert os.path.exists(other)
        r = cli("unlink", "--raw", "--kind", "shm", f"{sem_prefix}-notasem\\x01")
        assert r.returncode == 0, r.stderr
        assert not os.path.exists(other)
    finally:
        if os.path.exists(other):
            os.unlink(other)
