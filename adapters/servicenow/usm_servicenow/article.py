"""The knowledge article that shows an agent one tailored USM workflow.

The content is :func:`usm_config.compile.article.workflow_article`'s tool-neutral model; this
module adds what only ServiceNow has (the workflow's Flow Designer flow, the knowledge base)
and renders ``templates/kb_workflow.html.j2``.
"""

from __future__ import annotations

from usm_config.blueprint.model import Blueprint, Workflow
from usm_config.compile.article import Locale, workflow_article
from usm_servicenow.templating import environment
from usm_servicenow.values import knowledge_base_title, setting

#: Articles are published in English, like every other label the adapter writes.
ARTICLE_LOCALE: Locale = "en"


def render_workflow_article(bp: Blueprint, wf: Workflow) -> str:
    """The HTML body of a workflow's knowledge article (kb_knowledge.text)."""
    template = environment().get_template("kb_workflow.html.j2")
    return template.render(
        article=workflow_article(bp, wf, ARTICLE_LOCALE),
        flow=setting(wf, "flow", ""),
        knowledge_base=knowledge_base_title(bp),
    )
