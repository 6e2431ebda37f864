"""Fixed values of the Jira Service Management mapping: wording per locale, type keys, colours.

Everything a Jira user sees follows the blueprint's locale (``en`` or ``nl``). USM's own names
(processes, steps, call types, workflows) come from the blueprint; the words below are the
adapter's own labels around them.
"""

from __future__ import annotations

import re

from usm_config.blueprint.model import Blueprint
from usm_config.blueprint.usm import CallStatus, call_status_label
from usm_config.compile import wording
from usm_config.compile.settings import setting

ADAPTER = "jsm"
TOOL = "Jira Service Management"

ITSM_TEMPLATE = "com.atlassian.servicedesk:simplified-it-service-management"
#: The project entity property holding the owner marker (:mod:`usm_config.engine.ownership`),
#: ``{"owner": "<organisation id>"}``: entity properties are meant for apps and integrations and
#: shown nowhere in Jira's UI (platform API "Project properties").
OWNER_PROPERTY = "usm-config.owner"
#: The records' field the owner marker is read into (``KindSpec.marker``).
OWNER = "owner"
SELECT = "com.atlassian.jira.plugin.system.customfieldtypes:select"
SELECT_SEARCHER = "com.atlassian.jira.plugin.system.customfieldtypes:multiselectsearcher"
CASCADING = "com.atlassian.jira.plugin.system.customfieldtypes:cascadingselect"
CASCADING_SEARCHER = "com.atlassian.jira.plugin.system.customfieldtypes:cascadingselectsearcher"

#: Jira status categories (``statusCategory`` of ``/rest/api/3/statuses``).
TODO, IN_PROGRESS, DONE = "TODO", "IN_PROGRESS", "DONE"

#: Workflow status property that carries the USM call status a step sets (jira.md §1.2:
#: status ``properties`` are free string pairs kept with the workflow).
CALL_STATUS_PROPERTY = "usm.call-status"

#: Priority colours by rank (1 is handled first): the colours of Jira's default priorities
#: Highest … Lowest, spelled as Jira returns them.
PRIORITY_COLOURS = ("#d04437", "#f15C75", "#f79232", "#707070", "#999999")
#: The priorities every new site has (case-folded): a level of one of these names adopts the
#: site's own, which other projects sort by too, so the adapter never moves it.
JIRA_PRIORITIES = frozenset({"highest", "high", "medium", "low", "lowest"})

WORDS: dict[str, tuple[str, str]] = {
    # key: (en, nl)
    "managed": ("Managed by usm-config.", "Beheerd door usm-config."),
    "impact": ("Impact", "Impact"),
    "urgency": ("Urgency", "Urgentie"),
    "category": ("USM category", "USM-categorie"),
    "effect": ("Effect", "Effect"),
    "likelihood": ("Likelihood", "Waarschijnlijkheid"),
    "risk_level": ("Risk level", "Risiconiveau"),
    "waiting": ("Waiting for {process}", "Wachten op {process}"),
    "hand_over": ("Hand over to {process}", "Overdragen aan {process}"),
    "resume": ("Resume after {process}", "Hervatten na {process}"),
    "create": ("Create", "Aanmaken"),
    "workflow": ("USM {process}", "USM {process}"),
    "scheme": ("USM: {org}", "USM: {org}"),
    "open_queue": ("{call_type}: open", "{call_type}: open"),
    "response": ("Time to response", "Reactietijd"),
    "resolution": ("Time to resolution", "Oplostijd"),
    "ola": ("OLA {team}", "OLA {team}"),
    "uc": ("UC {team}", "UC {team}"),
    "priority_rule": (
        "USM priority from impact and urgency",
        "USM-prioriteit uit impact en urgentie",
    ),
    "risk_rule": (
        "USM risk level from effect and likelihood",
        "USM-risiconiveau uit effect en kans",
    ),
    "all_issue_types": ("All USM call types", "Alle USM-meldingsoorten"),
    "carries": ("Carries the USM workflows: {names}.", "Draagt de USM-workflows: {names}."),
    "sets_status": (
        "Sets the USM call status '{status}'.",
        "Zet de USM-meldingsstatus '{status}'.",
    ),
    "service_part": ("Part of the service {service}.", "Onderdeel van de dienst {service}."),
    "guide": ("USM workflows in Jira: {org}", "USM-workflows in Jira: {org}"),
    "guide_intro": (
        "Every USM call is an issue of its call type's issue type, handled in the Jira "
        "workflow of that call type's process. At a fork the call is handed over to the next "
        "process as a linked issue of that process's call type, and waits in 'Waiting for "
        "<process>' until that issue is done.",
        "Elke USM-call is een issue van het issuetype van zijn meldingsoort, afgehandeld in de "
        "Jira-workflow van het proces van die meldingsoort. Bij een fork gaat de call als "
        "gekoppeld issue van de meldingsoort van het volgende proces verder, en wacht hij in "
        "'Wachten op <proces>' tot dat issue klaar is.",
    ),
    "jira_status": ("Jira status", "Jira-status"),
}


locale = wording.locale
word = wording.Wording(WORDS).word


def call_status(bp: Blueprint, status: str) -> str:
    """A USM call status in the blueprint's locale."""
    return call_status_label(CallStatus(status), locale(bp))


def project_key(bp: Blueprint) -> str:
    """The service project's key: ``x-jsm.project_key`` or derived from the organisation id.

    Jira keys are 2–10 characters, uppercase letters and digits, starting with a letter.
    """
    explicit = setting(bp.organisation, ADAPTER, "project_key", "")
    if explicit:
        return explicit
    letters = re.sub(r"[^A-Za-z0-9]", "", bp.organisation.id).upper()
    letters = letters.lstrip("0123456789") or "USM"
    return letters[:10] if len(letters) >= 2 else (letters + "SM")[:10]


sentence = wording.sentence


def by_name(item: object) -> str:
    """Sort key of JSON objects by their ``name``."""
    return str(item.get("name")) if isinstance(item, dict) else str(item)


join = wording.join_words
