"""The ServiceNow export's call types, processes and classification: the call type choices,
the USM change model and the problem states, the category choices and catalog categories, the
priority lookup rules; and which of them hold exactly what a blueprint compiles to. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

from usm_config.blueprint.model import Blueprint, Category, Locale, Matrix, Process, ProcessStep
from usm_config.blueprint.usm import CALL_TYPE_NAMES, CallType
from usm_config.compile import walk
from usm_config.compile.wording import name_in, text_key
from usm_config.engine.records import Record
from usm_config.export.live import field_text
from usm_config.export.text import names_of, slug, strip_suffix, unique
from usm_servicenow.export_people import Home
from usm_servicenow.export_site import (
    Doc,
    Instance,
    as_int,
    is_platform,
    match_words,
    ref_name,
    words,
)
from usm_servicenow.values import (
    CALL_TYPE_COLUMN,
    CALL_TYPE_TABLE,
    CATEGORY_CHOICES,
    CHANGE_MODEL,
    CHANGE_STATES,
    KNOWN_ERROR_VALUE,
    PROBLEM_STATES,
    USM_STATE_BASE,
    priority_values,
)

# ----------------------------------------------------------------------------- classification


def priority_ids(matrix: Matrix) -> dict[str, str]:
    """Choice value → level id of ``matrix``, the priority matrix the export carries."""
    return {value: ident for ident, value in priority_values(matrix).items()}


def _level_docs(site: Instance, element: str, values: Iterable[str]) -> list[Doc]:
    labels = {
        field_text(r, "value"): field_text(r, "label") for r in site.choices("incident", element)
    }
    levels: list[Doc] = []
    used: set[str] = set()
    for value in sorted(set(values), key=as_int):
        name = labels.get(value, value)
        levels.append({"id": unique(slug(name), used), "name": name})
    return levels


def read_priority_matrix(site: Instance) -> Doc | None:
    """The priority matrix the lookup rules hold (the active ones)."""
    rules = [r for r in site.of("dl_u_priority") if field_text(r, "active") == "true"]
    if not rules:
        return None
    impacts = _level_docs(site, "impact", (field_text(r, "impact") for r in rules))
    urgencies = _level_docs(site, "urgency", (field_text(r, "urgency") for r in rules))
    labels = {
        field_text(r, "value"): field_text(r, "label") for r in site.choices("incident", "priority")
    }
    values = sorted({field_text(r, "priority") for r in rules}, key=as_int)
    levels: list[Doc] = []
    used: set[str] = set()
    by_value: dict[str, str] = {}
    for value in values:
        name = labels.get(value, value)
        ident = unique(slug(name), used)
        level: Doc = {
            "id": ident,
            "name": name,
            "rank": max(1, min(99, as_int(value, 1))),
        }
        by_value[value] = ident
        levels.append(level)
    impact_ids = {str(i): lvl["id"] for i, lvl in enumerate(impacts, start=1)}
    urgency_ids = {str(i): lvl["id"] for i, lvl in enumerate(urgencies, start=1)}
    matrix: dict[str, dict[str, str]] = {}
    for rule in rules:
        row = impact_ids.get(field_text(rule, "impact"))
        column = urgency_ids.get(field_text(rule, "urgency"))
        if row and column:
            matrix.setdefault(row, {})[column] = by_value[field_text(rule, "priority")]
    return {"rows": impacts, "columns": urgencies, "levels": levels, "matrix": matrix}


def _categories_by_id(reference: Blueprint, call_type: CallType) -> dict[str, Category]:
    """The reference's categories of ``call_type``, at any depth, by id."""
    return {v.category.id: v.category for v in walk.categories(reference, call_type)}


def read_categories(site: Instance, reference: Blueprint, locale: Locale) -> Doc:
    """Categories per call type as the instance holds them: the choice lists of incident,
    change_request and problem (USM's values; the platform's are left out). A label is the
    name in ``locale`` of the reference's category of the same id."""
    out: Doc = {}
    for call_type, (table, nested) in CATEGORY_CHOICES.items():
        known = _categories_by_id(reference, call_type)
        tops: list[Doc] = []
        by_value: dict[str, Doc] = {}
        for record in site.choices(table, "category"):
            if is_platform(record):
                continue
            value, label = field_text(record, "value"), field_text(record, "label")
            ident = slug(value[4:] if value.startswith("usm_") else value)
            doc: Doc = {"id": ident, **names_of(label, known.get(ident), locale)}
            by_value[value] = doc
            tops.append(doc)
        if nested:
            for record in site.choices(table, "subcategory"):
                parent = by_value.get(field_text(record, "dependent_value"))
                if parent is None or is_platform(record):
                    continue
                label = field_text(record, "label").split(" / ")[-1]
                ident = slug(field_text(record, "value"))
                parent.setdefault("children", []).append(
                    {"id": ident, **names_of(label, known.get(ident), locale)}
                )
        if tops:
            out[call_type.value] = tops
    return out


def read_catalog_categories(
    site: Instance,
    reference: Blueprint,
    locale: Locale,
    home: Home,
    names: Mapping[CallType, str],
) -> Doc:
    """Categories of wishes and service requests: the organisation catalog's categories, by
    the call type their description names (``names``: call type → name in ``locale``). A
    title is the name in ``locale`` of the reference's category it stands for."""
    if home.catalog is None:
        return {}
    known = {
        ct: {name_in(locale, c): c for c in by_id.values()}
        for ct, by_id in ((ct, _categories_by_id(reference, ct)) for ct in names)
    }
    title = field_text(home.catalog, "title")
    records = [r for r in site.ours("sc_category") if ref_name(r, "sc_catalog") == title]
    by_title: dict[str, Doc] = {}
    roots: dict[CallType, list[Doc]] = defaultdict(list)
    parents: dict[str, str] = {}
    kinds: dict[str, CallType] = {}
    for record in records:
        found = match_words("category", locale, field_text(record, "description"))
        if not found:
            continue
        call_type = next((ct for ct, n in names.items() if n == found.group("call_type")), None)
        if call_type is None:
            continue
        name = field_text(record, "title")
        base = known[call_type].get(name)
        by_title[name] = {"id": base.id if base else slug(name), **names_of(name, base, locale)}
        kinds[name] = call_type
        parent = ref_name(record, "parent")
        if parent:
            parents[name] = parent
    for name, doc in by_title.items():
        parent = parents.get(name)
        if parent in by_title:
            by_title[parent].setdefault("children", []).append(doc)
        else:
            roots[kinds[name]].append(doc)
    return {ct.value: docs for ct, docs in roots.items()}


# ----------------------------------------------------------------------------- processes


def read_change_steps(
    site: Instance, reference: Process, locale: Locale
) -> tuple[list[Doc], str | None]:
    """The USM change model's states in sequence → Change steps, and the model's description."""
    model = next((r for r in site.of("chg_model") if field_text(r, "name") == CHANGE_MODEL), None)
    if model is None:
        return [], None
    states = sorted(
        (r for r in site.of("sttrm_state") if ref_name(r, "sttrm_model") == CHANGE_MODEL),
        key=lambda r: as_int(field_text(r, "state_sequence")),
    )
    by_value = {v: k for k, v in CHANGE_STATES.items()}
    labels = [(field_text(r, "state_value"), field_text(r, "state_label")) for r in states]
    steps = _steps_of(reference, labels, by_value, locale)
    text = strip_suffix(field_text(model, "description"), words("managed", locale))
    text = strip_suffix(text, words("change_model", locale))
    return steps, text or None


def read_problem_steps(site: Instance, reference: Process, locale: Locale) -> list[Doc]:
    """The problem states usm-config added (900 + position) between the platform's → Improve
    steps; a position without one is the next reference step on a platform state."""
    ours = {
        as_int(field_text(r, "value")) - USM_STATE_BASE: field_text(r, "label")
        for r in site.choices("problem", "state")
        if not is_platform(r)
        and field_text(r, "value") != KNOWN_ERROR_VALUE
        and USM_STATE_BASE < as_int(field_text(r, "value")) < USM_STATE_BASE + 100
    }
    if not ours:
        return []
    platform_steps = [s for s in reference.steps if s.key in PROBLEM_STATES]
    length = max(len(reference.steps), *ours)
    labels: list[tuple[str, str]] = []
    for position in range(1, length + 1):
        if position in ours:
            labels.append((str(USM_STATE_BASE + position), ours[position]))
        elif platform_steps:
            step = platform_steps.pop(0)
            labels.append((PROBLEM_STATES[step.key], _step_label(step, locale)))
    by_value = {v: k for k, v in PROBLEM_STATES.items()}
    return _steps_of(reference, labels, by_value, locale)


def _step_label(step: ProcessStep, locale: Locale) -> str:
    return name_in(locale, step)


def _steps_of(
    reference: Process,
    labels: Sequence[tuple[str, str]],
    by_value: Mapping[str, str],
    locale: Locale,
) -> list[Doc]:
    """Steps from (state value, label) pairs: the key of the platform state a value is, else
    of the reference step with that name, else one made from the label."""
    by_key = {s.key: s for s in reference.steps}
    by_label = {_step_label(s, locale): s for s in reference.steps}
    fork = next((s.key for s in reference.steps if s.fork), None)
    used: set[str] = set()
    steps = []
    for value, label in labels:
        base = by_key.get(by_value.get(value, "")) or by_label.get(label)
        key = unique(base.key if base else slug(label), used)
        step: Doc = {"key": key, **names_of(label, base, locale)}
        if key == fork:
            step["fork"] = True
        if base and base.description and base.key == key:
            step["description"] = base.description
        steps.append(step)
    return steps


def holds_exactly(
    live: Mapping[tuple[str, tuple[str, ...]], Record],
    desired: Mapping[tuple[str, tuple[str, ...]], Record],
    area: Callable[[Record], bool],
) -> bool:
    """True when the records of ``area`` the blueprint compiles to are live as they are, and
    no other record of the area is (the platform's own aside)."""
    for key, record in desired.items():
        if not area(record):
            continue
        found = live.get(key)
        if found is None or any(found.fields.get(n) != v for n, v in record.fields.items()):
            return False
    return all(key in desired or is_platform(r) for key, r in live.items() if area(r))


def choice_of(*columns: str) -> Callable[[Record], bool]:
    """An area: the choices of the ``table.element`` columns."""
    wanted = {tuple(c.split(".")) for c in columns}
    return lambda r: (
        r.kind == "sys_choice" and (field_text(r, "name"), field_text(r, "element")) in wanted
    )


_CATEGORY_COLUMNS = [f"{t}.category" for t, _ in CATEGORY_CHOICES.values()] + [
    f"{t}.subcategory" for t, nested in CATEGORY_CHOICES.values() if nested
]


def categories_area(catalog: str | None) -> Callable[[Record], bool]:
    """An area: the category choices, and the categories of the catalog titled ``catalog``."""
    choice = choice_of(*_CATEGORY_COLUMNS)
    return lambda r: (
        choice(r)
        or (
            r.kind == "sc_category" and catalog is not None and ref_name(r, "sc_catalog") == catalog
        )
    )


def change_area(r: Record) -> bool:
    """An area: the change model, its states and transitions, and the change states."""
    return r.kind in ("chg_model", "sttrm_state", "sttrm_state_transition") or choice_of(
        "change_request.state"
    )(r)


def priority_area(r: Record) -> bool:
    """An area: the priority lookup rules and the impact, urgency and priority choices."""
    return r.kind == "dl_u_priority" or choice_of(
        "incident.impact", "incident.urgency", "incident.priority"
    )(r)


def category_ids(bp: Blueprint, locale: Locale) -> dict[CallType, dict[str, str]]:
    """Per call type, category name in ``locale`` → id, in the classification's order (depth
    first)."""
    out: dict[CallType, dict[str, str]] = {}
    if bp.classification is None:
        return out
    for call_type, categories in bp.classification.categories.items():
        names: dict[str, str] = {}
        stack = list(reversed(categories))
        while stack:
            category = stack.pop()
            names.setdefault(name_in(locale, category), category.id)
            stack.extend(reversed(category.children))
        out[call_type] = names
    return out


def call_type_names(bp: Blueprint, locale: Locale) -> dict[CallType, str]:
    """Each call type's name in ``locale``, as ``bp`` gives it (as the mapping writes it)."""
    out = {}
    for call_type in CallType:
        defined = next((ct for ct in bp.call_types if ct.id == call_type), None)
        en, nl = CALL_TYPE_NAMES[call_type]
        if defined is None:
            out[call_type] = nl if locale == "nl" else en
        else:
            out[call_type] = (defined.name_nl or nl) if locale == "nl" else defined.name
    return out


def read_call_types(site: Instance, reference: Blueprint, locale: Locale) -> list[Doc]:
    """Call type tailorings: a call type whose choice label is not the reference's name."""
    labels = {
        field_text(r, "value"): field_text(r, "label")
        for r in site.choices(CALL_TYPE_TABLE, CALL_TYPE_COLUMN)
    }
    names = call_type_names(reference, locale)
    out = []
    for call_type in reference.call_types:
        label = labels.get(call_type.id.value)
        if label and label != names[call_type.id]:
            out.append({"id": call_type.id.value, text_key("name", locale): label})
    return out
