"""Usage errors quote the words they refuse escaped: a stray word from untrusted input
(`nob-sem info "$A" "$B"`) cannot put terminal escapes on stderr."""

import pytest
from test_cli_support import assert_clean_error, cli

EVIL = "\x1b]0;TITLE\x07\x1b[2J"


@pytest.mark.parametrize("args", [("list", EVIL), ("info", "x", EVIL), ("unlink", "--bogus" + EVIL, "--", "x"),
                                  ("create", "x", "--value", EVIL), (EVIL,)])
def test_usage_errors_hold_no_control_character(args):
    r = cli(*args)
    assert_clean_error(r, 2)
    assert not any(ord(c) < 0x20 for c in r.stderr.rstrip("\n")), repr(r.stderr)
    assert "\\x1b" in r.stderr or "\\x1b" in r.stderr.replace("\\\\", "\\"), r.stderr
