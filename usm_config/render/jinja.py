"""One way to make the jinja2 environment of a package's templates.

Templates are the project's own and strict: an undefined name is an error, blocks do not leave
blank lines. What varies per use is data: escaping (HTML and XML, not Markdown), whether a
file's last newline is kept, the filters, and whether the template runs sandboxed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment


def template_environment(
    package: str,
    *,
    autoescape: bool | Callable[[str | None], bool],
    keep_trailing_newline: bool = True,
    filters: Mapping[str, Callable[..., Any]] | None = None,
    sandboxed: bool = False,
) -> jinja2.Environment:
    """The environment of the templates in ``<package>/templates``."""
    kind = SandboxedEnvironment if sandboxed else jinja2.Environment
    env = kind(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
    )
    env.filters.update(filters or {})
    return env
