"""One writer per result file: a lock file ``<output>.lock`` beside it, holding the writer's
process id and host.

A second run on the same output is refused (exit 2) and told which process holds it. A lock
left by a killed run does not block forever: on the same host it is stale once its process is
gone; from another host (a shared file system) once it has not been refreshed for
:data:`STALE_SECONDS` (the holder refreshes it at every output time).
"""

from __future__ import annotations

import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import ConfigError

STALE_SECONDS = 3600.0


def lock_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".lock")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(lock: Path) -> tuple[bool, str]:
    """(stale, holder description) of an existing lock file."""
    try:
        text = lock.read_text().split()
        pid, host = int(text[0]), text[1]
        age = time.time() - lock.stat().st_mtime
    except (OSError, ValueError, IndexError):
        return True, "an unreadable lock"
    holder = f"process {pid} on {host}"
    if host == socket.gethostname():
        return not _alive(pid), holder
    return age > STALE_SECONDS, holder


@contextmanager
def exclusive(path: str | Path, notes: list | None = None):
    """Hold the lock of ``path`` while writing it; refuse (ConfigError on ``output.path``) when
    a live writer holds it. ``notes`` gets a line when a stale lock is taken over. Yields a
    function that refreshes the lock."""
    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            stale, holder = _stale(lock)
            if not stale:
                raise ConfigError(
                    "output.path",
                    f"{path} is being written by {holder} (lock {lock}); wait for it to end, "
                    "or remove the lock if that process is gone",
                ) from None
            lock.unlink(missing_ok=True)
            if notes is not None:
                notes.append(f"removed the stale lock of {holder} ({lock})")
    else:
        raise ConfigError("output.path", f"could not take the lock {lock}")
    with os.fdopen(descriptor, "w") as f:
        f.write(f"{os.getpid()} {socket.gethostname()}\n")
    try:
        yield lambda: os.utime(lock) if lock.exists() else None
    finally:
        try:
            if lock.read_text().split()[0] == str(os.getpid()):
                lock.unlink()
        except (OSError, IndexError):
            pass
