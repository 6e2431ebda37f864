"""The knowledge article that shows an agent one tailored USM workflow.

The content is :func:`usm_config.compile.article.workflow_article`'s tool-neutral model, in the
blueprint's locale; this module adds what only ServiceNow has (the workflow's Flow Designer
flow, the knowledge base, how SLA definitions time a call) and renders
``templates/kb_workflow.html.j2``.
"""

from __future__ import annotations

from markupsafe import Markup

from usm_config.blueprint.model import Blueprint, Workflow
from usm_config.compile.article import workflow_article
from usm_servicenow.templating import environment
from usm_servicenow.values import knowledge_base_title, locale, setting

#: The article's ServiceNow-specific phrases: key → (en, nl), HTML. The template fills in
#: ``{…}`` with ``Markup.format``, which escapes the values.
PHRASES: dict[str, tuple[str, str]] = {
    "intro": (
        "<strong>USM workflow {number}</strong>: a {kind} workflow, started by a call of type "
        "<strong>{trigger}</strong>.",
        "<strong>USM-workflow {number}</strong>: een workflow ({kind}), gestart door een call "
        "van het type <strong>{trigger}</strong>.",
    ),
    "other_name": ("Dutch name: <em>{name}</em>.", "Engelse naam: <em>{name}</em>."),
    "clocks_intro": (
        "These clocks are measured against the response and resolution targets of the "
        "agreements. In ServiceNow the SLA definitions of each agreement time the calls: they "
        "start on the call's priority and service offering and stop on its state.",
        "Deze klokken worden gemeten tegen de normen voor reactie- en oplostijd in de "
        "overeenkomsten. In ServiceNow meten de SLA-definities van elke overeenkomst de calls: "
        "ze starten op de prioriteit en het serviceaanbod van de call en stoppen op zijn status.",
    ),
    "automation": ("Automation", "Automatisering"),
    "flow": (
        "This workflow is automated by the Flow Designer flow <strong>{flow}</strong>.",
        "Deze workflow wordt geautomatiseerd door de Flow Designer-flow <strong>{flow}</strong>.",
    ),
    "footer": (
        "Published from the USM blueprint by usm-config into the knowledge base {base}. Change "
        "the blueprint, not this article: the next apply overwrites edits made here.",
        "Gepubliceerd vanuit de USM-blauwdruk door usm-config in de kennisbank {base}. Wijzig "
        "de blauwdruk, niet dit artikel: de volgende apply overschrijft wijzigingen hier.",
    ),
}


def render_workflow_article(bp: Blueprint, wf: Workflow) -> str:
    """The HTML body of a workflow's knowledge article (kb_knowledge.text):
    ``x-servicenow.article`` as it is when the workflow carries one (an export keeps there an
    article it cannot read back into the blueprint), else rendered from the blueprint."""
    kept = setting(wf, "article", "")
    if kept:
        return kept
    template = environment().get_template("kb_workflow.html.j2")
    dutch = locale(bp) == "nl"
    return template.render(
        article=workflow_article(bp, wf),
        phrases={key: Markup(pair[1] if dutch else pair[0]) for key, pair in PHRASES.items()},
        flow=setting(wf, "flow", ""),
        knowledge_base=knowledge_base_title(bp),
    )
