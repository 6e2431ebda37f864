"""The jinja2 environment of the adapter's templates (knowledge articles, update-set XML)."""

from __future__ import annotations

import functools

import jinja2
from markupsafe import Markup, escape

from usm_config.render.jinja import template_environment


def html_lines(text: str) -> Markup:
    """Escape ``text`` and keep its line breaks as ``<br>``."""
    return Markup("<br>").join(escape(line) for line in text.strip().splitlines())


def xml_text(value: object) -> Markup:
    """Escape element text; a carriage return becomes ``&#13;`` so parsers keep it."""
    return Markup(str(escape(str(value))).replace("\r", "&#13;"))


def xml_attr(value: object) -> Markup:
    """Escape an attribute value; line breaks and tabs become character references so that
    attribute-value normalisation does not turn them into spaces."""
    text = str(escape(str(value)))
    for char, reference in (("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#9;")):
        text = text.replace(char, reference)
    return Markup(text)


@functools.cache
def environment() -> jinja2.Environment:
    """Autoescaping, strict environment over ``usm_servicenow/templates``."""
    filters = {"lines": html_lines, "xml": xml_text, "attr": xml_attr}
    return template_environment("usm_servicenow", autoescape=True, filters=filters)
