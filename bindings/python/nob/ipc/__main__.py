"""`python -m nob.ipc`: runs the nob-sem command line."""

import sys

from nob.ipc._cli import main

if __name__ == "__main__":
    sys.exit(main())
