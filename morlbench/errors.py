"""Errors a user can fix; the CLI prints them as one line and exits non-zero."""


class UsageError(ValueError):
    """Bad input: an unknown name, an invalid value, a conflicting run directory."""
