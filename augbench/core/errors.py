"""Errors that are the user's to fix: the CLI prints them as one line and exits with status 2."""


class UsageError(Exception):
    """Bad input (a name, a value, a path, a data file): reported without a traceback, exit status 2."""


class DataError(UsageError):
    """A data root without the expected files, or a file whose checksum does not match."""
