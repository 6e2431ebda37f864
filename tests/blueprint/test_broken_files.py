"""Broken inputs that cannot be files of the corpus: links, FIFOs, devices, unreadable files.

Each case builds its input under ``tmp_path`` and states what ``usm-config validate`` must
print (location, code, message) and that it exits 1 without a traceback. Nothing here may
block: a FIFO is never opened, a device never read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from usm_config.blueprint.loader import load_blueprint
from usm_config.cli import cli
from usm_config.diagnostics import Severity, display_path

REFERENCE = Path(__file__).resolve().parents[2] / "blueprints" / "usm-reference.yaml"
VALID = "usm: 1\norganisation: {id: example, name: Example}\n"
#: A file that extends ``{0}``; the entry is at line 2, column 10.
EXTENDS = "usm: 1\nextends: {0}\norganisation: {{id: example, name: Example}}\n"

#: What a case must print: (where, code, message); ``where`` is a path, or ``path:line:col``.
Expected = tuple[str, str, str]
Case = Callable[[Path], tuple[Path, list[Expected]]]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _extends(folder: Path, target: str) -> Path:
    return _write(folder / "main.yaml", EXTENDS.format(target))


def _link(path: Path, target: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def _fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def _dangling(tmp: Path) -> tuple[Path, list[Expected]]:
    link = _link(tmp / "blueprint.yaml", "gone.yaml")
    shown = display_path(link)
    message = f"{shown} is a symbolic link to 'gone.yaml', which does not exist"
    return link, [(shown, "FILE002", message)]


def _loop(tmp: Path) -> tuple[Path, list[Expected]]:
    _link(tmp / "b.yaml", "a.yaml")
    link = _link(tmp / "a.yaml", "b.yaml")
    shown = display_path(link)
    return link, [(shown, "FILE003", f"{shown} is a symbolic link that leads back to itself")]


def _self_loop(tmp: Path) -> tuple[Path, list[Expected]]:
    link = _link(tmp / "self.yaml", "self.yaml")
    shown = display_path(link)
    return link, [(shown, "FILE003", "is a symbolic link that leads back to itself (a loop)")]


def _fifo_file(tmp: Path) -> tuple[Path, list[Expected]]:
    fifo = _fifo(tmp / "blueprint.yaml")
    shown = display_path(fifo)
    return fifo, [(shown, "FILE004", f"{shown} is a FIFO (named pipe), not a blueprint file")]


def _dev_null(tmp: Path) -> tuple[Path, list[Expected]]:
    return Path(os.devnull), [
        (os.devnull, "FILE004", f"{os.devnull} is a character device, not a blueprint file")
    ]


def _link_to_dev_zero(tmp: Path) -> tuple[Path, list[Expected]]:
    link = _link(tmp / "zero.yaml", "/dev/zero")
    shown = display_path(link)
    return link, [(shown, "FILE004", f"{shown} is a character device")]


def _missing(tmp: Path) -> tuple[Path, list[Expected]]:
    path = tmp / "nothing-here.yaml"
    shown = display_path(path)
    return path, [(shown, "LOAD001", f"no such file or directory: {shown}")]


def _folder_with_dangling_link(tmp: Path) -> tuple[Path, list[Expected]]:
    _write(tmp / "bp" / "main.yaml", VALID)
    link = _link(tmp / "bp" / "teams.yaml", "../old/teams.yaml")
    shown = display_path(link)
    return tmp / "bp", [
        (shown, "FILE002", f"{shown} is a symbolic link to '../old/teams.yaml', which does not")
    ]


def _folder_with_link_loop(tmp: Path) -> tuple[Path, list[Expected]]:
    _write(tmp / "bp" / "main.yaml", VALID)
    _link(tmp / "bp" / "sub" / "x.yml", "y.yml")
    link = _link(tmp / "bp" / "sub" / "y.yml", "x.yml")
    other = tmp / "bp" / "sub" / "x.yml"
    return tmp / "bp", [
        (display_path(other), "FILE003", "leads back to itself"),
        (display_path(link), "FILE003", "leads back to itself"),
    ]


def _folder_with_fifo(tmp: Path) -> tuple[Path, list[Expected]]:
    _write(tmp / "bp" / "main.yaml", VALID)
    fifo = _fifo(tmp / "bp" / "teams.yaml")
    shown = display_path(fifo)
    return tmp / "bp", [(shown, "FILE004", f"{shown} is a FIFO (named pipe)")]


def _folder_with_link_to_dev_null(tmp: Path) -> tuple[Path, list[Expected]]:
    _write(tmp / "bp" / "main.yaml", VALID)
    link = _link(tmp / "bp" / "null.yaml", os.devnull)
    shown = display_path(link)
    return tmp / "bp", [(shown, "FILE004", f"{shown} is a character device")]


def _folder_with_a_link_to_itself(tmp: Path) -> tuple[Path, list[Expected]]:
    # A link to a folder that contains it is not followed, so the walk ends; the loop of
    # links named *.yaml beside it is reported.
    _write(tmp / "bp" / "main.yaml", VALID)
    _link(tmp / "bp" / "again", ".")
    link = _link(tmp / "bp" / "again.yaml", "again.yaml")
    shown = display_path(link)
    return tmp / "bp", [(shown, "FILE003", "leads back to itself")]


def _extends_dangling(tmp: Path) -> tuple[Path, list[Expected]]:
    _link(tmp / "base.yaml", "moved-away.yaml")
    main = _extends(tmp, "base.yaml")
    base = display_path(tmp / "base.yaml")
    return main, [
        (
            f"{display_path(main)}:2:10",
            "FILE002",
            f"{base} is a symbolic link to 'moved-away.yaml', which does not exist",
        )
    ]


def _extends_loop(tmp: Path) -> tuple[Path, list[Expected]]:
    _link(tmp / "base.yaml", "other.yaml")
    _link(tmp / "other.yaml", "base.yaml")
    main = _extends(tmp, "base.yaml")
    return main, [(f"{display_path(main)}:2:10", "FILE003", "base.yaml is a symbolic link that")]


def _extends_fifo(tmp: Path) -> tuple[Path, list[Expected]]:
    _fifo(tmp / "base.yaml")
    main = _extends(tmp, "base.yaml")
    return main, [(f"{display_path(main)}:2:10", "FILE004", "base.yaml is a FIFO (named pipe)")]


def _extends_dev_null(tmp: Path) -> tuple[Path, list[Expected]]:
    main = _extends(tmp, os.devnull)
    return main, [(f"{display_path(main)}:2:10", "FILE004", "/dev/null is a character device")]


def _extends_link_to_dev_zero(tmp: Path) -> tuple[Path, list[Expected]]:
    _link(tmp / "base.yaml", "/dev/zero")
    main = _extends(tmp, "base.yaml")
    return main, [(f"{display_path(main)}:2:10", "FILE004", "base.yaml is a character device")]


def _extends_folder_with_dangling_link(tmp: Path) -> tuple[Path, list[Expected]]:
    _write(tmp / "base" / "org.yaml", "usm: 1\n")
    link = _link(tmp / "base" / "teams.yaml", "nowhere.yaml")
    main = _extends(tmp, "base")
    return main, [(display_path(link), "FILE002", "teams.yaml is a symbolic link to 'nowhere")]


def _extends_link_to_itself(tmp: Path) -> tuple[Path, list[Expected]]:
    _link(tmp / "base.yaml", "main.yaml")
    main = _extends(tmp, "base.yaml")
    return main, [(f"{display_path(main)}:2:10", "LOAD004", "'extends' forms a cycle")]


CASES: dict[str, Case] = {
    "dangling link as the blueprint": _dangling,
    "link loop as the blueprint": _loop,
    "link to itself as the blueprint": _self_loop,
    "FIFO as the blueprint": _fifo_file,
    "/dev/null as the blueprint": _dev_null,
    "link to /dev/zero as the blueprint": _link_to_dev_zero,
    "missing blueprint path": _missing,
    "dangling link in a blueprint folder": _folder_with_dangling_link,
    "link loop in a blueprint folder": _folder_with_link_loop,
    "FIFO in a blueprint folder": _folder_with_fifo,
    "link to /dev/null in a blueprint folder": _folder_with_link_to_dev_null,
    "folder linking to itself": _folder_with_a_link_to_itself,
    "extends a dangling link": _extends_dangling,
    "extends a link loop": _extends_loop,
    "extends a FIFO": _extends_fifo,
    "extends /dev/null": _extends_dev_null,
    "extends a link to /dev/zero": _extends_link_to_dev_zero,
    "extends a folder with a dangling link": _extends_folder_with_dangling_link,
    "extends a link to itself": _extends_link_to_itself,
}


def _check(path: Path, expected: list[Expected]) -> None:
    result = CliRunner().invoke(cli, ["validate", str(path)])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for where, code, message in expected:
        line = next(
            (line for line in result.output.splitlines() if line.startswith(f"{where}: ")), ""
        )
        assert f"{where}: error[{code}] " in line, result.output
        assert message in line, result.output
    assert f"{display_path(path)} is not a valid blueprint" in result.output
    diagnostics = load_blueprint(path).diagnostics
    assert len(diagnostics) == len(expected), [d.render() for d in diagnostics]
    assert all(d.severity is Severity.ERROR and d.hint for d in diagnostics)


@pytest.mark.parametrize("name", CASES)
def test_unusable_path_is_reported_at_its_place(name: str, tmp_path: Path) -> None:
    path, expected = CASES[name](tmp_path)

    _check(path, expected)


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], Path]]:
    """Make files unreadable: by their mode, and (as root, who may read anything) by
    refusing to open them as the kernel would."""
    refused: set[str] = set()
    real_open = os.open

    def guarded_open(path: str | Path, flags: int, *args: int, **kwargs: int) -> int:
        if str(Path(path).resolve()) in refused:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_open)

    def make(path: Path) -> Path:
        path.chmod(0)
        refused.add(str(path.resolve()))
        return path

    yield make


def test_unreadable_blueprint_file(tmp_path: Path, unreadable: Callable[[Path], Path]) -> None:
    path = unreadable(_write(tmp_path / "blueprint.yaml", VALID))
    shown = display_path(path)

    _check(path, [(shown, "FILE001", "cannot read the file: Permission denied")])


def test_unreadable_file_in_a_blueprint_folder(
    tmp_path: Path, unreadable: Callable[[Path], Path]
) -> None:
    _write(tmp_path / "bp" / "main.yaml", VALID)
    path = unreadable(_write(tmp_path / "bp" / "teams.yaml", "teams: []\n"))

    _check(
        tmp_path / "bp",
        [(display_path(path), "FILE001", "cannot read the file: Permission denied")],
    )


def test_unreadable_file_in_extends(tmp_path: Path, unreadable: Callable[[Path], Path]) -> None:
    base = unreadable(_write(tmp_path / "base.yaml", VALID))
    main = _extends(tmp_path, "base.yaml")

    _check(main, [(display_path(base), "FILE001", "cannot read the file: Permission denied")])


def test_a_folder_linking_to_itself_with_good_files_loads(tmp_path: Path) -> None:
    _write(tmp_path / "bp" / "main.yaml", EXTENDS.format(REFERENCE))
    _link(tmp_path / "bp" / "again", ".")

    result = load_blueprint(tmp_path / "bp")

    assert [d for d in result.diagnostics if d.severity is Severity.ERROR] == []
    assert result.files == [tmp_path / "bp" / "main.yaml", REFERENCE]
