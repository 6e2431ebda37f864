"""Check requests against an OpenAPI 3 description: path, method and query parameter names.

Emulators use it to prove that an adapter sends only what the vendor's published spec allows.
It deliberately checks names only: vendor exports often leave parameter schemas empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["OpenApiRequestChecker"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class _Operation:
    query_params: frozenset[str]
    required: frozenset[str]


@dataclass(frozen=True)
class _PathTemplate:
    template: str
    pattern: re.Pattern[str]
    literal_segments: int
    operations: Mapping[str, _Operation]


class OpenApiRequestChecker:
    """Violations of an OpenAPI 3 document by a request's method, path and query names.

    ``extra_params`` adds parameters the spec omits but the vendor documents elsewhere; keys
    are ``"*"`` (every operation), a method (``"GET"``) or a method and path template
    (``"GET /api/now/table/{tableName}"``).
    """

    def __init__(
        self,
        spec: Mapping[str, Any],
        *,
        extra_params: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        self.extra_params = {key.strip(): frozenset(v) for key, v in (extra_params or {}).items()}
        servers = spec.get("servers") or [{}]
        base = urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")
        components = spec.get("components", {}).get("parameters", {})
        self._templates = [
            self._compile(base + template, item, components)
            for template, item in spec.get("paths", {}).items()
        ]
        # OpenAPI: a concrete path wins over a templated one that also matches.
        self._templates.sort(key=lambda t: -t.literal_segments)

    @classmethod
    def from_file(
        cls, path: str | Path, *, extra_params: Mapping[str, Collection[str]] | None = None
    ) -> OpenApiRequestChecker:
        """Load an OpenAPI 3 JSON document."""
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(spec, dict) or not str(spec.get("openapi", "")).startswith("3."):
            raise ValueError(f"{path} is not an OpenAPI 3 document")
        return cls(spec, extra_params=extra_params)

    def check(
        self,
        method: str,
        path: str,
        query_params: Iterable[str],
        *,
        allow_param: Callable[[str], bool] | None = None,
    ) -> list[str]:
        """Return the violations of one request (empty when it conforms).

        ``query_params`` are the names sent (a mapping's keys work too). ``allow_param`` may
        accept further names for this one call, e.g. a vendor's free-form filter parameters.
        """
        method = method.upper()
        template = next((t for t in self._templates if t.pattern.fullmatch(path)), None)
        if template is None:
            return [f"{method} {path}: no path in the spec matches"]
        operation = template.operations.get(method)
        if operation is None:
            allowed = ", ".join(sorted(template.operations)) or "none"
            return [f"{method} {template.template}: method not allowed (spec allows {allowed})"]
        extra = (
            self.extra_params.get("*", frozenset())
            | self.extra_params.get(method, frozenset())
            | self.extra_params.get(f"{method} {template.template}", frozenset())
        )
        sent = list(dict.fromkeys(query_params))
        violations = [
            f"{method} {template.template}: query parameter '{name}' is not declared"
            for name in sent
            if name not in operation.query_params
            and name not in extra
            and not (allow_param is not None and allow_param(name))
        ]
        violations += [
            f"{method} {template.template}: required query parameter '{name}' is missing"
            for name in sorted(operation.required - set(sent))
        ]
        return violations

    @staticmethod
    def _compile(
        template: str, item: Mapping[str, Any], components: Mapping[str, Any]
    ) -> _PathTemplate:
        def resolve(param: Mapping[str, Any]) -> Mapping[str, Any]:
            ref = param.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/parameters/"):
                resolved: Mapping[str, Any] = components.get(ref.rsplit("/", 1)[1], {})
                return resolved
            return param

        shared = [resolve(p) for p in item.get("parameters", [])]
        operations: dict[str, _Operation] = {}
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, Mapping):
                continue
            params = [*shared, *(resolve(p) for p in operation.get("parameters", []))]
            query = [p for p in params if p.get("in") == "query"]
            operations[method.upper()] = _Operation(
                frozenset(str(p.get("name")) for p in query),
                frozenset(str(p.get("name")) for p in query if p.get("required")),
            )
        parts = re.split(r"(\{[^}/]+\})", template)
        regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
        literal = sum(1 for seg in template.split("/") if seg and "{" not in seg)
        return _PathTemplate(template, re.compile(regex), literal, operations)
