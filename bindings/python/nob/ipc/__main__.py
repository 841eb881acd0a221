"""`python -m nob.ipc ARGS`: the same as the `nob-sem ARGS` command line."""

import sys

from nob.ipc._cli import main

if __name__ == "__main__":
    sys.exit(main())
