"""Placeholder for `python -m nob.ipc demo` (owned by the CLI engineer; replace freely)."""
