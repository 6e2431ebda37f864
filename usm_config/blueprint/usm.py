"""The fixed facts of the USM method: five processes, five call types, eight workflows.

This module is data, not configuration: a blueprint may rename and tailor what is here, and the
checks in :mod:`usm_config.blueprint.checks` compare a blueprint against it. The structure
(process order, step order, fork steps, workflow paths) and the names of processes, steps and
workflows, in English and Dutch, follow the USM workflow templates; descriptions are this
project's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ProcessId(StrEnum):
    """The five USM processes, named by their verb."""

    AGREE = "agree"
    CHANGE = "change"
    RECOVER = "recover"
    OPERATE = "operate"
    IMPROVE = "improve"


class CallType(StrEnum):
    """The five kinds of call; each one starts exactly one process."""

    WISH = "wish"
    REQUEST_FOR_CHANGE = "request-for-change"
    INCIDENT = "incident"
    SERVICE_REQUEST = "service-request"
    RISK = "risk"


class CallStatus(StrEnum):
    """Statuses a call passes through that USM itself defines."""

    WORKFLOW_FULFILLED = "workflow fulfilled"
    PROCESS_FULFILLED = "process fulfilled"
    CLOSED = "closed"
    KNOWN_ERROR = "known error"


#: The call statuses in USM's Dutch template wording.
CALL_STATUS_NL: dict[CallStatus, str] = {
    CallStatus.WORKFLOW_FULFILLED: "workflow vervuld",
    CallStatus.PROCESS_FULFILLED: "proces vervuld",
    CallStatus.CLOSED: "gesloten",
    CallStatus.KNOWN_ERROR: "bekende fout",
}


def call_status_label(status: CallStatus, locale: str) -> str:
    """A call status as a tool shows it in ``locale`` ('en' or 'nl')."""
    return CALL_STATUS_NL[status] if locale == "nl" else status.value


class UsmRole(StrEnum):
    """Provider profiles that USM names; organisations map their own roles onto these."""

    WORKFLOW_MANAGER = "workflow-manager"
    WORKFLOW_COORDINATOR = "workflow-coordinator"
    OPERATOR = "operator"
    TEAM_COORDINATOR = "team-coordinator"
    SERVICE_MANAGER = "service-manager"


@dataclass(frozen=True)
class CanonicalStep:
    """One step of a USM process, identified by a stable key."""

    key: str
    name: str
    name_nl: str
    fork: bool = False


@dataclass(frozen=True)
class CanonicalProcess:
    """A USM process: its trigger and its ordered steps."""

    id: ProcessId
    name: str
    name_nl: str
    trigger: CallType
    steps: tuple[CanonicalStep, ...]

    @property
    def fork_key(self) -> str | None:
        """Key of the step where the process hands over to another one, if any."""
        return next((step.key for step in self.steps if step.fork), None)


@dataclass(frozen=True)
class CanonicalWorkflow:
    """One of the eight fixed paths through the processes."""

    number: int
    id: str
    name: str
    name_nl: str
    trigger: CallType
    proactive: bool
    path: tuple[ProcessId, ...]


def _steps(*rows: tuple[str, str, str] | tuple[str, str, str, bool]) -> tuple[CanonicalStep, ...]:
    return tuple(CanonicalStep(*row) for row in rows)


PROCESSES: dict[ProcessId, CanonicalProcess] = {
    ProcessId.AGREE: CanonicalProcess(
        ProcessId.AGREE,
        "Agree",
        "Afspreken",
        CallType.WISH,
        _steps(
            ("accept", "Accept wishes", "Aannemen wensen"),
            ("classify", "Classify", "Classificeren"),
            ("specify", "Specify the service", "Specificeer de service"),
            ("offer", "Draft offer", "Opstellen offerte"),
            ("negotiate", "Negotiate", "Onderhandelen"),
            ("realize", "Realize", "Realiseren", True),
            ("review", "Review delivery & feedback", "Toetsen oplevering & terugkoppelen"),
            ("close", "Evaluate & close", "Evalueren & afsluiten"),
        ),
    ),
    ProcessId.CHANGE: CanonicalProcess(
        ProcessId.CHANGE,
        "Change",
        "Wijzigen",
        CallType.REQUEST_FOR_CHANGE,
        _steps(
            ("accept", "Accept RFC", "Aannemen RFC"),
            ("classify", "Classify", "Classificeren"),
            ("plan", "Plan & agree", "Plannen & accorderen"),
            ("prepare", "Prepare change", "Voorbereiden wijziging"),
            ("test", "Test & release", "Testen & vrijgeven"),
            ("deploy", "Deploy", "Implementeren", True),
            ("review", "Review delivery & feedback", "Toetsen oplevering & terugkoppelen"),
            ("update-mir", "Update CMDB/MIR", "Bijwerken BIR"),
            ("close", "Evaluate & close", "Evalueren & afsluiten"),
        ),
    ),
    ProcessId.RECOVER: CanonicalProcess(
        ProcessId.RECOVER,
        "Recover",
        "Herstellen",
        CallType.INCIDENT,
        _steps(
            ("accept", "Accept incident", "Aannemen incident"),
            ("classify", "Classify", "Classificeren"),
            ("analyze", "Analyze", "Analyseren"),
            ("prepare", "Prepare recovery", "Voorbereiden herstel"),
            ("recover", "Recover", "Herstellen", True),
            ("review", "Review delivery & feedback", "Toetsen oplevering & terugkoppelen"),
            ("close", "Evaluate & close", "Evalueren & afsluiten"),
        ),
    ),
    ProcessId.OPERATE: CanonicalProcess(
        ProcessId.OPERATE,
        "Operate",
        "Uitvoeren",
        CallType.SERVICE_REQUEST,
        _steps(
            ("accept", "Accept service requests", "Aannemen service requests"),
            ("classify", "Classify", "Classificeren"),
            ("plan", "Plan the activities", "Plannen werkzaamheden"),
            ("execute", "Execute activities", "Uitvoeren werkzaamheden"),
            ("review", "Review delivery & feedback", "Toetsen oplevering & terugkoppelen"),
            ("close", "Evaluate & close", "Evalueren & afsluiten"),
        ),
    ),
    ProcessId.IMPROVE: CanonicalProcess(
        ProcessId.IMPROVE,
        "Improve",
        "Verbeteren",
        CallType.RISK,
        _steps(
            ("identify", "Identify risks", "Identificeren risico's"),
            ("classify", "Classify", "Classificeren"),
            ("determine-cause", "Determine cause", "Vaststellen oorzaak"),
            ("select-measure", "Select measure", "Selecteren maatregel"),
            ("deploy-measure", "Deploy measure", "Doorvoeren maatregel", True),
            ("review", "Review delivery & feedback", "Toetsen oplevering & terugkoppelen"),
            ("close", "Evaluate & close", "Evalueren & afsluiten"),
        ),
    ),
}

CALL_TYPE_PROCESS: dict[CallType, ProcessId] = {
    process.trigger: process.id for process in PROCESSES.values()
}

CALL_TYPE_NAMES: dict[CallType, tuple[str, str]] = {
    CallType.WISH: ("Wish", "Wens"),
    CallType.REQUEST_FOR_CHANGE: ("Request for change", "Wijzigingsverzoek"),
    CallType.INCIDENT: ("Incident", "Incident"),
    CallType.SERVICE_REQUEST: ("Service request", "Serviceverzoek"),
    CallType.RISK: ("Risk", "Risico"),
}

_A, _C, _R, _O, _I = (
    ProcessId.AGREE,
    ProcessId.CHANGE,
    ProcessId.RECOVER,
    ProcessId.OPERATE,
    ProcessId.IMPROVE,
)

WORKFLOWS: tuple[CanonicalWorkflow, ...] = (
    CanonicalWorkflow(
        1,
        "changes-to-agreements",
        "Changes to agreements",
        "Aanpassing van de overeenkomst",
        CallType.WISH,
        False,
        (_A, _C, _O),
    ),
    CanonicalWorkflow(
        2,
        "changes-to-managed-resources",
        "Changes to managed resources",
        "Wijziging van beheerde infrastructuur",
        CallType.REQUEST_FOR_CHANGE,
        False,
        (_C, _O),
    ),
    CanonicalWorkflow(
        3,
        "incident-with-change",
        "Incident with changes to managed resources",
        "Incident dat een wijziging van de beheerde infrastructuur vergt",
        CallType.INCIDENT,
        False,
        (_R, _C, _O),
    ),
    CanonicalWorkflow(
        4,
        "incident-without-change",
        "Incident without changes to managed resources",
        "Incident dat géén wijziging van beheerde infrastructuur vergt",
        CallType.INCIDENT,
        False,
        (_R, _O),
    ),
    CanonicalWorkflow(5, "operate", "Operate", "Uitvoeren", CallType.SERVICE_REQUEST, False, (_O,)),
    CanonicalWorkflow(
        6,
        "risk-with-agreement-change",
        "Risks with changes to agreements",
        "Risico's die worden afgehandeld met een aanpassing van de overeenkomst",
        CallType.RISK,
        True,
        (_I, _A, _C, _O),
    ),
    CanonicalWorkflow(
        7,
        "risk-with-resource-change",
        "Risks with changes to managed resources",
        "Risico's die worden afgehandeld met een wijziging van beheerde infrastructuur",
        CallType.RISK,
        True,
        (_I, _C, _O),
    ),
    CanonicalWorkflow(
        8,
        "risk-handled-by-operations",
        "Risks that can be handled by operations",
        "Risico's die worden afgehandeld door Uitvoeren",
        CallType.RISK,
        True,
        (_I, _O),
    ),
)

WORKFLOW_BY_NUMBER: dict[int, CanonicalWorkflow] = {wf.number: wf for wf in WORKFLOWS}
WORKFLOW_BY_PATH: dict[tuple[ProcessId, ...], CanonicalWorkflow] = {wf.path: wf for wf in WORKFLOWS}

#: Step keys whose completion sets a USM status on the call of that process.
REVIEW_STEP = "review"
CLOSE_STEP = "close"
KNOWN_ERROR_STEP = (ProcessId.IMPROVE, "determine-cause")
