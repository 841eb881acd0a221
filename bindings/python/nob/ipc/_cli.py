"""Placeholder for the nob-sem command line (owned by the CLI engineer; replace freely)."""

import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of nob-sem; the real CLI is not written yet."""
    print("nob-sem: the command line is not implemented yet", file=sys.stderr)
    return 2
