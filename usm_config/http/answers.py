"""Answers that are JSON, but not in the shape the tool's API documents.

An adapter's parsers index rows as the vendor documents them (``row["id"]``,
``row.get("schema", {}).get("custom")``). When something else answers (a proxy's JSON, another
API version, a list of ids where objects are documented), plain Python raises ``KeyError``,
``TypeError`` or ``AttributeError`` deep inside a parser. :func:`read_shaped` turns those into
an :class:`UnexpectedAnswer` that says what was being read, what was wrong and where the reading
stopped, so the command ends with exit 1 and a message instead of an internal error.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from usm_config.http.errors import HttpError, UnexpectedAnswer

if TYPE_CHECKING:
    from usm_config.http.client import HttpClient

__all__ = ["SHAPE_ERRORS", "answer_id", "json_kind", "read_shaped", "shape_problem"]

T = TypeVar("T")

#: What indexing a JSON value of another shape than expected raises in plain Python code.
SHAPE_ERRORS: tuple[type[Exception], ...] = (
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    ValueError,
)


#: How Python names a JSON value's type in an AttributeError or TypeError, and the JSON word.
_PYTHON_TYPE = re.compile(r"'(\w+)' object (has no attribute|is not subscriptable|is not iterable)")
#: A list or a text indexed by a member's name: "list indices must be integers or slices".
_INDEXED = re.compile(r"(list|str)(?:ing)? indices must be integers")
_EXPECTED = {
    "has no attribute": "an object",
    "is not subscriptable": "an object or a list",
    "is not iterable": "a list",
}
_JSON_KIND = {
    "int": "a number",
    "float": "a number",
    "str": "a text",
    "bool": "true or false",
    "NoneType": "null",
    "list": "a list",
    "dict": "an object",
}


def json_kind(value: Any) -> str:
    """What ``value``, decoded from JSON, is, in JSON's words: "a number", "null", …"""
    return _JSON_KIND.get(type(value).__name__, type(value).__name__)


def shape_problem(exc: BaseException) -> str:
    """What went wrong, in words, and the line of code where the reading stopped."""
    said = str(exc) or type(exc).__name__
    if isinstance(exc, KeyError):
        said = f"a value lacks {exc.args[0]!r}" if exc.args else "a value lacks a member"
    elif isinstance(exc, (AttributeError, TypeError)):
        # "'int' object has no attribute 'get'": in the answer's own terms.
        indexed = _INDEXED.match(said)
        found = _PYTHON_TYPE.match(said)
        if indexed:
            said = f"{_JSON_KIND[indexed.group(1)]} where the API documents an object"
        elif found and found.group(1) in _JSON_KIND:
            expected = _EXPECTED[found.group(2)]
            said = f"{_JSON_KIND[found.group(1)]} where the API documents {expected}"
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return said
    last = frames[-1]
    # A comprehension runs in a frame of its own, named "<listcomp>": name the function.
    named = next(
        (f.name for f in reversed(frames) if f.filename == last.filename and f.name[0] != "<"),
        last.name,
    )
    path = Path(last.filename)
    return f"{said} (at {path.parent.name}/{path.name}:{last.lineno}, {named})"


async def read_shaped(client: HttpClient, what: str, read: Awaitable[T]) -> T:
    """Await ``read``; a shape error from parsing the tool's answers becomes
    :class:`UnexpectedAnswer` naming ``what`` was being read.

    HTTP errors pass through as they are: they already say which request failed and why.
    """
    try:
        return await read
    except HttpError:
        raise
    except SHAPE_ERRORS as exc:
        raise UnexpectedAnswer(
            client.redact(
                f"reading {what}: an answer is JSON, but not shaped as the tool's API "
                f"documents: {shape_problem(exc)}; check that the target's URL reaches the "
                "tool itself (not a proxy or a login page) and that its API is a version "
                "usm-config supports; --verbose logs every request"
            )
        ) from None


def answer_id(answer: Any, *names: str) -> str:
    """The id a write's answer names under the first of ``names`` it holds, as text.

    JSON ids are non-empty strings or integers; anything else (``null``, ``true``, a list, an
    object) raises :class:`ValueError`, one of :data:`SHAPE_ERRORS`: the engine then looks the
    record up by its key rather than take a wrong id for it.
    """
    if isinstance(answer, dict):
        for name in names:
            value = answer.get(name)
            if (isinstance(value, str) and value) or (
                isinstance(value, int) and not isinstance(value, bool)
            ):
                return str(value)
    raise ValueError(f"the answer names no id ({', '.join(names)})")
