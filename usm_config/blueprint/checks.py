"""Semantic checks: what a schema cannot say about a blueprint.

Each check is a function that receives a :class:`Checker` and reports through it. Errors make a
blueprint unusable (exit 1); warnings are printed and, with ``--strict``, become errors. Codes
are stable so that tests and users can refer to them:

===========  ==========================================================================
USM001-006   the five processes: present, trigger, first/last step and fork kept
USM010-018   the eight workflows: path, number, trigger, tailoring, RACI, SLA clocks, one each
USM020       the five call types
USM030       a library text tailored in English that a Dutch blueprint's tools do not show
REF001       a reference that does not resolve
SVC001-006   services: agreement, supporting team, OLA/UC parties, targets
CLS001-003   classification: matrices complete, categories unique
===========  ==========================================================================
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping

from usm_config.blueprint.model import (
    Blueprint,
    Matrix,
    ResponseTarget,
    ServiceAgreement,
    Team,
    Workflow,
    duration_minutes,
)
from usm_config.blueprint.usm import (
    CALL_TYPE_PROCESS,
    PROCESSES,
    WORKFLOW_BY_NUMBER,
    WORKFLOW_BY_PATH,
    CallType,
    ProcessId,
)
from usm_config.blueprint.validation_errors import format_path
from usm_config.compile import walk
from usm_config.diagnostics import Diagnostic, Severity, SourceIndex, did_you_mean, locate

Path = tuple[str | int, ...]


class Checker:
    """Collects diagnostics for one blueprint, located through the source index."""

    def __init__(
        self,
        blueprint: Blueprint,
        index: SourceIndex,
        over_twins: Collection[tuple[str, int, str]] = (),
    ) -> None:
        self.blueprint = blueprint
        self.index = index
        self.over_twins = over_twins
        self.diagnostics: list[Diagnostic] = []

    def report(
        self,
        severity: Severity,
        code: str,
        path: Path,
        message: str,
        hint: str,
        related: tuple[Path, ...] = (),
    ) -> None:
        """Record one finding at ``path`` (and the other places it concerns, ``related``)."""
        self.diagnostics.append(
            Diagnostic(
                severity,
                code,
                message,
                locate(self.index, path),
                format_path(path),
                hint,
                tuple(locate(self.index, other) for other in related),
            )
        )

    def error(
        self, code: str, path: Path, message: str, hint: str, related: tuple[Path, ...] = ()
    ) -> None:
        """Record an error."""
        self.report(Severity.ERROR, code, path, message, hint, related)

    def warn(self, code: str, path: Path, message: str, hint: str) -> None:
        """Record a warning."""
        self.report(Severity.WARNING, code, path, message, hint)

    def reference(self, path: Path, value: str, kind: str, known: Iterable[str]) -> bool:
        """Report ``value`` when it is not among the ``known`` ids of ``kind``."""
        known = list(known)
        if value in known:
            return True
        listed = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
        self.error(
            "REF001",
            path,
            f"unknown {kind} '{value}'{did_you_mean(value, known)}",
            f"use the id of a defined {kind} ({listed})" if known else f"define a {kind} first",
        )
        return False


def check_processes(c: Checker) -> None:
    """The five processes exist and keep their trigger, first and last steps, and fork."""
    present = {p.id for p in c.blueprint.processes}
    for missing in [pid for pid in ProcessId if pid not in present]:
        c.error(
            "USM001",
            ("processes",),
            f"process '{missing}' is missing; USM has exactly five processes",
            "add it, or extend the reference library: 'extends: usm-reference.yaml'",
        )
    for i, process in enumerate(c.blueprint.processes):
        canon = PROCESSES[process.id]
        at: Path = ("processes", i)
        if process.trigger != canon.trigger:
            c.error(
                "USM002",
                (*at, "trigger"),
                f"process '{process.id}' is triggered by '{canon.trigger}', not "
                f"'{process.trigger}'",
                f"set trigger: {canon.trigger}",
            )
        keys = [s.key for s in process.steps]
        for key, count in Counter(keys).items():
            if count > 1:
                c.error(
                    "USM006",
                    (*at, "steps"),
                    f"step key '{key}' is used {count} times in process '{process.id}'",
                    "give each step its own key",
                )
        first, last = canon.steps[0], canon.steps[-1]
        if keys[0] != first.key:
            c.error(
                "USM003",
                (*at, "steps", 0),
                f"process '{process.id}' must start with step '{first.key}' ({first.name}), "
                f"not '{keys[0]}'",
                f"keep '{first.key}' as the first step; tailor its name instead of replacing it",
            )
        if keys[-1] != last.key:
            c.error(
                "USM004",
                (*at, "steps", len(keys) - 1),
                f"process '{process.id}' must end with step '{last.key}' ({last.name}), "
                f"not '{keys[-1]}'",
                f"keep '{last.key}' as the last step",
            )
        _check_fork(c, at, process.id, [(s.key, s.fork) for s in process.steps])


def _check_fork(c: Checker, at: Path, pid: ProcessId, steps: list[tuple[str, bool]]) -> None:
    canon_fork = PROCESSES[pid].fork_key
    forks = [(i, key) for i, (key, fork) in enumerate(steps) if fork]
    if canon_fork is None:
        for i, key in forks:
            c.error(
                "USM005",
                (*at, "steps", i, "fork"),
                f"process '{pid}' has no fork in USM, but step '{key}' is marked as one",
                "remove 'fork: true'",
            )
        return
    if not forks:
        c.error(
            "USM005",
            (*at, "steps"),
            f"process '{pid}' lost its fork step '{canon_fork}'",
            f"keep step '{canon_fork}' with 'fork: true'",
        )
        return
    for i, key in forks:
        if key != canon_fork:
            c.error(
                "USM005",
                (*at, "steps", i, "fork"),
                f"only step '{canon_fork}' may fork in process '{pid}', not '{key}'",
                f"remove 'fork: true' here and keep it on '{canon_fork}'",
            )


def check_call_types(c: Checker) -> None:
    """The five call types exist and each starts its USM process."""
    present = {ct.id for ct in c.blueprint.call_types}
    for missing in [ct for ct in CallType if ct not in present]:
        c.error(
            "USM020",
            ("call_types",),
            f"call type '{missing}' is missing; USM has five call types",
            "add it, or extend the reference library",
        )
    for i, ct in enumerate(c.blueprint.call_types):
        if ct.process != CALL_TYPE_PROCESS[ct.id]:
            c.error(
                "USM020",
                ("call_types", i, "process"),
                f"call type '{ct.id}' starts process '{CALL_TYPE_PROCESS[ct.id]}', not "
                f"'{ct.process}'",
                f"set process: {CALL_TYPE_PROCESS[ct.id]}",
            )


def check_workflows(c: Checker) -> None:
    """Every workflow follows one of USM's eight paths, and its tailoring fits that path."""
    numbers = {wf.number for wf in c.blueprint.workflows}
    for number, canon in WORKFLOW_BY_NUMBER.items():
        if number not in numbers:
            c.error(
                "USM013",
                ("workflows",),
                f"workflow {number} ('{canon.name}') is missing; USM has eight workflows",
                "add it, or extend the reference library",
            )
    profiles = [p.id for p in c.blueprint.profiles]
    first_on_path: dict[tuple[ProcessId, ...], tuple[str, Path]] = {}
    for wf_visit in walk.workflows(c.blueprint):
        wf, at = wf_visit.workflow, wf_visit.path
        _check_workflow_path(c, at, wf)
        if wf.path in WORKFLOW_BY_PATH and wf.path in first_on_path:
            other, other_at = first_on_path[wf.path]
            c.error(
                "USM018",
                (*at, "path"),
                f"workflow '{wf.id}' follows path {' → '.join(wf.path)}, which workflow "
                f"'{other}' already follows; USM has one workflow per path",
                f"to tailor workflow '{other}', give this entry its id '{other}'; else remove it",
                ((*other_at, "path"),),
            )
        first_on_path.setdefault(wf.path, (wf.id, at))
        positions = {(s.process, s.step): s.position for s in wf.sequence}
        for j, tailoring in enumerate(wf.steps):
            if (tailoring.process, tailoring.step) not in positions:
                c.error(
                    "USM014",
                    (*at, "steps", j),
                    f"step '{tailoring.process}.{tailoring.step}' is not part of workflow "
                    f"{wf.number} ({' → '.join(wf.path)})",
                    "tailor only steps of the processes on this workflow's path",
                )
            for k, activity in enumerate(tailoring.activities):
                _check_raci(c, (*at, "steps", j, "activities", k), activity.raci, profiles)
        for j, clock in enumerate(wf.sla_clocks):
            ends = []
            for end in ("start", "stop"):
                ref = getattr(clock, end)
                if (ref.process, ref.step) not in positions:
                    c.error(
                        "USM016",
                        (*at, "sla_clocks", j, end),
                        f"SLA clock '{clock.id}' {end}s at '{ref.process}.{ref.step}', which "
                        f"is not a step of workflow {wf.number}",
                        "use a step of this workflow's sequence (see 'usm-config show')",
                    )
                else:
                    ends.append(positions[(ref.process, ref.step)])
            if len(ends) == 2 and ends[1] <= ends[0]:
                c.error(
                    "USM016",
                    (*at, "sla_clocks", j, "stop"),
                    f"SLA clock '{clock.id}' stops before it starts",
                    "choose a stop step later in the sequence than the start step",
                )


def _check_workflow_path(c: Checker, at: Path, wf: Workflow) -> None:
    canon = WORKFLOW_BY_PATH.get(wf.path)
    if canon is None:
        paths = "; ".join(f"{w.number}: {' → '.join(w.path)}" for w in WORKFLOW_BY_NUMBER.values())
        c.error(
            "USM010",
            (*at, "path"),
            f"path {' → '.join(wf.path)} is not one of USM's eight workflows",
            f"use one of the USM paths ({paths})",
        )
        return
    if wf.number != canon.number:
        c.error(
            "USM011",
            (*at, "number"),
            f"path {' → '.join(wf.path)} is workflow {canon.number}, not {wf.number}",
            f"set number: {canon.number}",
        )
    if wf.trigger != canon.trigger:
        c.error(
            "USM012",
            (*at, "trigger"),
            f"workflow {canon.number} is triggered by '{canon.trigger}', not '{wf.trigger}'",
            f"set trigger: {canon.trigger}",
        )
    if wf.proactive != canon.proactive:
        c.error(
            "USM017",
            (*at, "proactive"),
            f"workflow {canon.number} is {'proactive' if canon.proactive else 'reactive'}",
            f"set proactive: {str(canon.proactive).lower()}",
        )


def _check_raci(c: Checker, at: Path, raci: Mapping[str, str], profiles: list[str]) -> None:
    for profile, code in raci.items():
        c.reference((*at, "raci", profile), profile, "profile", profiles)
        if len(set(code)) != len(code):
            c.error(
                "USM015", (*at, "raci", profile), f"'{code}' repeats a letter", "write each once"
            )
    accountable = [p for p, code in raci.items() if "A" in code]
    if raci and len(accountable) != 1:
        c.error(
            "USM015",
            (*at, "raci"),
            f"an activity needs exactly one accountable (A) profile, found {len(accountable)}",
            "give 'A' to exactly one profile",
        )


def check_services(c: Checker) -> None:
    """Every service has an agreement and a supporting team; its references resolve."""
    bp = c.blueprint
    teams = {t.id: t for t in bp.teams}
    customers = [x.id for x in bp.customers]
    schedules = [s.id for s in bp.schedules]
    profiles = [p.id for p in bp.profiles]
    priorities = [lvl.id for lvl in bp.classification.priority.levels] if bp.classification else []
    categories = _category_ids(bp)
    supported: set[str] = set()
    seen_ids: dict[str, Path] = {}
    for visit in walk.services(bp):
        svc, at = visit.service, visit.path
        if svc.owner:
            c.reference((*at, "owner"), svc.owner, "profile", profiles)
        # A service in the pipeline is still being specified in Agree, which is where its
        # agreement and supporting teams come from; a retired one has given them up.
        live = svc.status == "live"
        if live and not svc.supported_by:
            c.error(
                "SVC002",
                at,
                f"service '{svc.id}' has no supporting team",
                "add 'supported_by: [<team id>]'",
            )
        for j, team_id in enumerate(svc.supported_by):
            c.reference((*at, "supported_by", j), team_id, "team", teams)
            supported.add(team_id)
        if live and svc.agreements.service is None:
            c.error(
                "SVC001",
                at,
                f"service '{svc.id}' has no service agreement: without one it is not a service",
                "add 'agreements: {service: {...}}' with the customer, hours and channels",
            )
        for agreement in walk.service_agreements(visit):
            _check_agreement(c, agreement, seen_ids, teams, customers, schedules, priorities)
        for request in walk.service_requests(visit):
            item, item_at = request.item, request.path
            _unique(c, seen_ids, item.id, item_at, "request")
            if item.team:
                c.reference((*item_at, "team"), item.team, "team", teams)
            if item.category:
                c.reference(
                    (*item_at, "category"),
                    item.category,
                    f"{item.call_type} category",
                    categories.get(item.call_type, []),
                )
        if svc.status == "live" and not svc.description:
            c.warn(
                "SVC005",
                at,
                f"live service '{svc.id}' has no description",
                "describe what the facility offers; tools show it to customers",
            )
    for team_visit in walk.teams(bp):
        team = team_visit.team
        if team.coordinator:
            c.reference((*team_visit.path, "coordinator"), team.coordinator, "profile", profiles)
        if bp.services and team.id not in supported and team.kind == "internal":
            used = any(a.team == team.id for s in bp.services for a in s.agreements.olas) or any(
                r.team == team.id for s in bp.services for r in s.requests
            )
            if not used:
                c.warn(
                    "SVC006",
                    team_visit.path,
                    f"team '{team.id}' supports no service",
                    "add it to a service's 'supported_by', or remove it",
                )


def _check_agreement(
    c: Checker,
    visit: walk.AgreementVisit,
    seen_ids: dict[str, Path],
    teams: Mapping[str, Team],
    customers: list[str],
    schedules: list[str],
    priorities: list[str],
) -> None:
    """The references and targets of one agreement; an OLA or UC binds the right kind of team."""
    agreement, at = visit.agreement, visit.path
    _unique(c, seen_ids, agreement.id, at, "agreement")
    if isinstance(agreement, ServiceAgreement):
        c.reference((*at, "customer"), agreement.customer, "customer", customers)
        c.reference((*at, "service_hours"), agreement.service_hours, "schedule", schedules)
        c.reference((*at, "support_hours"), agreement.support_hours, "schedule", schedules)
        _check_targets(c, at, agreement.targets, priorities, require_all=True)
        return
    kind = visit.kind.value
    expected = "internal" if visit.kind == walk.AgreementKind.OLA else "supplier"
    known = c.reference((*at, "team"), agreement.team, "team", teams)
    if known and teams[agreement.team].kind != expected:
        c.error(
            "SVC003",
            (*at, "team"),
            f"{kind[:-1].upper()} '{agreement.id}' is with "
            f"{teams[agreement.team].kind} team '{agreement.team}'; "
            f"{kind[:-1].upper()}s are made with {expected} teams",
            "move it to 'ucs'" if kind == "olas" else "move it to 'olas'",
        )
    _check_targets(c, at, agreement.targets, priorities, require_all=False)


def _unique(c: Checker, seen: dict[str, Path], ident: str, at: Path, kind: str) -> None:
    if ident in seen:
        c.error(
            "SVC007",
            (*at, "id"),
            f"{kind} id '{ident}' is already used at {format_path(seen[ident])}",
            f"give every {kind} its own id",
        )
    else:
        seen[ident] = at


def _check_targets(
    c: Checker,
    at: Path,
    targets: tuple[ResponseTarget, ...],
    priorities: list[str],
    *,
    require_all: bool,
) -> None:
    counts = Counter(t.priority for t in targets)
    for j, target in enumerate(targets):
        t_at: Path = (*at, "targets", j)
        c.reference((*t_at, "priority"), target.priority, "priority", priorities)
        if counts[target.priority] > 1:
            c.error(
                "SVC004",
                (*t_at, "priority"),
                f"priority '{target.priority}' has more than one target",
                "keep one target per priority",
            )
        if duration_minutes(target.response) > duration_minutes(target.resolution):
            c.warn(
                "SVC004",
                t_at,
                f"response time {target.response} is longer than resolution time "
                f"{target.resolution}",
                "the call must be accepted before it can be resolved; check the values",
            )
    missing = [p for p in priorities if p not in counts]
    if require_all and targets and missing:
        c.warn(
            "SVC004",
            (*at, "targets"),
            f"no target for priorit{'y' if len(missing) == 1 else 'ies'} {', '.join(missing)}",
            "add a response and resolution target for every priority",
        )


def _category_ids(bp: Blueprint) -> dict[CallType, list[str]]:
    ids: dict[CallType, list[str]] = {}
    for visit in walk.categories(bp):
        ids.setdefault(visit.call_type, []).append(visit.category.id)
    return ids


def check_classification(c: Checker) -> None:
    """Categories are unique per call type and both matrices are complete."""
    cls = c.blueprint.classification
    if cls is None:
        c.error(
            "CLS002",
            (),
            "the blueprint has no classification (categories, priority and risk matrices)",
            "add 'classification:', or extend the reference library",
        )
        return
    for ct, ids in _category_ids(c.blueprint).items():
        for ident, count in Counter(ids).items():
            if count > 1:
                c.error(
                    "CLS003",
                    ("classification", "categories", ct.value),
                    f"category '{ident}' appears {count} times under '{ct}'",
                    "give each category its own id",
                )
    _check_matrix(c, ("classification", "priority"), cls.priority, ("impact", "urgency"))
    _check_matrix(c, ("classification", "risk"), cls.risk, ("effect", "likelihood"))


def _check_matrix(c: Checker, at: Path, m: Matrix, names: tuple[str, str]) -> None:
    rows, cols, levels = ([x.id for x in xs] for xs in (m.rows, m.columns, m.levels))
    for label, ids in (("rows", rows), ("columns", cols), ("levels", levels)):
        for ident, count in Counter(ids).items():
            if count > 1:
                c.error("CLS001", (*at, label), f"'{ident}' is listed {count} times", "list once")
    for row, cells in m.matrix.items():
        if not c.reference((*at, "matrix", row), row, f"{names[0]} level", rows):
            continue
        for col, value in cells.items():
            if c.reference((*at, "matrix", row, col), col, f"{names[1]} level", cols):
                c.reference((*at, "matrix", row, col), value, "result level", levels)
    missing = [f"{r} × {col}" for r in rows for col in cols if col not in m.matrix.get(r, {})]
    if missing:
        c.error(
            "CLS001",
            (*at, "matrix"),
            f"the {names[0]} × {names[1]} matrix is incomplete: no value for "
            + ", ".join(missing[:6])
            + (f" and {len(missing) - 6} more" if len(missing) > 6 else ""),
            f"give every {names[0]} row a value for every {names[1]} column",
        )


def check_locale_texts(c: Checker) -> None:
    """With locale nl the tools show a library element's ``name_nl`` and ``description_nl``:
    a layer that tailors ``name`` or ``description`` of an element whose Dutch twin it leaves
    to a layer below (the library's) changes nothing the tools show. Which texts those are,
    the loader knows (``over_twins``)."""
    bp = c.blueprint
    if bp.organisation.locale != "nl":
        return
    for collection, i, text in sorted(c.over_twins, key=str):
        element = getattr(bp, collection)[i]
        twin = f"{text}_nl"
        c.warn(
            "USM030",
            (collection, i, text),
            f"{collection[:-1].replace('_', ' ')} '{element.id}': the tools of this Dutch "
            f"blueprint show its {twin} ('{getattr(element, twin)}'), not this {text}",
            f"write the Dutch text as '{twin}' beside it",
        )


CHECKS: tuple[Callable[[Checker], None], ...] = (
    check_processes,
    check_call_types,
    check_workflows,
    check_services,
    check_classification,
    check_locale_texts,
)


def run_checks(
    blueprint: Blueprint, index: SourceIndex, over_twins: Collection[tuple[str, int, str]] = ()
) -> list[Diagnostic]:
    """Run every semantic check; return all diagnostics found. ``over_twins`` are the
    library texts (``(collection, position, "name" | "description")``) a layer wrote while
    their Dutch twin comes from a layer below it."""
    checker = Checker(blueprint, index, over_twins)
    for check in CHECKS:
        check(checker)
    return checker.diagnostics
