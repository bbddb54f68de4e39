"""The errors every layer raises, at the bottom of the package: raising one needs no import of
the configuration, the results or the command line.

Each class carries the exit status that ``qst-mps`` maps it to (qst_mps/cli.py):

- :class:`BadInput` (2): something the user gave cannot be used, found before any work;
  :class:`ConfigError` for a configuration key, :class:`DamagedFile` for a result file that
  cannot be read;
- :class:`NumericalFailure` (3): a run whose numbers went bad; it stopped before writing them;
- :class:`Interrupted` (75): a run stopped by SIGTERM or SIGINT after writing a checkpoint.
"""

from __future__ import annotations


class QstError(Exception):
    """Base of the package's errors; ``exit_status`` is the command's exit status for it."""

    exit_status = 1


class BadInput(QstError, ValueError):
    """Input that cannot be used, found before any work.

    Attributes
    ----------
    key : str
        What the problem is about: a dotted configuration key (``"model.L"``), a file, an option.
    message : str
        What is wrong and what is allowed.
    """

    exit_status = 2

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key, self.message = key, message


class ConfigError(BadInput):
    """A configuration problem: ``key`` names the offending key (``"model.L"``)."""


class DamagedFile(BadInput):
    """A result file that cannot be read: truncated, corrupt, or not a result file."""

    def __init__(self, path, reason: str):
        super().__init__(str(path), f"damaged result file ({reason})")


class NumericalFailure(QstError):
    """A run whose numbers went bad (qst_mps/safeguards/health.py); it stopped before writing
    them, and its file keeps the last good checkpoint."""

    exit_status = 3


class Interrupted(QstError):
    """A run stopped by SIGTERM or SIGINT after writing a checkpoint (EX_TEMPFAIL)."""

    exit_status = 75
