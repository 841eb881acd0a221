"""A fresh name that exists is never opened and never removed: name=None
draws another. Collisions are forced in a child whose random source the test
chooses (fresh_support: getrandom refused, /dev/urandom a FIFO with the
test's bytes) after it made the objects those names belong to. A source
that only repeats ends in FileExistsError after 100 draws, saying so, and
leaves nothing behind. Where getrandom is refused, /dev/urandom serves."""

import pytest

from fresh_support import KINDS, check_private, run_private


@pytest.mark.parametrize("kind_id", KINDS)
def test_a_taken_name_is_drawn_again_and_left_alone(kind_id, tmp_path):
    check_private(run_private(f"""
        kind = fs.KINDS[{kind_id!r}]
        taken, free = b"\\xa1" * 8, b"\\xb2" * 8
        other = kind.create("/nob-" + taken.hex())  # someone else's object
        kind.mark(other)
        before = fs.entries()
        fs.choose_random_source([taken, taken, free], {str(tmp_path / "urandom")!r})
        h = kind.make()
        assert h.name == "/nob-" + free.hex(), h.name
        assert h.linked_existing_object is False
        assert kind.marked(kind.open(other.name))  # the other object, as it was
        h.close()
        assert fs.entries() == before, fs.entries()
    """))


@pytest.mark.parametrize("kind_id", KINDS)
def test_a_draw_that_repeats_for_ever_ends_in_file_exists(kind_id, tmp_path):
    check_private(run_private(f"""
        kind = fs.KINDS[{kind_id!r}]
        taken = b"\\x5c" * 8
        other = kind.create("/nob-" + taken.hex())
        before = fs.entries()
        fs.choose_random_source([taken] * 100, {str(tmp_path / "urandom")!r})
        try:
            kind.make()
        except FileExistsError as e:
            assert "every fresh name drawn already existed" in str(e), e
            assert "/nob-" + taken.hex() in str(e), e
        else:
            sys.exit("created under a name that exists")
        assert fs.entries() == before, fs.entries()
        assert kind.cls.exists(other.name)
    """))


@pytest.mark.parametrize("kind_id", KINDS)
def test_dev_urandom_serves_where_getrandom_is_refused(kind_id, tmp_path):
    check_private(run_private(f"""
        kind = fs.KINDS[{kind_id!r}]
        fs.choose_random_source([bytes.fromhex("0123456789abcdef")], {str(tmp_path / "urandom")!r})
        h = kind.make()
        assert h.name == "/nob-0123456789abcdef", h.name
        h.close()
        assert fs.entries() == [], fs.entries()
    """))
