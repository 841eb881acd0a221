"""docs/python.md lists every public member of NamedSharedMemory and NamedMessageQueue
in its own section; docs/migration.md has the section on nob.py 1.6.3."""

from pathlib import Path

import pytest

from nob.ipc import NamedMessageQueue, NamedSharedMemory

DOCS = Path(__file__).resolve().parents[3] / "docs"


def section(text, heading):
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else len(text)]


@pytest.mark.parametrize("cls", [NamedSharedMemory, NamedMessageQueue], ids=lambda c: c.__name__)
def test_every_public_member_is_in_its_section(cls):
    body = section((DOCS / "python.md").read_text(), cls.__name__)
    public = [n for n in dir(cls) if not n.startswith("_")] + ["__enter__", "__exit__"]
    missing = [n for n in public if f"`{n}" not in body]
    assert not missing, f"docs/python.md ## {cls.__name__} does not document {missing}"


def test_migration_page_covers_1_6_3():
    body = section((DOCS / "migration.md").read_text(),
                   "From nob.py 1.6.3's `nob.ipc` (Python): shared memory and message queues")
    for word in ("`.mdq`", "`.mqd`", "unlink_on_delete", "mode", "ValueError", "close()"):
        assert word in body, word
