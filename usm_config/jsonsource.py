"""JSON files this tool writes and reads back: saved plans, lock files, journals.

They are read strictly and every problem is located: :func:`read_text` refuses a folder, an
unreadable file and bytes that are not UTF-8 (at the first bad byte), :func:`load_json` a file
that is empty, cut short or not JSON (where the parser stopped), and :func:`json_index` maps
each JSON path to its line for the checks made on the content. ``fix`` is what the caller's
reader can do about it, e.g. "make the plan again with 'usm-config plan --out'".
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from usm_config.blueprint.validation_errors import format_path
from usm_config.diagnostics import (
    Diagnostic,
    DiagnosticError,
    Location,
    Severity,
    SourceIndex,
    display_path,
    half_character,
    locate,
)

_BLANK = re.compile(r"[ \t\n\r]*")
#: A JSON escape of a UTF-16 surrogate: only text holding one can parse to half a character.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def refusal(code: str, where: Location, message: str, fix: str, path: str = "") -> DiagnosticError:
    """A :class:`DiagnosticError` with one located error."""
    return DiagnosticError([Diagnostic(Severity.ERROR, code, message, where, path, fix)])


def read_text(path: Path, what: str, fix: str) -> str:
    """The UTF-8 text of ``path``, ``what`` it is (e.g. "saved plan") naming it in refusals."""
    shown = display_path(path)
    if path.is_dir():
        raise refusal(
            "FILE001",
            Location(shown),
            f"the {what} is a folder, not a file",
            fix,
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise refusal(
            "FILE001",
            Location(shown),
            f"the {what} cannot be read: {exc.strerror}",
            f"make it readable by this user; {fix}",
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise refusal(
            "FILE002",
            Location(shown, line, column),
            f"the {what} is not text (byte 0x{data[exc.start]:02x} is not UTF-8): it is "
            "damaged or another kind of file",
            fix,
        ) from None


def load_json(path: Path, text: str, what: str, fix: str) -> Any:
    """Parse ``text`` (read from ``path``) as JSON, refusing it located where parsing stopped."""
    shown = display_path(path)
    if not text.strip():
        raise refusal("FILE003", Location(shown, 1, 1), f"the {what} is empty", fix)
    try:
        data = json.loads(text)
    except RecursionError:
        raise refusal(
            "FILE003", Location(shown, 1, 1), f"the {what} is nested too deeply", fix
        ) from None
    except json.JSONDecodeError as exc:
        end = len(text.rstrip())
        if _cut_short(text[exc.pos : end], exc.msg):
            # Located at its last character: where the file stops is what is wrong.
            line = text.count("\n", 0, end - 1) + 1
            column = end - 1 - text.rfind("\n", 0, end - 1)
            raise refusal(
                "FILE003",
                Location(shown, line, column),
                f"the {what} ends in the middle of its JSON: it was cut short",
                fix,
            ) from None
        raise refusal(
            "FILE003",
            Location(shown, exc.lineno, exc.colno),
            f"the {what} is not valid JSON here: {exc.msg}",
            fix,
        ) from None
    at = half_character_at(data, text)
    if at is not None:
        raise located(
            path,
            text,
            at,
            "FILE003",
            f"the {what} holds an escape of half of a character (a UTF-16 surrogate such as "
            "'\\ud83d' without its other half): it is damaged",
            fix,
        )
    return data


def half_character_at(data: Any, text: str) -> tuple[str | int, ...] | None:
    """The JSON path of the first key or string of ``data`` (parsed from ``text``) that holds
    half of a character, or None."""
    if not _SURROGATE_ESCAPE.search(text):
        return None

    def walk(node: Any, at: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
        if isinstance(node, str):
            return at if half_character(node) is not None else None
        if not isinstance(node, dict | list):
            return None
        members = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in members:
            if isinstance(key, str) and half_character(key) is not None:
                return (*at, key)
            if (found := walk(value, (*at, key))) is not None:
                return found
        return None

    return walk(data, ())


def _cut_short(rest: str, problem: str) -> bool:
    """True when JSON stopped being valid only because the text ends (``rest`` is what follows
    the point where parsing failed): nothing follows, a string runs to the end, or the end
    cuts a ``true``, ``false`` or ``null``."""
    return (
        not rest
        or problem.startswith("Unterminated string")
        or any(word.startswith(rest) for word in ("true", "false", "null"))
    )


def json_index(text: str, file: str) -> SourceIndex:
    """Map each JSON path (keys and list positions) in valid JSON ``text`` to its location.

    A member is located at its key, a list item at its first character.
    """
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    index: dict[tuple[str | int, ...], Location] = {}
    decoder = json.JSONDecoder()

    def where(pos: int) -> Location:
        line = bisect.bisect_right(starts, pos)
        return Location(file, line, pos - starts[line - 1] + 1)

    def skip(pos: int) -> int:
        match = _BLANK.match(text, pos)
        return match.end() if match else pos

    def value(pos: int, path: tuple[str | int, ...]) -> int:
        pos = skip(pos)
        index.setdefault(path, where(pos))
        opening = text[pos]
        if opening not in "[{":
            return int(decoder.raw_decode(text, pos)[1])
        closing, pos, count = ("}" if opening == "{" else "]"), skip(pos + 1), 0
        while text[pos] != closing:
            if opening == "{":
                key, end = scanstring(text, pos + 1)
                index[(*path, key)] = where(pos)
                pos = value(skip(end) + 1, (*path, key))
            else:
                pos = value(pos, (*path, count))
                count += 1
            pos = skip(pos)
            if text[pos] == ",":
                pos = skip(pos + 1)
        return pos + 1

    # On text that is not valid JSON, whatever was indexed so far still locates.
    with contextlib.suppress(ValueError, IndexError, RecursionError):
        value(0, ())
    return index or {(): Location(file, 1, 1)}


def located(
    path: Path, text: str, at: tuple[str | int, ...], code: str, message: str, fix: str
) -> DiagnosticError:
    """A refusal of the JSON file at ``path`` located at the JSON path ``at``."""
    index = json_index(text, display_path(path))
    return refusal(code, locate(index, at), message, fix, format_path(at))
