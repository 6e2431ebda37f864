"""Turn pydantic validation errors into located diagnostics with a fix hint."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from usm_config.blueprint.model import Blueprint
from usm_config.diagnostics import Diagnostic, Location, Severity, did_you_mean, locate

Loc = tuple[str | int, ...]

_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
}

_PATTERN_HINTS = {
    "[A-Za-z_][A-Za-z0-9_]*": "write the name of an environment variable (e.g. SN_PASSWORD), "
    "never the credential itself",
    "[a-z0-9][a-z0-9-]": "ids use lower-case letters, digits and dashes, e.g. 'service-desk'",
    "\\d+d(": "write a duration such as '30m', '4h', '2d' or '1d4h'",
    "[01]\\d|2[0-3]": "write a time of day as 'HH:MM', e.g. '08:30'",
    "[RACI]": "write one or more of the letters R, A, C, I, e.g. 'A' or 'RA'",
    "[^@\\s]+@": "write an e-mail address such as 'team@example.org'",
}


# pydantic names an enum member by its repr (``<CallType.WISH: 'wish'>``); people write 'wish'.
_ENUM_REPR = re.compile(r"<[A-Za-z_][\w.]*: ('[^']*'|\"[^\"]*\"|[^>]*)>")


def plain_enums(text: str) -> str:
    """Replace every enum repr in ``text`` by the value written in YAML."""
    return _ENUM_REPR.sub(r"\1", text)


def _normalise_loc(loc: tuple[str | int, ...]) -> Loc:
    """Map pydantic's loc onto document paths (override keys, dict-key markers)."""
    out: list[str | int] = []
    parts = list(loc)
    i = 0
    while i < len(parts):
        part = parts[i]
        if part == "x-*" and i + 1 < len(parts):
            out.append(f"x-{parts[i + 1]}")
            i += 2
            continue
        if part != "[key]":
            out.append(part)
        i += 1
    return tuple(out)


def _fit_to_document(path: Loc, index: Mapping[Loc, Location]) -> Loc:
    """Drop location parts pydantic adds that are not keys in the document (union tags)."""
    out: Loc = ()
    i = 0
    while i < len(path):
        candidate = (*out, path[i])
        if candidate not in index and i + 1 < len(path) and (*out, path[i + 1]) in index:
            i += 1
            continue
        out = candidate
        i += 1
    return out


def format_path(path: Loc) -> str:
    """Render a document path as ``services[3].agreements.service``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def model_at(path: Loc, root: type[BaseModel] = Blueprint) -> type[BaseModel] | None:
    """The blueprint model class that the mapping at ``path`` is validated against."""
    current: list[Any] = [root]
    for part in path:
        following: list[Any] = []
        for candidate in current:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                for name, info in candidate.model_fields.items():
                    if part in (name, info.alias):
                        following.extend(_unwrap(info.annotation))
            else:
                origin = typing.get_origin(candidate)
                args = typing.get_args(candidate)
                if origin is tuple and isinstance(part, int):
                    following.extend(_unwrap(args[0]))
                elif origin is dict and isinstance(part, str):
                    following.extend(_unwrap(args[1]))
        current = following
    return next((c for c in current if isinstance(c, type) and issubclass(c, BaseModel)), None)


def allowed_keys(model: type[BaseModel]) -> list[str]:
    """The keys a mapping of ``model`` may hold, as written in YAML."""
    return [info.alias or name for name, info in model.model_fields.items() if info.alias != "x-*"]


def _describe_input(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int | float):
        return f"{value} (a number)"
    shown = str(value) if len(str(value)) <= 40 else str(value)[:37] + "..."
    return f"'{shown}' (text)"


def _hidden(value: Any) -> str:
    return "the value" if isinstance(value, str) else _describe_input(value)


def _message(
    error: ErrorDetails, path: Loc, root: type[BaseModel], hide_values: bool = False
) -> tuple[str, str]:
    if hide_values:
        message, hint = _message(error, path, root)
        value = error.get("input")
        if isinstance(value, str) and value:
            shown = _describe_input(value)
            message = message.replace(shown, _hidden(value)).replace(value, "***")
        return message, hint
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    key = path[-1] if path else ""
    if kind == "missing":
        return f"missing required key '{key}'", f"add '{key}:' to this mapping"
    if kind == "extra_forbidden":
        model = model_at(path[:-1], root)
        allowed = allowed_keys(model) if model else []
        suggestion = did_you_mean(str(key), allowed)
        return (
            f"unknown key '{key}'{suggestion}",
            "remove it or fix its spelling; allowed keys here: " + ", ".join(allowed)
            if allowed
            else "remove it",
        )
    if kind in _TYPE_WORDS:
        return (
            f"expected {_TYPE_WORDS[kind]}, got {_describe_input(value)}",
            'quote values that must stay text, e.g. name: "2024"'
            if _TYPE_WORDS[kind] == "text"
            else f"write {_TYPE_WORDS[kind]} here",
        )
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        hint = next((h for p, h in _PATTERN_HINTS.items() if p in pattern), f"match {pattern}")
        return f"{_describe_input(value)} is not valid here", hint
    if kind in ("literal_error", "enum"):
        expected = plain_enums(str(ctx.get("expected", "")))
        options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",")]
        suggestion = did_you_mean(str(value), options)
        return (
            f"{_describe_input(value)} is not one of {expected}{suggestion}",
            f"use one of: {', '.join(o for o in options if o)}",
        )
    if kind in ("too_short", "too_long"):
        text = error["msg"].replace(" after validation", "")
        return text.replace("Tuple", "list").replace("List", "list"), (
            "add at least one entry" if kind == "too_short" else "remove entries"
        )
    if kind == "value_error":
        # A validator may say how to fix the value after '; fix: '.
        text, _, fix = str(ctx.get("error", error["msg"])).partition("; fix: ")
        return text, fix or "correct the value"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{_describe_input(value)}: {error['msg'].lower()}", "choose a value in range"
    return error["msg"], "correct the value"


def _short_by_failed_entries(error: ErrorDetails) -> bool:
    """A list written long enough is 'too short' only because entries failed (reported)."""
    value = error.get("input")
    minimum = (error.get("ctx") or {}).get("min_length", 0)
    return (
        error["type"] == "too_short"
        and isinstance(value, list | tuple)
        and isinstance(minimum, int)
        and len(value) >= minimum
    )


def translate_errors(
    exc: ValidationError,
    index: Mapping[Loc, Location],
    root: type[BaseModel] = Blueprint,
    *,
    hide_values: bool = False,
) -> list[Diagnostic]:
    """One diagnostic per pydantic error, located via the source ``index``.

    With ``hide_values`` no text value is quoted back (a targets file may hold a pasted
    secret where an environment variable name belongs).
    """
    diagnostics = []
    for error in exc.errors(include_url=False):
        if _short_by_failed_entries(error):
            continue
        path = _fit_to_document(_normalise_loc(error["loc"]), index)
        message, hint = (plain_enums(text) for text in _message(error, path, root, hide_values))
        diagnostics.append(
            Diagnostic(
                Severity.ERROR,
                "SCHEMA",
                message,
                locate(dict(index), path),
                format_path(path),
                hint,
            )
        )
    return diagnostics
