"""Fixed values of the TOPdesk mapping: wording per locale, the settings screens, limits.

Everything a TOPdesk user sees follows the blueprint's locale (``en`` or ``nl``): USM's own
names (processes, steps, call types, workflows) come from the blueprint, falling back to USM's
Dutch template wording; the words below are the adapter's own labels around them. The
checklist itself is for the administrator who runs usm-config and speaks English, like the
plan; the values in it are what TOPdesk users will see.
"""

from __future__ import annotations

from usm_config.blueprint.model import Blueprint, Locale
from usm_config.blueprint.usm import PROCESSES, CallStatus, ProcessId, call_status_label
from usm_config.compile import wording

ADAPTER = "topdesk"
TOOL = "TOPdesk"

#: ``externalLink.type`` of what usm-config creates: TOPdesk asks every integration to pick its
#: own non-zero integer (supporting files 2.7.11, ``ExternalLinkDto.type``).
EXTERNAL_LINK_TYPE = "8760"
#: ``externalLink.id`` of a record usm-config created: this prefix, then the owner marker (the
#: blueprint's organisation id, :mod:`usm_config.engine.ownership`). Links of another type,
#: or of this type without the prefix (written before markers existed), mark no owner.
OWNER_LINK = "usm-config/"
#: The records' field the owner marker is read into (``KindSpec.marker``).
OWNER = "owner"


def owner_link(owner: str) -> dict[str, str]:
    """The ``externalLink`` that marks a record as ``owner``'s."""
    return {"id": f"{OWNER_LINK}{owner}"[:450], "type": EXTERNAL_LINK_TYPE}


def link_owner(links: object) -> str | None:
    """The owner an ``externalLink`` (or a list of them, as departments are listed) marks."""
    for link in links if isinstance(links, list) else [links]:
        if not isinstance(link, dict) or str(link.get("type")) != EXTERNAL_LINK_TYPE:
            continue
        found = str(link.get("id") or "")
        if found.startswith(OWNER_LINK) and len(found) > len(OWNER_LINK):
            return found[len(OWNER_LINK) :]
    return None


WORDS: dict[str, tuple[str, str]] = {
    # key: (en, nl)
    "folder": ("USM workflows", "USM-workflows"),
    "article": ("USM workflow {number}: {name}", "USM-workflow {number}: {name}"),
    "waiting": ("Waiting for {process}", "Wachten op {process}"),
    "matrix": ("Impact × urgency", "Impact × urgentie"),
    "risk_matrix": ("Effect × likelihood", "Effect × waarschijnlijkheid"),
    "change_template": ("USM {workflow}", "USM {workflow}"),
    "minutes": ("{n} minutes", "{n} minuten"),
    "minute": ("1 minute", "1 minuut"),
    "hours": ("{n} hours", "{n} uur"),
    "hour": ("1 hour", "1 uur"),
    "days": ("{n} days", "{n} dagen"),
    "day": ("1 day", "1 dag"),
    "fulfilled": ("Fulfilled", "Vervuld"),
    "aborted": ("Aborted", "Afgebroken"),
    "no_agreement": ("No agreement reached", "Geen overeenstemming bereikt"),
    "withdrawn": ("Withdrawn by the requester", "Ingetrokken door de aanvrager"),
    "managed": (
        "Published from the USM blueprint by usm-config. Change the blueprint, not this item: "
        "the next apply overwrites edits made here.",
        "Gepubliceerd uit de USM-blauwdruk door usm-config. Wijzig de blauwdruk, niet dit item: "
        "de volgende apply overschrijft wijzigingen die hier gemaakt zijn.",
    ),
}

#: The entry types (``/incidents/entry_types``) of the blueprint's channels.
CHANNELS: dict[str, tuple[str, str]] = {
    "portal": ("Self-Service Portal", "Selfserviceportal"),
    "email": ("E-mail", "E-mail"),
    "phone": ("Telephone", "Telefoon"),
    "chat": ("Chat", "Chat"),
    "walk-in": ("Walk-in", "Balie"),
    "monitoring": ("Monitoring", "Monitoring"),
}


def folder_language(title: str) -> Locale:
    """The language of the knowledge folder usm-config writes, from its title (the folder's
    title is the adapter's own word, so it says which language it is in)."""
    return "nl" if title == WORDS["folder"][1] else "en"


locale = wording.locale


def other(lang: Locale) -> Locale:
    """The other locale: the language of a knowledge item's translation."""
    return "en" if lang == "nl" else "nl"


word = wording.Wording(WORDS).word
localised = wording.localised


def process_name(bp: Blueprint, pid: ProcessId) -> str:
    """A process's name in the blueprint's locale (USM's Dutch name when the blueprint has
    none)."""
    process = next((p for p in bp.processes if p.id == pid), None)
    if locale(bp) == "nl":
        return (process.name_nl if process else None) or PROCESSES[pid].name_nl
    return process.name if process else pid.value.capitalize()


def call_status(bp: Blueprint, status: str) -> str:
    """A USM call status in the blueprint's locale, capitalised as TOPdesk lists show them."""
    text = call_status_label(CallStatus(status), locale(bp))
    return text[:1].upper() + text[1:]


def duration_name(bp: Blueprint, minutes: int) -> str:
    """How a duration reads in TOPdesk's duration list: '30 minutes', '4 hours', '2 days'
    (whole days of 24 hours, else whole hours, else minutes)."""
    if minutes % (24 * 60) == 0:
        n, one, many = minutes // (24 * 60), "day", "days"
    elif minutes % 60 == 0:
        n, one, many = minutes // 60, "hour", "hours"
    else:
        n, one, many = minutes, "minute", "minutes"
    return word(bp, one) if n == 1 else word(bp, many, n=n)


def duration_period(minutes: int) -> tuple[int, str]:
    """A duration as TOPdesk stores it: a number of basic periods and the period's unit
    (``/incidents/durations``: ``basicPeriods``, ``timeSpanType``)."""
    if minutes % (24 * 60) == 0:
        return minutes // (24 * 60), "days"
    if minutes % 60 == 0:
        return minutes // 60, "hours"
    return minutes, "minutes"


sentence = wording.sentence
