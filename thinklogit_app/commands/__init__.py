"""The command line's subcommands, one module each; `cli.main` turns their errors into
one line on stderr and exit code 2."""


class UsageError(Exception):
    """A bad argument or input: reported as one line, exit code 2."""
