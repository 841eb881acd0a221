"""nob: POSIX named semaphores done right, for C++ (header-only) and Python (nob.ipc)."""

import os

__all__ = ["__version__", "get_include"]

__version__ = "0.1.0"


def get_include() -> str:
    """The directory that holds nob/named_semaphore.hpp, for compiling C++ against nob."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "include")
