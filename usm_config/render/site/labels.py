"""Every label the catalogue prints, in English and Dutch, in one table.

Templates read labels as ``L.key``; a key missing here is an error when the page renders
(the site's Jinja environment is strict), so the two languages cannot drift apart silently.
"""

from __future__ import annotations

from usm_config.blueprint.model import Locale

#: key → (English, Dutch)
LABELS: dict[str, tuple[str, str]] = {
    "catalogue": ("Service management catalogue", "Catalogus dienstverlening"),
    "overview": ("Overview", "Overzicht"),
    "services": ("Services", "Diensten"),
    "service": ("Service", "Dienst"),
    "workflows": ("Workflows", "Workflows"),
    "workflow": ("Workflow", "Workflow"),
    "teams": ("Teams", "Teams"),
    "customers": ("Customers", "Klanten"),
    "schedules": ("Schedules", "Tijdschema's"),
    "classification": ("Classification", "Classificatie"),
    "landing": ("Where it lands", "Waar het terechtkomt"),
    "sources": ("Blueprint files", "Blauwdrukbestanden"),
    "source": ("Source", "Bron"),
    "defined_in": ("Defined in", "Vastgelegd in"),
    "line": ("line", "regel"),
    "processes": ("Processes", "Processen"),
    "process_model": (
        "The five USM processes and the hand-overs between them",
        "De vijf USM-processen en de overdrachten daartussen",
    ),
    "process_model_note": (
        "An arrow is a hand-over at a fork; the numbers on it are the workflows that use it. "
        "Every workflow is listed below with its path.",
        "Een pijl is een overdracht bij een fork; de nummers erbij zijn de workflows die hem "
        "gebruiken. Hieronder staat elke workflow met zijn pad.",
    ),
    "number": ("No.", "Nr."),
    "name": ("Name", "Naam"),
    "trigger": ("Trigger", "Aanleiding"),
    "path": ("Path", "Pad"),
    "kind": ("Kind", "Soort"),
    "reactive": ("reactive", "reactief"),
    "proactive": ("proactive", "proactief"),
    "steps": ("Steps", "Stappen"),
    "description": ("Description", "Omschrijving"),
    "organisation": ("Organisation", "Organisatie"),
    "locale": ("Language", "Taal"),
    "timezone": ("Time zone", "Tijdzone"),
    "diagram": ("Diagram", "Diagram"),
    "diagram_legend": (
        "One column per process, steps top to bottom in the order they run. An orange box is "
        "the fork step that hands the call over (dashed orange arrow); a green box is where the "
        "process resumes (dashed green arrow). ⇒ is the status the step sets. A clock runs from "
        "the filled dot to the open square.",
        "Eén kolom per proces, de stappen van boven naar beneden in de volgorde waarin ze "
        "lopen. Een oranje kader is de forkstap die de call overdraagt (gestippelde oranje "
        "pijl); een groen kader is waar het proces verdergaat (gestippelde groene pijl). ⇒ is "
        "de status die de stap zet. Een klok loopt van de gevulde stip tot het open vierkant.",
    ),
    "download_svg": ("Diagram as SVG", "Diagram als SVG"),
    "sequence": ("Step sequence", "Stappenvolgorde"),
    "position": ("#", "#"),
    "process": ("Process", "Proces"),
    "step": ("Step", "Stap"),
    "status": ("Status it sets", "Status die de stap zet"),
    "handover": ("Hand-over", "Overdracht"),
    "clocks": ("SLA clocks", "SLA-klokken"),
    "clock": ("Clock", "Klok"),
    "target": ("Target", "Norm"),
    "starts_at": ("Starts at", "Start bij"),
    "stops_at": ("Stops at", "Stopt bij"),
    "tailored_steps": (
        "Activities, responsibilities and work instructions",
        "Activiteiten, verantwoordelijkheden en werkinstructies",
    ),
    "activity": ("Activity", "Activiteit"),
    "work_instruction": ("Work instruction", "Werkinstructie"),
    "raci_legend": (
        "R = responsible, A = accountable, C = consulted, I = informed.",
        "R = uitvoerend (responsible), A = eindverantwoordelijk (accountable), "
        "C = geraadpleegd (consulted), I = geïnformeerd (informed).",
    ),
    "no_tailoring": (
        "The organisation uses this workflow as USM defines it; no step is tailored.",
        "De organisatie gebruikt deze workflow zoals USM hem beschrijft; geen stap is aangepast.",
    ),
    "facility": ("Facility", "Voorziening"),
    "goods": ("Goods", "Goederen"),
    "actions": ("Actions", "Handelingen"),
    "supported_by": ("Supporting teams", "Ondersteunende teams"),
    "lifecycle": ("Lifecycle", "Levenscyclus"),
    "owner": ("Service manager", "Dienstverantwoordelijke"),
    "agreement": ("Service agreement", "Dienstverleningsovereenkomst"),
    "customer": ("Customer", "Klant"),
    "service_hours": ("Service hours", "Servicetijden"),
    "support_hours": ("Support hours", "Ondersteuningstijden"),
    "channels": ("Channels", "Kanalen"),
    "availability": ("Availability", "Beschikbaarheid"),
    "targets": ("Targets per priority", "Normen per prioriteit"),
    "priority": ("Priority", "Prioriteit"),
    "response": ("Response", "Reactietijd"),
    "resolution": ("Resolution", "Oplostijd"),
    "olas": ("Operational level agreements (OLAs)", "Interne werkafspraken (OLA's)"),
    "ucs": ("Underpinning contracts (UCs)", "Onderliggende overeenkomsten (UC's)"),
    "team": ("Team", "Team"),
    "reference": ("Reference", "Referentie"),
    "requests": ("Request items", "Aanvraagbare items"),
    "call_type": ("Call type", "Soort call"),
    "category": ("Category", "Categorie"),
    "none": ("none", "geen"),
    "no_agreement": ("No service agreement.", "Geen dienstverleningsovereenkomst."),
    "internal": ("internal", "intern"),
    "supplier": ("supplier", "leverancier"),
    "external": ("external", "extern"),
    "email": ("E-mail", "E-mail"),
    "coordinator": ("Coordinator", "Coördinator"),
    "profiles": ("Profiles", "Profielen"),
    "usm_role": ("USM profile", "USM-profiel"),
    "supports": ("Supports", "Ondersteunt"),
    "agreed_services": ("Agreed services", "Afgesproken diensten"),
    "holidays": ("Closed on", "Gesloten op"),
    "week": ("Week", "Week"),
    "hours": ("Hours", "Uren"),
    "open": ("open", "open"),
    "categories": ("Categories per call type", "Categorieën per soort call"),
    "priority_matrix": ("Priority: impact × urgency", "Prioriteit: impact × urgentie"),
    "risk_matrix": ("Risk: effect × likelihood", "Risico: effect × waarschijnlijkheid"),
    "impact": ("Impact", "Impact"),
    "urgency": ("Urgency", "Urgentie"),
    "effect": ("Effect", "Effect"),
    "likelihood": ("Likelihood", "Waarschijnlijkheid"),
    "rank": ("Rank", "Rang"),
    "levels": ("Levels", "Niveaus"),
    "landing_intro": (
        "What each blueprint element becomes in every installed adapter: a record the adapter "
        "writes, a manual step (the tool's API cannot write it; the plan says what to do), or "
        "a file the plan writes next to it. Worked out by the adapter's compile step; no tool "
        "is contacted.",
        "Wat elk element van de blauwdruk wordt in elke geïnstalleerde adapter: een record "
        "dat de adapter schrijft, een handmatige stap (de API van het pakket kan het niet "
        "schrijven; het plan zegt wat te doen) of een bestand dat het plan ernaast schrijft. "
        "Bepaald door de compileerstap van de adapter; er wordt geen pakket benaderd.",
    ),
    "adapter": ("Adapter", "Adapter"),
    "element": ("Blueprint element", "Element van de blauwdruk"),
    "becomes": ("Becomes", "Wordt"),
    "manual": ("manual step", "handmatige stap"),
    "artifacts": ("Files the plan writes", "Bestanden die het plan schrijft"),
    "notes": ("Notes", "Opmerkingen"),
    "no_adapters": ("No adapter is installed.", "Er is geen adapter geïnstalleerd."),
    "generated": ("Generated by usm-config from", "Gemaakt door usm-config uit"),
    "weekday_mon": ("Mon", "ma"),
    "weekday_tue": ("Tue", "di"),
    "weekday_wed": ("Wed", "wo"),
    "weekday_thu": ("Thu", "do"),
    "weekday_fri": ("Fri", "vr"),
    "weekday_sat": ("Sat", "za"),
    "weekday_sun": ("Sun", "zo"),
    "lifecycle_pipeline": ("pipeline", "in voorbereiding"),
    "lifecycle_live": ("live", "in gebruik"),
    "lifecycle_retired": ("retired", "uitgefaseerd"),
    "channel_portal": ("portal", "portaal"),
    "channel_email": ("e-mail", "e-mail"),
    "channel_phone": ("phone", "telefoon"),
    "channel_chat": ("chat", "chat"),
    "channel_walk-in": ("walk-in", "inloop"),
    "channel_monitoring": ("monitoring", "monitoring"),
    "skip": ("Skip to content", "Naar de inhoud"),
    "menu": ("Pages", "Pagina's"),
}


def labels(locale: Locale) -> dict[str, str]:
    """The label table in ``locale``."""
    index = 0 if locale == "en" else 1
    return {key: pair[index] for key, pair in LABELS.items()}
