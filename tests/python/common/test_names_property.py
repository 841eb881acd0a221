"""Property tests (hypothesis) for name normalisation against the contract's rule."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from nob.ipc import normalize_name

VALID_BODY = re.compile(r"[A-Za-z0-9._-]{1,251}")
NAME_CHARS = st.sampled_from("abcXYZ019._-")


def contract_accepts(name):
    """The contract's rule, written independently of the implementation."""
    body = name.lstrip("/")
    return bool(VALID_BODY.fullmatch(body)) and set(body) != {"."}


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 3), st.text(NAME_CHARS, min_size=1, max_size=260))
def test_valid_bodies_normalise_to_one_slash(slashes, body):
    name = "/" * slashes + body
    if contract_accepts(name):
        assert normalize_name(name) == "/" + body
    else:
        try:
            normalize_name(name)
        except ValueError:
            return
        raise AssertionError(f"{name!r} was accepted")


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=0, max_size=40))
def test_any_text_is_accepted_exactly_when_the_contract_says_so(name):
    try:
        got = normalize_name(name)
    except ValueError:
        assert not contract_accepts(name)
    else:
        assert contract_accepts(name)
        assert got == "/" + name.lstrip("/")
