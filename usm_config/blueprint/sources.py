"""Find the files of a blueprint path and say plainly why one cannot be read.

A blueprint is a YAML file or a directory of them. Anything else at that path (a FIFO, a
device such as ``/dev/null``, a socket, a symbolic link that points nowhere or at itself) is
reported as a located diagnostic instead of being opened: opening a FIFO would block, reading
a device may never end.
"""

from __future__ import annotations

import errno
import stat
from dataclasses import dataclass
from pathlib import Path

from usm_config.diagnostics import Diagnostic, Location, Severity, display_path

SUFFIXES = (".yaml", ".yml")

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


@dataclass(frozen=True)
class Kind:
    """What a path is: ``file``, ``directory``, ``missing``, or a problem: its diagnostic code
    and what to say after the path (``"is a FIFO ..."``)."""

    name: str
    code: str = ""
    message: str = ""


FILE = Kind("file")
DIRECTORY = Kind("directory")
MISSING = Kind("missing")


def kind_of(path: Path) -> Kind:
    """Classify ``path`` without opening it (symbolic links are followed)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        try:
            target = path.readlink()
        except OSError:
            return MISSING
        return Kind("problem", "FILE002", f"is a symbolic link to '{target}', which does not exist")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Kind(
                "problem", "FILE003", "is a symbolic link that leads back to itself (a loop)"
            )
        return Kind("problem", "FILE001", f"cannot be read: {exc.strerror or exc}")
    except ValueError:  # os.stat refuses a NUL character before asking the system
        return Kind("problem", "FILE001", "cannot be read: the path holds a NUL character")
    if stat.S_ISREG(mode):
        return FILE
    if stat.S_ISDIR(mode):
        return DIRECTORY
    shown = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return Kind("problem", "FILE004", f"is {shown}, not a blueprint file or directory")


_HINTS = {
    "FILE001": "check the path and its permissions",
    "FILE002": "point the link at an existing blueprint file, or remove it",
    "FILE003": "point the link at a blueprint file instead of at another link to itself",
    "FILE004": "point at a regular .yaml file or a directory of them",
}


def problem(kind: Kind, path: Path, where: Location | None = None) -> Diagnostic:
    """The diagnostic for a path of a problem ``kind``, located at ``where`` or at the path."""
    # A path written in 'extends' may hold any character; a control character is shown
    # escaped rather than sent to the terminal.
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in display_path(path))
    return Diagnostic(
        Severity.ERROR,
        kind.code,
        f"{shown} {kind.message}",
        where or Location(shown),
        "",
        _HINTS[kind.code],
    )


def blueprint_files(folder: Path) -> tuple[list[Path], list[Diagnostic]]:
    """The readable YAML files below ``folder`` and a diagnostic for each unusable one.

    Links to directories are not followed (a link loop cannot make the walk endless); an
    entry named ``*.yaml`` that is not a regular file is reported rather than skipped.
    """
    files: list[Path] = []
    diagnostics: list[Diagnostic] = []
    for entry in sorted(folder.rglob("*")):
        if entry.suffix not in SUFFIXES:
            continue
        kind = kind_of(entry)
        if kind is FILE:
            files.append(entry)
        elif kind.code:
            diagnostics.append(problem(kind, entry))
    return files, diagnostics
