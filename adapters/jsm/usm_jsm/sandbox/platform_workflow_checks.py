"""The checks Jira runs on a workflow create or update payload (jira.md §1.2, §3, §7.8).

Each check yields ``WorkflowValidationError``s; ``/workflows/*/validation`` answers them as a
list and ``/workflows/create`` and ``/workflows/update`` refuse the payload with a 400 when
any is an ``ERROR``. ``NON_UNIQUE_WORKFLOW_NAME`` is Jira's code; the other codes name the
rule the emulator enforces.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from usm_jsm.sandbox.platform_statuses import CATEGORY_IDS
from usm_jsm.sandbox.site import WORKFLOW, Site

__all__ = ["ValidationError", "check_payload", "transition_rules"]

ValidationError = dict[str, Any]

_TRANSITION_TYPES = ("INITIAL", "GLOBAL", "DIRECTED")


def _error(code: str, kind: str, message: str, **reference: str) -> ValidationError:
    error: ValidationError = {"code": code, "level": "ERROR", "type": kind, "message": message}
    if reference:
        error["elementReference"] = reference
    return error


def transition_rules(transition: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every rule of a transition: conditions (nested groups too), validators, actions,
    triggers and the transition screen."""

    def conditions(group: Any) -> Iterator[dict[str, Any]]:
        if isinstance(group, dict):
            yield from (r for r in group.get("conditions") or [] if isinstance(r, dict))
            for nested in group.get("conditionGroups") or []:
                yield from conditions(nested)

    yield from conditions(transition.get("conditions"))
    for key in ("validators", "actions", "triggers"):
        yield from (r for r in transition.get(key) or [] if isinstance(r, dict))
    if isinstance(transition.get("transitionScreen"), dict):
        yield transition["transitionScreen"]


def _check_statuses(statuses: Sequence[Any]) -> Iterator[ValidationError]:
    seen: set[str] = set()
    for index, status in enumerate(statuses):
        where = f"payload.statuses.[{index}]"
        if not isinstance(status, dict) or not status.get("statusReference"):
            yield _error(
                "MISSING_FIELD", "STATUS", f"Missing required field '{where}.statusReference'"
            )
            continue
        reference = str(status["statusReference"])
        if reference in seen:
            yield _error(
                "DUPLICATE_STATUS_REFERENCE",
                "STATUS",
                f"The status reference '{reference}' is defined more than once.",
                statusReference=reference,
            )
        seen.add(reference)
        if not status.get("name"):
            yield _error(
                "MISSING_FIELD",
                "STATUS",
                f"Missing required field '{where}.name'",
                statusReference=reference,
            )
        if status.get("statusCategory") not in CATEGORY_IDS:
            yield _error(
                "INVALID_STATUS_CATEGORY",
                "STATUS",
                f"'{where}.statusCategory' must be one of TODO, IN_PROGRESS, DONE.",
                statusReference=reference,
            )


def _check_transitions(
    index: int, workflow: Mapping[str, Any], references: set[str], *, creating: bool
) -> Iterator[ValidationError]:
    transitions = workflow.get("transitions")
    where = f"payload.workflows.[{index}]"
    if not isinstance(transitions, list) or not transitions:
        yield _error("MISSING_FIELD", "WORKFLOW", f"Missing required field '{where}.transitions'")
        return
    ids: set[str] = set()
    initial = 0
    for position, transition in enumerate(transitions):
        at = f"{where}.transitions.[{position}]"
        if not isinstance(transition, dict):
            yield _error("INVALID_TRANSITION", "TRANSITION", f"'{at}' must be an object.")
            continue
        transition_id = transition.get("id")
        if transition_id is None or str(transition_id) == "":
            yield _error("MISSING_FIELD", "TRANSITION", f"Missing required field '{at}.id'")
            continue
        transition_id = str(transition_id)
        ref = {"transitionId": transition_id}
        if transition_id in ids:
            yield _error(
                "DUPLICATE_TRANSITION_ID",
                "TRANSITION",
                f"The transition id '{transition_id}' is used more than once.",
                **ref,
            )
        ids.add(transition_id)
        kind = transition.get("type")
        if kind not in _TRANSITION_TYPES:
            yield _error(
                "INVALID_TRANSITION_TYPE",
                "TRANSITION",
                f"'{at}.type' must be one of INITIAL, GLOBAL, DIRECTED.",
                **ref,
            )
        if not transition.get("name"):
            yield _error(
                "MISSING_FIELD", "TRANSITION", f"Missing required field '{at}.name'", **ref
            )
        if transition.get("toStatusReference") not in references:
            yield _error(
                "UNKNOWN_STATUS_REFERENCE",
                "TRANSITION",
                f"'{at}.toStatusReference' names no status of the workflow.",
                **ref,
            )
        links = transition.get("links") or []
        if kind == "INITIAL":
            initial += 1
            group = transition.get("conditions")
            if isinstance(group, dict) and (
                group.get("conditions") or group.get("conditionGroups")
            ):
                yield _error(
                    "INITIAL_TRANSITION_HAS_CONDITIONS",
                    "TRANSITION",
                    "The INITIAL transition can't have conditions.",
                    **ref,
                )
        if kind == "GLOBAL" and links:
            yield _error(
                "GLOBAL_TRANSITION_HAS_LINKS",
                "TRANSITION",
                "A GLOBAL transition can't have links.",
                **ref,
            )
        if kind == "DIRECTED" and not links:
            yield _error(
                "DIRECTED_TRANSITION_WITHOUT_LINKS",
                "TRANSITION",
                "A DIRECTED transition needs at least one link.",
                **ref,
            )
        for link in links:
            source = link.get("fromStatusReference") if isinstance(link, dict) else None
            if kind == "DIRECTED" and source not in references:
                yield _error(
                    "UNKNOWN_STATUS_REFERENCE",
                    "TRANSITION",
                    f"'{at}.links.fromStatusReference' names no status of the workflow.",
                    **ref,
                )
        for rule in transition_rules(transition):
            parameters = rule.get("parameters") or {}
            if not rule.get("ruleKey"):
                yield _error(
                    "MISSING_FIELD", "RULE", f"Missing required field '{at}: ruleKey'", **ref
                )
            elif not isinstance(parameters, dict) or not all(
                isinstance(v, str) for v in parameters.values()
            ):
                yield _error(
                    "INVALID_RULE_PARAMETERS",
                    "RULE",
                    f"The parameters of rule '{rule['ruleKey']}' must be strings.",
                    ruleId=str(rule.get("id", "")),
                    **ref,
                )
    # A create lists the INITIAL transition first; an update may send a read back as it came
    # (GLOBAL transitions first).
    first = transitions[0] if isinstance(transitions[0], dict) else {}
    if creating and first.get("type") != "INITIAL":
        yield _error(
            "INITIAL_TRANSITION_NOT_FIRST",
            "WORKFLOW",
            "The first transition of a workflow must be its INITIAL transition.",
        )
    if initial != 1:
        yield _error(
            "INITIAL_TRANSITION_COUNT",
            "WORKFLOW",
            "A workflow has exactly one INITIAL transition.",
        )


def check_payload(
    site: Site, payload: Mapping[str, Any], *, existing_ids: Sequence[str | None]
) -> list[ValidationError]:
    """Every problem of a create (``existing_ids`` all ``None``) or update payload.

    ``existing_ids[i]`` is the id of the workflow ``payload["workflows"][i]`` updates.
    """
    statuses = payload.get("statuses") or []
    workflows = payload.get("workflows") or []
    errors = list(_check_statuses(statuses if isinstance(statuses, list) else []))
    defined = {
        str(s["statusReference"])
        for s in statuses
        if isinstance(s, dict) and s.get("statusReference")
    }
    names_in_request: set[str] = set()
    for index, workflow in enumerate(workflows if isinstance(workflows, list) else []):
        if not isinstance(workflow, dict):
            continue
        if existing_ids[index] is None:
            name = workflow.get("name")
            if not isinstance(name, str) or not name.strip():
                errors.append(
                    _error(
                        "MISSING_FIELD",
                        "WORKFLOW",
                        f"Missing required field 'payload.workflows.[{index}].name'",
                    )
                )
            elif name.casefold() in names_in_request or site.find(WORKFLOW, name=name):
                errors.append(
                    _error(
                        "NON_UNIQUE_WORKFLOW_NAME",
                        "WORKFLOW",
                        f"A workflow with the name '{name}' already exists.",
                    )
                )
            else:
                names_in_request.add(name.casefold())
        layout = workflow.get("statuses")
        if not isinstance(layout, list) or not layout:
            errors.append(
                _error(
                    "MISSING_FIELD",
                    "WORKFLOW",
                    f"Missing required field 'payload.workflows.[{index}].statuses'",
                )
            )
            layout = []
        references: set[str] = set()
        for entry in layout:
            reference = str(entry.get("statusReference")) if isinstance(entry, dict) else ""
            if reference not in defined:
                errors.append(
                    _error(
                        "UNKNOWN_STATUS_REFERENCE",
                        "STATUS",
                        f"The status reference '{reference}' is not among the request's statuses.",
                        statusReference=reference,
                    )
                )
            if isinstance(entry, dict) and not isinstance(entry.get("properties"), dict):
                errors.append(
                    _error(
                        "MISSING_FIELD",
                        "STATUS_PROPERTY",
                        f"Missing required field 'payload.workflows.[{index}].statuses.properties'",
                        statusReference=reference,
                    )
                )
            references.add(reference)
        creating = existing_ids[index] is None
        errors.extend(_check_transitions(index, workflow, references, creating=creating))
    return errors
