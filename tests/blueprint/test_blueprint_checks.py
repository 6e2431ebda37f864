"""Every semantic check, with a failing and a passing case.

A case is a small YAML layer written over ``cases/services-base.yaml`` (a valid blueprint on
top of the USM reference library). The line marked ``# <-`` is where the check must report;
applying the case's ``fix`` gives the passing variant, which must load without any diagnostic.
Checks that need an element *removed* from the reference (a layer can only add or replace)
are built from the reference's text instead.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from usm_config.blueprint import checks
from usm_config.blueprint.loader import LoadResult, load_blueprint
from usm_config.diagnostics import Diagnostic, Severity

REPO = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
BASE = CASES / "services-base.yaml"
REFERENCE = REPO / "blueprints" / "usm-reference.yaml"
MARK = "# <-"

ERROR, WARNING = Severity.ERROR, Severity.WARNING


@dataclass(frozen=True)
class Case:
    """A check case: ``bad`` fails with ``code`` at the marked line; ``fix`` makes it pass."""

    code: str
    name: str
    bad: str
    message: str
    fix: tuple[tuple[str, str], ...]
    severity: Severity = ERROR
    also: tuple[str, ...] = ()
    """Codes the bad variant may report besides ``code`` (consequences of the same mistake)."""

    @property
    def id(self) -> str:
        return f"{self.code}-{self.name}"

    def text(self, *, fixed: bool) -> str:
        body = textwrap.dedent(self.bad).lstrip("\n")
        if fixed:
            for old, new in self.fix:
                assert old in body, f"{self.id}: fix {old!r} does not apply"
                body = body.replace(old, new, 1)
        return f"usm: 1\nextends: {BASE}\n{body}"


def case(
    code: str,
    name: str,
    bad: str,
    message: str,
    *fix: tuple[str, str],
    severity: Severity = ERROR,
    also: tuple[str, ...] = (),
) -> Case:
    return Case(code, name, bad, message, fix, severity, also)


def _block(text: str) -> str:
    """Indent a shared fragment like the case texts below (which ``Case.text`` dedents)."""
    return textwrap.indent(text, " " * 8)


def _marked(text: str) -> tuple[int, int]:
    """Line and column of the marked line's first key or value (after indentation and '- ')."""
    lines = text.splitlines()
    marked = [i for i, line in enumerate(lines, start=1) if MARK in line]
    assert len(marked) == 1, "mark exactly one line with '# <-'"
    line = lines[marked[0] - 1]
    return marked[0], len(line) - len(line.lstrip(" -")) + 1


SA_TEXT = """\
      service:
        id: sa-email
        customer: finance
        service_hours: always
        support_hours: office-hours
        channels: [portal]
"""
EMAIL_AGREEMENTS = _block("services:\n  - id: email\n    agreements:\n" + SA_TEXT)

PRIORITY_MATRIX = _block("""\
classification:
  priority:
    rows:
      - {id: high, name: High}
      - {id: low, name: Low}
    columns:
      - {id: high, name: High}
      - {id: low, name: Low}
    levels:
      - {id: p1, name: Critical, rank: 1}
      - {id: p2, name: High, rank: 2}
      - {id: p3, name: Moderate, rank: 3}
      - {id: p4, name: Low, rank: 4}
    matrix:
""")

RISK_MATRIX = _block("""\
classification:
  risk:
    rows:
      - {id: major, name: Major}
      - {id: minor, name: Minor}
    columns:
      - {id: likely, name: Likely}
      - {id: unlikely, name: Unlikely}
    levels:
      - {id: high, name: High risk, rank: 1}
      - {id: low, name: Low risk, rank: 2}
    matrix:
""")

OPERATE_STEPS = _block("""\
processes:
  - id: operate
    steps:
      - {key: accept, name: Accept service request}
      - {key: classify, name: Classify}
      - {key: plan, name: Plan the activities}
""")

RECOVER_STEPS = _block("""\
processes:
  - id: recover
    steps:
      - {key: accept, name: Accept incident}
      - {key: classify, name: Classify}
""")

RACI = _block("""\
workflows:
  - id: operate
    steps:
      - process: operate
        step: plan
        activities:
          - id: schedule
            name: Put the request on the operations calendar
            raci:
""")


def _clock(workflow: str, start: str, stop: str) -> str:
    """An SLA clock on ``workflow`` from step ``start`` to ``stop`` (written 'process.step')."""
    (start_process, start_step), (stop_process, stop_step) = (
        start.split(".", maxsplit=1),
        stop.split(".", maxsplit=1),
    )
    return _block(f"""\
workflows:
  - id: {workflow}
    sla_clocks:
      - id: response
        name: Time to accept
        target: response
        start: {{process: {start_process}, step: {start_step}}}  # <- start
        stop: {{process: {stop_process}, step: {stop_step}}}  # <- stop
""")


CHECK_CASES: tuple[Case, ...] = (
    # --- the five processes --------------------------------------------------------------
    case(
        "USM002",
        "process-trigger",
        """
        processes:
          - id: recover
            trigger: wish  # <-
        """,
        "process 'recover' is triggered by 'incident', not 'wish'",
        ("wish", "incident"),
    ),
    case(
        "USM003",
        "first-step-replaced",
        """
        processes:
          - id: operate
            steps:
              - {key: intake, name: Intake}  # <-
              - {key: classify, name: Classify}
              - {key: plan, name: Plan the activities}
              - {key: execute, name: Execute the activities}
              - {key: review, name: Review delivery and feedback}
              - {key: close, name: Evaluate and close}
        """,
        "process 'operate' must start with step 'accept' (Accept service requests), not 'intake'",
        ("key: intake", "key: accept"),
    ),
    case(
        "USM004",
        "last-step-dropped",
        OPERATE_STEPS
        + """\
              - {key: execute, name: Execute the activities}
              - {key: review, name: Review delivery and feedback}  # <-
        """,
        "process 'operate' must end with step 'close' (Evaluate & close), not 'review'",
        ("feedback}  # <-", "feedback}\n      - {key: close, name: Evaluate and close}"),
    ),
    case(
        "USM005",
        "fork-removed",
        """
        processes:
          - id: recover
            steps:  # <-
              - {key: accept, name: Accept incident}
              - {key: classify, name: Classify}
              - {key: analyze, name: Analyze}
              - {key: prepare, name: Prepare recovery}
              - {key: recover, name: Recover the service}
              - {key: review, name: Review delivery and feedback}
              - {key: close, name: Evaluate and close}
        """,
        "process 'recover' lost its fork step 'recover'",
        ("Recover the service}", "Recover the service, fork: true}"),
    ),
    case(
        "USM005",
        "fork-moved",
        RECOVER_STEPS
        + """\
              - key: analyze
                name: Analyze
                fork: true  # <-
              - {key: prepare, name: Prepare recovery}
              - {key: recover, name: Recover the service}
              - {key: review, name: Review delivery and feedback}
              - {key: close, name: Evaluate and close}
        """,
        "only step 'recover' may fork in process 'recover', not 'analyze'",
        ("        fork: true  # <-\n", ""),
        ("Recover the service}", "Recover the service, fork: true}"),
    ),
    case(
        "USM005",
        "fork-in-operate",
        OPERATE_STEPS
        + """\
              - key: execute
                name: Execute the activities
                fork: true  # <-
              - {key: review, name: Review delivery and feedback}
              - {key: close, name: Evaluate and close}
        """,
        "process 'operate' has no fork in USM, but step 'execute' is marked as one",
        ("        fork: true  # <-\n", ""),
    ),
    case(
        "USM006",
        "step-key-twice",
        """
        processes:
          - id: operate
            steps:  # <-
              - {key: accept, name: Accept service request}
              - {key: classify, name: Classify}
              - {key: plan, name: Plan the activities}
              - {key: plan, name: Execute the activities}
              - {key: review, name: Review delivery and feedback}
              - {key: close, name: Evaluate and close}
        """,
        "step key 'plan' is used 2 times in process 'operate'",
        ("{key: plan, name: Execute", "{key: execute, name: Execute"),
    ),
    # --- the eight workflows -------------------------------------------------------------
    case(
        "USM010",
        "path-not-in-usm",
        """
        workflows:
          - id: incident-with-change
            path: [recover, change]  # <-
        """,
        "path recover → change is not one of USM's eight workflows",
        ("[recover, change]", "[recover, change, operate]"),
    ),
    case(
        "USM011",
        "number-does-not-match-path",
        """
        workflows:
          - id: operate
            number: 4  # <-
        """,
        "path operate is workflow 5, not 4",
        ("number: 4", "number: 5"),
        also=("USM013",),
    ),
    case(
        "USM012",
        "workflow-trigger",
        """
        workflows:
          - id: operate
            trigger: incident  # <-
        """,
        "workflow 5 is triggered by 'service-request', not 'incident'",
        ("incident", "service-request"),
    ),
    case(
        "USM014",
        "tailored-step-not-on-path",
        """
        workflows:
          - id: operate
            steps:
              - process: change  # <-
                step: plan
                name: Plan the delivery
        """,
        "step 'change.plan' is not part of workflow 5 (operate)",
        ("process: change", "process: operate"),
    ),
    case(
        "USM015",
        "two-accountable",
        RACI.replace("raci:", "raci:  # <-")
        + """\
                      operator: A
                      workflow-coordinator: A
        """,
        "an activity needs exactly one accountable (A) profile, found 2",
        ("operator: A", "operator: R"),
    ),
    case(
        "USM015",
        "no-accountable",
        RACI.replace("raci:", "raci:  # <-")
        + """\
                      operator: R
                      workflow-coordinator: CI
        """,
        "an activity needs exactly one accountable (A) profile, found 0",
        ("workflow-coordinator: CI", "workflow-coordinator: A"),
    ),
    case(
        "USM015",
        "letter-repeated",
        RACI
        + """\
                      operator: RR  # <-
                      workflow-coordinator: A
        """,
        "'RR' repeats a letter",
        ("operator: RR", "operator: R"),
    ),
    case(
        "USM016",
        "clock-step-not-in-workflow",
        _clock("incident-without-change", "change.accept", "recover.review").replace(
            "  # <- stop", ""
        ),
        "SLA clock 'response' starts at 'change.accept', which is not a step of workflow 4",
        ("process: change", "process: recover"),
    ),
    case(
        "USM016",
        "clock-stops-before-it-starts",
        _clock("incident-without-change", "recover.review", "recover.accept").replace(
            "  # <- start", ""
        ),
        "SLA clock 'response' stops before it starts",
        ("step: review}", "step: accept}"),
        ("step: accept}  # <-", "step: review}  # <-"),
    ),
    case(
        "USM017",
        "proactive-flag",
        """
        workflows:
          - id: operate
            proactive: true  # <-
        """,
        "workflow 5 is reactive",
        ("true", "false"),
    ),
    case(
        "USM018",
        "ninth-workflow-on-a-used-path",
        """
        workflows:
          - id: routine-work
            number: 5
            name: Routine work
            trigger: service-request
            path: [operate]  # <-
        """,
        "workflow 'routine-work' follows path operate, which workflow 'operate' already follows",
        ("id: routine-work", "id: operate"),
    ),
    case(
        "USM020",
        "call-type-starts-other-process",
        """
        call_types:
          - id: risk
            process: change  # <-
        """,
        "call type 'risk' starts process 'improve', not 'change'",
        ("change", "improve"),
    ),
    # --- references ----------------------------------------------------------------------
    case(
        "REF001",
        "customer",
        """
        services:
          - id: email
            agreements:
              service:
                id: sa-email
                customer: finanse  # <-
                service_hours: always
                support_hours: office-hours
                channels: [portal]
        """,
        "unknown customer 'finanse' (did you mean 'finance'?)",
        ("finanse", "finance"),
    ),
    case(
        "REF001",
        "schedule-service-hours",
        """
        services:
          - id: email
            agreements:
              service:
                id: sa-email
                customer: finance
                service_hours: 24x7  # <-
                support_hours: office-hours
                channels: [portal]
        """,
        "unknown schedule '24x7'",
        ("24x7", "always"),
    ),
    case(
        "REF001",
        "schedule-support-hours",
        """
        services:
          - id: email
            agreements:
              service:
                id: sa-email
                customer: finance
                service_hours: always
                support_hours: office  # <-
                channels: [portal]
        """,
        "unknown schedule 'office' (did you mean 'office-hours'?)",
        ("office  #", "office-hours  #"),
    ),
    case(
        "REF001",
        "priority",
        EMAIL_AGREEMENTS
        + """\
                targets:
                  - {priority: p1, response: 30m, resolution: 4h}
                  - {priority: p2, response: 1h, resolution: 1d}
                  - {priority: p3, response: 4h, resolution: 3d}
                  - priority: p9  # <-
                    response: 1d
                    resolution: 5d
        """,
        "unknown priority 'p9'",
        ("p9", "p4"),
        also=("SVC004",),
    ),
    case(
        "REF001",
        "supporting-team",
        """
        services:
          - id: email
            supported_by:
              - service-dsk  # <-
        """,
        "unknown team 'service-dsk' (did you mean 'service-desk'?)",
        ("service-dsk", "service-desk"),
    ),
    case(
        "REF001",
        "ola-team",
        EMAIL_AGREEMENTS
        + """\
              olas:
                - id: ola-email
                  team: network  # <-
        """,
        "unknown team 'network'",
        ("network", "service-desk"),
    ),
    case(
        "REF001",
        "request-team",
        """
        services:
          - id: email
            requests:
              - id: new-mailbox
                name: New mailbox
                team: mail-team  # <-
        """,
        "unknown team 'mail-team'",
        ("mail-team", "service-desk"),
    ),
    case(
        "REF001",
        "request-category",
        """
        services:
          - id: email
            requests:
              - id: new-mailbox
                name: New mailbox
                category: acces  # <-
        """,
        "unknown service-request category 'acces' (did you mean 'access'?)",
        ("acces", "access"),
    ),
    case(
        "REF001",
        "wish-category",
        """
        services:
          - id: email
            requests:
              - id: shared-calendar
                name: A shared calendar for the team
                call_type: wish
                category: access  # <-
        """,
        "unknown wish category 'access'",
        ("access", "new-service"),
    ),
    case(
        "REF001",
        "service-owner",
        """
        services:
          - id: email
            owner: mail-boss  # <-
        """,
        "unknown profile 'mail-boss'",
        ("mail-boss", "service-manager"),
    ),
    case(
        "REF001",
        "team-coordinator",
        """
        teams:
          - id: service-desk
            coordinator: desk-lead  # <-
        """,
        "unknown profile 'desk-lead'",
        ("desk-lead", "team-coordinator"),
    ),
    case(
        "REF001",
        "raci-profile",
        RACI
        + """\
                      operatr: R  # <-
                      workflow-coordinator: A
        """,
        "unknown profile 'operatr' (did you mean 'operator'?)",
        ("operatr", "operator"),
    ),
    case(
        "REF001",
        "impact-level",
        PRIORITY_MATRIX
        + """\
              high: {high: p1, low: p2}
              hihg: {high: p3, low: p4}  # <-
              low: {high: p3, low: p4}
        """,
        "unknown impact level 'hihg' (did you mean 'high'?)",
        ("      hihg: {high: p3, low: p4}  # <-\n", ""),
    ),
    case(
        "REF001",
        "urgency-level",
        PRIORITY_MATRIX
        + """\
              high: {high: p1, low: p2}
              low:
                high: p3
                lwo: p4  # <-
        """,
        "unknown urgency level 'lwo' (did you mean 'low'?)",
        ("lwo", "low"),
        also=("CLS001",),
    ),
    case(
        "REF001",
        "priority-result-level",
        PRIORITY_MATRIX
        + """\
              high: {high: p1, low: p2}
              low:
                high: p3
                low: p5  # <-
        """,
        "unknown result level 'p5'",
        ("p5", "p4"),
    ),
    case(
        "REF001",
        "effect-level",
        RISK_MATRIX
        + """\
              major: {likely: high, unlikely: low}
              minr: {likely: low, unlikely: low}  # <-
        """,
        "unknown effect level 'minr' (did you mean 'minor'?)",
        ("minr", "minor"),
        also=("CLS001",),
    ),
    case(
        "REF001",
        "likelihood-level",
        RISK_MATRIX
        + """\
              major: {likely: high, unlikely: low}
              minor:
                likely: low
                unlkely: low  # <-
        """,
        "unknown likelihood level 'unlkely' (did you mean 'unlikely'?)",
        ("unlkely", "unlikely"),
        also=("CLS001",),
    ),
    case(
        "REF001",
        "risk-result-level",
        RISK_MATRIX
        + """\
              major: {likely: high, unlikely: low}
              minor:
                likely: low
                unlikely: lowest  # <-
        """,
        "unknown result level 'lowest'",
        ("lowest", "low"),
    ),
    # --- services ------------------------------------------------------------------------
    case(
        "SVC001",
        "no-service-agreement",
        """
        services:
          - id: chat  # <-
            name: Chat
            description: Instant messaging for every employee.
            supported_by: [service-desk]
        """,
        "service 'chat' has no service agreement: without one it is not a service",
        (
            "supported_by: [service-desk]",
            "supported_by: [service-desk]\n    agreements:\n"
            + SA_TEXT.replace("sa-email", "sa-chat"),
        ),
    ),
    case(
        "SVC002",
        "no-supporting-team",
        """
        services:
          - id: email  # <-
            supported_by: []
        """,
        "service 'email' has no supporting team",
        ("[]", "[service-desk]"),
    ),
    case(
        "SVC001",
        "live-until-agreed",
        """
        services:
          - id: chat  # <-
            name: Chat
            description: Instant messaging for every employee.
            supported_by: [service-desk]
        """,
        "service 'chat' has no service agreement",
        # In the pipeline the service is still being specified in Agree: no agreement yet.
        ("supported_by: [service-desk]", "supported_by: [service-desk]\n    status: pipeline"),
    ),
    case(
        "SVC002",
        "live-until-supported",
        """
        services:
          - id: chat  # <-
            name: Chat
            description: Instant messaging for every employee.
            status: live
        """,
        "service 'chat' has no supporting team",
        ("status: live", "status: pipeline"),
        also=("SVC001",),
    ),
    case(
        "SVC003",
        "ola-with-supplier",
        EMAIL_AGREEMENTS
        + """\
              olas:
                - id: ola-hosting
                  team: hosting-partner  # <-
        """,
        "OLA 'ola-hosting' is with supplier team 'hosting-partner'; OLAs are made with internal "
        "teams",
        ("olas:", "ucs:"),
    ),
    case(
        "SVC003",
        "uc-with-internal-team",
        EMAIL_AGREEMENTS
        + """\
              ucs:
                - id: uc-desk
                  team: service-desk  # <-
        """,
        "UC 'uc-desk' is with internal team 'service-desk'; UCs are made with supplier teams",
        ("ucs:", "olas:"),
    ),
    case(
        "SVC004",
        "two-targets-for-one-priority",
        EMAIL_AGREEMENTS
        + """\
              olas:
                - id: ola-email
                  team: service-desk
                  targets:
                    - {priority: p1, response: 15m, resolution: 2h}
                    - priority: p1  # <-
                      response: 30m
                      resolution: 4h
        """,
        "priority 'p1' has more than one target",
        ("priority: p1  # <-", "priority: p2  # <-"),
    ),
    case(
        "SVC004",
        "response-longer-than-resolution",
        EMAIL_AGREEMENTS
        + """\
              olas:
                - id: ola-email
                  team: service-desk
                  targets:
                    - priority: p1  # <-
                      response: 5h
                      resolution: 4h
        """,
        "response time 5h is longer than resolution time 4h",
        ("response: 5h", "response: 1h"),
        severity=WARNING,
    ),
    case(
        "SVC004",
        "priorities-without-target",
        EMAIL_AGREEMENTS
        + """\
                targets:  # <-
                  - {priority: p1, response: 30m, resolution: 4h}
                  - {priority: p2, response: 1h, resolution: 1d}
        """,
        "no target for priorities p3, p4",
        (
            "resolution: 1d}",
            "resolution: 1d}\n          - {priority: p3, response: 4h, resolution: 3d}"
            "\n          - {priority: p4, response: 1d, resolution: 5d}",
        ),
        severity=WARNING,
    ),
    case(
        "SVC005",
        "live-service-without-description",
        """
        services:
          - id: email  # <-
            description: null
        """,
        "live service 'email' has no description",
        ("description: null", "status: pipeline"),
        severity=WARNING,
    ),
    case(
        "USM030",
        "dutch-blueprint-tailors-an-english-name",
        """
        organisation:
          id: example-org
          name: Example organisation
          locale: nl
        workflows:
          - id: incident-without-change
            name: Storing zonder wijziging  # <-
        """,
        "the tools of this Dutch blueprint show its name_nl",
        ("name: Storing", "name_nl: Storing"),
        severity=WARNING,
    ),
    case(
        "USM030",
        "dutch-blueprint-tailors-an-english-description",
        """
        organisation:
          id: example-org
          name: Example organisation
          locale: nl
        call_types:
          - id: risk
            description: Een kans of een bedreiging.  # <-
        """,
        "the tools of this Dutch blueprint show its description_nl",
        ("description: Een", "description_nl: Een"),
        severity=WARNING,
    ),
    case(
        "SVC006",
        "team-supports-no-service",
        """
        teams:
          - id: network  # <-
            name: Network team
        services:
          - id: email
            supported_by: [service-desk]
        """,
        "team 'network' supports no service",
        ("[service-desk]", "[service-desk, network]"),
        severity=WARNING,
    ),
    case(
        "SVC007",
        "request-reuses-agreement-id",
        """
        services:
          - id: email
            requests:
              - id: ola-email  # <-
                name: New mailbox
        """,
        "request id 'ola-email' is already used at services[0].agreements.olas[0]",
        ("ola-email", "new-mailbox"),
    ),
    # --- classification ------------------------------------------------------------------
    case(
        "CLS001",
        "level-listed-twice",
        """
        classification:
          priority:
            rows:
              - {id: high, name: High}
            columns:
              - {id: high, name: High}
            levels:  # <-
              - {id: p1, name: Critical, rank: 1}
              - {id: p2, name: High, rank: 2}
              - {id: p3, name: Moderate, rank: 3}
              - {id: p4, name: Low, rank: 4}
              - {id: p4, name: Lowest, rank: 5}
            matrix:
              high: {high: p1}
        """,
        "'p4' is listed 2 times",
        ("      - {id: p4, name: Lowest, rank: 5}\n", ""),
    ),
    case(
        "CLS001",
        "matrix-incomplete",
        PRIORITY_MATRIX.replace("matrix:", "matrix:  # <-")
        + """\
              high: {high: p1, low: p2}
              low: {high: p3}
        """,
        "the impact × urgency matrix is incomplete: no value for low × low",
        ("{high: p3}", "{high: p3, low: p4}"),
    ),
    case(
        "CLS003",
        "category-twice",
        """
        classification:
          categories:
            service-request:
              - {id: access, name: Access}
            incident:  # <-
              - {id: slow, name: Slow}
              - id: degraded
                name: Service degraded
                children:
                  - {id: slow, name: Slow}
        """,
        "category 'slow' appears 2 times under 'incident'",
        ("  - {id: slow, name: Slow}\n", "  - {id: unavailable, name: Unavailable}\n"),
    ),
)


def _load(tmp_path: Path, name: str, text: str) -> LoadResult:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_blueprint(path)


def _render(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(d.render() for d in diagnostics) or "(no diagnostics)"


def test_base_and_reference_are_free_of_diagnostics() -> None:
    for path in (BASE, REFERENCE):
        result = load_blueprint(path)
        assert result.blueprint is not None
        assert result.diagnostics == [], _render(result.diagnostics)


@pytest.mark.parametrize("check", CHECK_CASES, ids=lambda c: c.id)
def test_check_fails(check: Case, tmp_path: Path) -> None:
    text = check.text(fixed=False)
    line, column = _marked(text)

    result = _load(tmp_path, check.id, text)

    assert result.blueprint is not None, "checks run only on a schema-valid blueprint"
    found = [
        d
        for d in result.diagnostics
        if d.code == check.code and d.location.line == line and check.message in d.message
    ]
    assert found, f"expected {check.code} at line {line}:\n{_render(result.diagnostics)}"
    (diagnostic,) = found
    assert diagnostic.severity is check.severity
    assert diagnostic.location.file.endswith(f"{check.id}.yaml")
    assert diagnostic.location.column == column
    assert diagnostic.hint
    assert {d.code for d in result.diagnostics} <= {check.code, *check.also}, _render(
        result.diagnostics
    )


@pytest.mark.parametrize("check", CHECK_CASES, ids=lambda c: c.id)
def test_check_passes_once_fixed(check: Case, tmp_path: Path) -> None:
    result = _load(tmp_path, check.id, check.text(fixed=True))

    assert result.blueprint is not None
    assert result.diagnostics == [], _render(result.diagnostics)


# --- checks that need something removed from the reference ---------------------------------


def _without_item(text: str, section: str, ident: str) -> str:
    """Remove ``- id: <ident>`` (and its indented lines) from top-level list ``section``."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"{section}:\n")
    first = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == f"- id: {ident}")
    indent = len(lines[first]) - len(lines[first].lstrip())
    end = first + 1
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
    ):
        end += 1
    return "".join(lines[:first] + lines[end:])


def _without_section(text: str, section: str) -> str:
    lines = text.splitlines(keepends=True)
    start = lines.index(f"{section}:\n")
    end = next(
        (i for i in range(start + 1, len(lines)) if re.match(r"[a-z_]+:", lines[i])), len(lines)
    )
    return "".join(lines[:start] + lines[end:])


def _line_of(text: str, content: str) -> int:
    return text.splitlines().index(content) + 1


@dataclass(frozen=True)
class Removal:
    code: str
    name: str
    edit: tuple[str, str]
    """(section, id) to remove one element, or (section, "") to remove the whole section."""
    message: str
    at: str
    """The line (exact text) the diagnostic must point at."""

    @property
    def id(self) -> str:
        return f"{self.code}-{self.name}"


REMOVALS = (
    Removal(
        "USM001",
        "process-missing",
        ("processes", "improve"),
        "process 'improve' is missing; USM has exactly five processes",
        "processes:",
    ),
    Removal(
        "USM013",
        "workflow-missing",
        ("workflows", "operate"),
        "workflow 5 ('Operate') is missing; USM has eight workflows",
        "workflows:",
    ),
    Removal(
        "USM020",
        "call-type-missing",
        ("call_types", "risk"),
        "call type 'risk' is missing; USM has five call types",
        "call_types:",
    ),
    Removal(
        "CLS002",
        "no-classification",
        ("classification", ""),
        "the blueprint has no classification (categories, priority and risk matrices)",
        "usm: 1",
    ),
)


@pytest.mark.parametrize("removal", REMOVALS, ids=lambda r: r.id)
def test_check_fails_when_the_reference_loses_an_element(removal: Removal, tmp_path: Path) -> None:
    section, ident = removal.edit
    reference = REFERENCE.read_text(encoding="utf-8")
    if ident:
        text = _without_item(reference, section, ident)
    else:
        text = _without_section(reference, section)
    assert text != reference

    result = _load(tmp_path, removal.id, text)

    codes = {d.code for d in result.diagnostics}
    assert codes == {removal.code}, _render(result.diagnostics)
    (diagnostic,) = result.diagnostics
    assert removal.message in diagnostic.message
    assert diagnostic.severity is ERROR
    assert (diagnostic.location.line, diagnostic.location.column) == (
        _line_of(text, removal.at),
        1,
    )


def test_a_process_without_its_steps_cannot_fork(tmp_path: Path) -> None:
    # Removing Change leaves every workflow through Change without the steps it nests.
    text = _without_item(REFERENCE.read_text(encoding="utf-8"), "processes", "change")

    result = _load(tmp_path, "no-change", text)

    messages = [d.message for d in result.diagnostics]
    assert messages == ["process 'change' is missing; USM has exactly five processes"]
    assert result.blueprint is not None
    wf2 = next(wf for wf in result.blueprint.workflows if wf.number == 2)
    assert wf2.sequence == ()


# --- coverage of the codes --------------------------------------------------------------


def _codes_in_checks_module() -> set[str]:
    source = Path(checks.__file__).read_text(encoding="utf-8")
    return set(re.findall(r'"((?:USM|REF|SVC|CLS)\d{3})"', source))


def test_every_check_code_has_a_failing_case() -> None:
    covered = {c.code for c in CHECK_CASES} | {r.code for r in REMOVALS}
    assert _codes_in_checks_module() <= covered


def _reference_kinds() -> Iterator[str]:
    yield from ("customer", "schedule", "priority", "team", "profile")
    yield from ("service-request category", "wish category")
    yield from ("impact level", "urgency level", "effect level", "likelihood level")
    yield "result level"


@pytest.mark.parametrize("kind", list(_reference_kinds()))
def test_every_kind_of_reference_has_a_failing_case(kind: str) -> None:
    assert any(c.code == "REF001" and f"unknown {kind} '" in c.message for c in CHECK_CASES)
