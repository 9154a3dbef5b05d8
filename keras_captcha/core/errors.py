"""The error type for a user's mistake (bad data, bad path, bad option)."""


class CaptchaError(ValueError):
    """A problem with the user's input, reported as one line (exit code 2 in the CLI)."""
