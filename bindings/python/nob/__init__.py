"""nob: POSIX named IPC done right, for C++ (header-only) and Python (nob.ipc)."""

import os

__all__ = ["__version__", "get_include"]

__version__ = "2.0.0.dev0"


def get_include() -> str:
    """The directory that holds nob/*.hpp (the C++ headers), for compiling C++ against nob."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "include")
