"""Every module of nob-sem's source directory (bindings/python/nob/ipc/_cli/) is installed:
meson installs the directory as a whole (install_subdir), so a new module cannot be left
out of the wheel, as one left out of a hand-kept list would be."""

from pathlib import Path

import pytest

import nob.ipc._cli

SOURCE = Path(__file__).resolve().parents[3] / "bindings" / "python" / "nob" / "ipc" / "_cli"


@pytest.mark.skipif(not SOURCE.is_dir(), reason="the source tree is not beside these tests")
def test_every_module_of_the_source_is_installed():
    installed = Path(nob.ipc._cli.__file__).parent
    modules = sorted(p.name for p in SOURCE.glob("*.py"))
    assert "__init__.py" in modules
    assert [m for m in modules if not (installed / m).is_file()] == []
