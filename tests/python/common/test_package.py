"""The installed package: nob.get_include() and its header, version, typing files, exports."""

import importlib.metadata  # asked for as "nob-py": Python 3.9's finds no "nob.py" (no name normalization)
import os
import shutil
import subprocess

import pytest

import nob
import nob.ipc
from nob.ipc import SEMAPHORE_VALUE_MAX, Flags, NamedSemaphore


def test_version_matches_the_distribution_and_the_header():
    """One version: the distribution's, nob.__version__ and the header's macros."""
    import re

    version = importlib.metadata.version("nob-py")
    assert nob.__version__ == version
    with open(os.path.join(nob.get_include(), "nob", "common.hpp")) as f:
        macros = dict(re.findall(r"^#define NOB_VERSION_(MAJOR|MINOR|PATCH) (\d+)$", f.read(), re.M))
    assert f"{macros['MAJOR']}.{macros['MINOR']}.{macros['PATCH']}" == version
    # A final release above 1.6.3, the last nob.py on PyPI (another project).
    assert tuple(int(p) for p in version.split(".")) > (1, 6, 3)


def test_get_include_holds_the_header():
    inc = nob.get_include()
    assert os.path.isabs(inc)
    header = os.path.join(inc, "nob", "named_semaphore.hpp")
    assert os.path.isfile(header)
    with open(header) as f:
        assert "class named_semaphore" in f.read()


def test_exports():
    assert set(nob.ipc.__all__) >= {"NamedSemaphore", "Flags", "SEMAPHORE_VALUE_MAX"}
    assert nob.ipc.NamedSemaphore is NamedSemaphore and nob.ipc.Flags is Flags
    assert SEMAPHORE_VALUE_MAX == os.sysconf("SC_SEM_VALUE_MAX")
    assert NamedSemaphore.Flags is Flags


def test_typing_files_are_installed():
    pkg = os.path.dirname(nob.__file__)
    assert os.path.isfile(os.path.join(pkg, "py.typed"))
    assert os.path.isfile(os.path.join(pkg, "ipc", "_semaphore.pyi"))


def test_console_script_is_declared():
    eps = importlib.metadata.distribution("nob-py").entry_points
    assert [e.value for e in eps if e.name == "nob-sem"] == ["nob.ipc._cli:main"]


def test_public_methods_have_docstrings():
    for attr in ("acquire", "release", "unlink", "close", "name", "value", "closed",
                 "linked_existing_semaphore", "unlink_on_delete", "__enter__", "__exit__"):
        assert getattr(NamedSemaphore, attr).__doc__, attr
    assert NamedSemaphore.__doc__ and Flags.__doc__


def test_a_semaphore_cannot_be_pickled(sem_name):
    import pickle

    sem = NamedSemaphore(sem_name, handle_existence=Flags.RAISE_IF_EXISTS)
    with pytest.raises(TypeError):
        pickle.dumps(sem)
    sem.close()


CPP = r"""
#include <nob/named_semaphore.hpp>
int main() {
  nob::named_semaphore s("/PLACEHOLDER", nob::existence_policy::raise_if_exists, 1);
  s.acquire();
  s.release();
  return s.value() == 1 ? 0 : 1;
}
"""


@pytest.mark.skipif(shutil.which("c++") is None and shutil.which("g++") is None, reason="no C++ compiler")
def test_the_wheels_header_compiles_and_works(tmp_path, sem_name):
    cxx = shutil.which("c++") or shutil.which("g++")
    src = tmp_path / "use_nob.cpp"
    src.write_text(CPP.replace("PLACEHOLDER", sem_name))
    exe = tmp_path / "use_nob"
    subprocess.run([cxx, "-std=c++17", "-I", nob.get_include(), str(src), "-o", str(exe), "-pthread"],
                   check=True, timeout=120)
    assert subprocess.run([str(exe)], timeout=30).returncode == 0
