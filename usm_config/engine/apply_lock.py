"""The apply lock: one apply per blueprint and target at a time on one machine.

An operating-system advisory lock (``flock``) on ``<lock file>.apply-lock`` beside the lock
file, taken without waiting. The operating system releases it when the holder ends, however it
ends, so a crashed apply never leaves a stale lock; the file's content only names the last
holder (pid, host, user, start time, command) for the message a refused apply prints.

It covers one machine: two machines with two lock directories need a pipeline that runs one
apply per target at a time (see README: In a GitOps pipeline).
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import getpass
import json
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SUFFIX = ".apply-lock"


class ApplyLocked(Exception):
    """Another process holds the apply lock of this blueprint and target."""


def apply_lock_path(lock_file: Path) -> Path:
    """The apply-lock file beside ``lock_file``."""
    return lock_file.with_name(lock_file.name + SUFFIX)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _holder(command: str) -> dict[str, object]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "user": _user(),
        "since": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": command,
    }


def _read_holder(path: Path) -> Any:
    """What the apply-lock file says of its holder (``None`` when it cannot be read)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _describe(holder: Any) -> str:
    try:
        return (
            f"pid {holder['pid']} on host {holder['host']} by user {holder['user']} since "
            f"{holder['since']}: {holder['command']}"
        )
    except (KeyError, TypeError):
        return "holder unknown"


def running_apply(lock_file: Path) -> str | None:
    """Who holds the apply lock of ``lock_file``, when the apply-lock file names a process of
    this machine, other than this one, that is alive; ``None`` otherwise (no apply ran, it
    ended, or it runs on another machine). Only the file is read: taking the lock to test
    it, even shared, could refuse an apply that starts at that moment."""
    holder = _read_holder(apply_lock_path(lock_file))
    try:
        pid, host = int(holder["pid"]), holder["host"]
    except (ValueError, KeyError, TypeError):
        return None
    if host != socket.gethostname() or pid in (os.getpid(), 0):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, and another user's
    return _describe(holder)


def default_command() -> str:
    """This process's command line, as the holder's ``command``."""
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])


@contextlib.contextmanager
def apply_lock(lock_file: Path, *, blueprint: str, target: str, command: str) -> Iterator[Path]:
    """Hold the apply lock of ``lock_file`` for the block; yield the apply-lock file.

    Raises :class:`ApplyLocked` at once, without waiting, when another process holds it.
    """
    path = apply_lock_path(lock_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe(_read_holder(path))
            raise ApplyLocked(
                f"another apply of {blueprint} to target '{target}' is running "
                f"({holder}); wait for it to finish and apply again. The lock is the "
                f"operating system's and ends with that process; {path} only names its last "
                "holder, so removing it does not help"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(_holder(command), sort_keys=True) + "\n").encode(), 0)
        os.fsync(fd)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock
