"""The ``qst-mps`` command's entry point: SIGINT and SIGTERM are caught from its first moment.

The command's own imports (numpy, the configuration, TeNPy for an mps run) take from a fraction
of a second to several seconds on a busy machine. A signal in that time exits 75 with one line,
as a signal during set-up does (qst_mps/safeguards/signals.py), instead of a KeyboardInterrupt
traceback or a silent kill. This module imports nothing else at its top, so that the window
before the handlers are in place is the interpreter's own start.
"""

import sys

STOPPED = 75  # qst_mps.safeguards.signals.INTERRUPTED, before that module is imported


def main(argv: list[str] | None = None) -> int:
    try:
        from .safeguards.signals import Stop, raising

        try:
            with raising():
                from .cli import main as command

                return command(argv)
        except Stop:
            pass
        except BrokenPipeError:  # stdout's reader left (`qst-mps … | head`): the work is done
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    except KeyboardInterrupt:  # SIGINT before the handlers were in place
        pass
    print("qst-mps: stopped by a signal while starting: nothing was written", file=sys.stderr)
    return STOPPED
