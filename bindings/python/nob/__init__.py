"""nob: POSIX named IPC done right, for C++ (header-only) and Python (nob.ipc)."""

import os

# The version of nob, the C++ headers and this package alike: meson.build's
# project version, written into nob/_version.py when the package is built.
from nob._version import __version__ as __version__

__all__ = ["__version__", "get_include"]


def get_include() -> str:
    """The directory that holds nob/*.hpp (the C++ headers), for compiling C++ against nob."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "include")
