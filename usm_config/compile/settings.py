"""``x-<adapter>`` settings: declared in a table, checked in one walk, read one at a time.

An adapter declares each setting it reads as a :class:`SettingSpec` (the element types it may
appear on, its name, its allowed values or value type) and collects them in a
:class:`SettingsTable`. :func:`check_settings` walks every element of a blueprint and reports,
each at the setting's exact path:

* an unknown setting, with a did-you-mean, and where it belongs when it is a setting of another
  element type;
* a value of the wrong type (or empty text);
* a value outside the allowed choices, with a did-you-mean.

:func:`setting` reads one setting, falling back to a default when it is absent or unusable.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import JsonValue

from usm_config.adapter import Problem
from usm_config.blueprint.model import Blueprint, Overridable
from usm_config.compile.walk import ElementType, OverridableVisit, Path, overridables
from usm_config.diagnostics import did_you_mean

ValueType = type[str] | type[bool] | type[int] | type[list[str]]

_EXPECTED: dict[type, str] = {
    str: "text",
    bool: "true or false",
    int: "a whole number",
    list: "a list of texts",
}


@dataclass(frozen=True)
class SettingSpec:
    """One setting an adapter reads.

    ``on`` lists the element types it may appear on. A value must be of ``value_type`` (``str``
    values must not be blank; ``list`` means a list of texts) and, when ``choices`` is given,
    one of them. ``hint`` replaces the default fix text of a bad value.
    """

    name: str
    on: tuple[ElementType, ...]
    choices: tuple[str, ...] | None = None
    value_type: ValueType = str
    hint: str = ""

    @property
    def expected(self) -> str:
        """What a value must be, in words: "one of 'a', 'b'", 'text', 'true or false', ..."""
        if self.choices is not None:
            return "one of " + ", ".join(f"'{c}'" for c in self.choices)
        return _EXPECTED[self.value_type]

    def accepts_type(self, value: JsonValue) -> bool:
        """True when ``value`` has the declared type (and, for text, is not blank)."""
        if self.value_type is str:
            return isinstance(value, str) and bool(value.strip())
        if self.value_type is bool:
            return isinstance(value, bool)
        if self.value_type is int:
            return isinstance(value, int) and not isinstance(value, bool)
        return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


@dataclass(frozen=True)
class SettingsTable:
    """Every setting of one adapter; ``tool`` is its display name in messages ('ServiceNow')."""

    tool: str
    settings: tuple[SettingSpec, ...]

    def allowed_on(self, element_type: ElementType) -> dict[str, SettingSpec]:
        """The settings an element of ``element_type`` accepts, by name."""
        return {s.name: s for s in self.settings if element_type in s.on}

    def homes(self, name: str) -> tuple[ElementType, ...]:
        """The element types on which a setting called ``name`` is declared."""
        return tuple(t for s in self.settings if s.name == name for t in s.on)


def check_settings(blueprint: Blueprint, adapter_name: str, table: SettingsTable) -> list[Problem]:
    """Every problem with the ``x-<adapter_name>`` settings of ``blueprint``, in blueprint
    order, each at the path of the setting (``teams[0].x-servicenow.group_type``)."""
    problems: list[Problem] = []
    for visit in overridables(blueprint):
        problems.extend(_element_problems(visit, adapter_name, table))
    return problems


def _element_problems(
    visit: OverridableVisit, adapter_name: str, table: SettingsTable
) -> Iterator[Problem]:
    allowed = table.allowed_on(visit.type)
    for name, value in visit.element.override(adapter_name).items():
        path: Path = (*visit.path, f"x-{adapter_name}", name)
        spec = allowed.get(name)
        if spec is None:
            yield _unknown(path, name, visit, allowed, table)
        elif not spec.accepts_type(value):
            expected = spec.expected
            yield Problem(
                path, f"'{name}' must be {expected}", spec.hint or f"write {name} as {expected}"
            )
        elif spec.choices is not None and value not in spec.choices:
            yield Problem(
                path,
                f"'{value}' is not a {table.tool} {name.replace('_', ' ')}"
                f"{did_you_mean(str(value), spec.choices)}",
                spec.hint or "use one of: " + ", ".join(f"'{c}'" for c in spec.choices),
            )


def _unknown(
    path: Path,
    name: str,
    visit: OverridableVisit,
    allowed: dict[str, SettingSpec],
    table: SettingsTable,
) -> Problem:
    homes = table.homes(name)
    if homes:
        hint = f"'{name}' is a setting of {_join(t.home for t in homes)}; move it there"
    elif allowed:
        hint = f"{table.tool} settings here: " + ", ".join(sorted(allowed))
    else:
        hint = f"{visit.label} takes no {table.tool} settings; remove it"
    return Problem(
        path,
        f"unknown {table.tool} setting '{name}' on {visit.label}{did_you_mean(name, allowed)}",
        hint,
    )


def _join(words: Iterable[str]) -> str:
    listed: Sequence[str] = list(dict.fromkeys(words))
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " or " + listed[-1]


T = TypeVar("T", str, bool, int, list[str])


def setting(element: Overridable, adapter_name: str, name: str, default: T) -> T:
    """The value of ``x-<adapter_name>.<name>`` on ``element``, or ``default`` when it is
    absent or not of ``default``'s type (blank text counts as absent).

    :func:`check_settings` reports unusable values; reading never fails.
    """
    value = element.override(adapter_name).get(name)
    if isinstance(default, bool):
        usable = isinstance(value, bool)
    elif isinstance(default, int):
        usable = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, str):
        usable = isinstance(value, str) and bool(value.strip())
    else:
        usable = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return value if usable else default  # type: ignore[return-value]
