"""Check requests against OpenAPI 3 documents: path, method, query parameters and JSON body;
and an emulator's answers against the responses each operation documents: their statuses,
and their JSON bodies against the schema documented for the status
(:meth:`OpenApiRequestChecker.check_response`).

Emulators use it to prove that an adapter sends only what the vendor's published spec allows:

* the method and path must match an operation (templated paths, a concrete path winning over
  a template that also matches);
* every query parameter must be declared, required ones present, and a name may repeat only
  where the parameter's schema is an array (``?id=1&id=2``);
* a JSON body must be declared, present when required, and valid against the operation's
  ``requestBody`` schema, ``$ref`` into ``components`` included. The schema check needs the
  ``jsonschema`` package (a dependency of usm-config); without it bodies are checked for
  presence only.

Parameter values are not checked: vendor exports often leave parameter schemas empty. Large
documents (Jira's platform spec is 2.4 MB) are loaded and indexed once per process per file
(:meth:`OpenApiRequestChecker.from_file`, :meth:`OpenApiRequestChecker.from_files`); body
validators are built on first use.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import itertools
import json
import re
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = ["NO_BODY", "OpenApiRequestChecker", "body_schemas_checked", "is_json_media"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_MAX_BODY_ERRORS = 5


class _NoBody:
    def __repr__(self) -> str:
        return "NO_BODY"


#: The request had no body (``None`` is a JSON ``null`` body).
NO_BODY: Final = _NoBody()


@functools.cache
def body_schemas_checked() -> bool:
    """Whether request bodies are validated against schemas (``jsonschema`` is installed)."""
    return importlib.util.find_spec("jsonschema") is not None


@dataclass(frozen=True)
class _Operation:
    query_params: frozenset[str]
    required: frozenset[str]
    repeatable: frozenset[str]
    body_declared: bool
    body_required: bool
    #: JSON pointer of the application/json schema inside the document, if any.
    body_schema_pointer: str | None
    #: The response statuses the operation documents ("200", "2XX", "default").
    statuses: frozenset[str] = frozenset()
    #: JSON pointer of each documented response's JSON schema, by status as documented.
    response_schema_pointers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _PathTemplate:
    template: str
    pattern: re.Pattern[str]
    literal_segments: int
    operations: Mapping[str, _Operation]
    index: _SpecIndex


@dataclass
class _SpecIndex:
    """One document's operations, and its body validators (built on first use)."""

    document: Mapping[str, Any]
    templates: list[_PathTemplate] = field(default_factory=list)
    _validators: dict[tuple[str, bool], Any] = field(default_factory=dict)
    _registries: dict[bool, tuple[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def body_errors(self, pointer: str, body: Any, *, as_answer: bool = False) -> list[str]:
        """How ``body`` departs from the schema at ``pointer``; ``as_answer`` checks it as a
        tool's answer (see :meth:`OpenApiRequestChecker.check_response`)."""
        validator = self._validator(pointer, as_answer)
        if validator is None:
            return []
        errors = sorted(
            validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path]
        )
        messages = []
        for error in errors[:_MAX_BODY_ERRORS]:
            where = "".join(f"[{p!r}]" for p in error.absolute_path) or "(root)"
            message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
            messages.append(f"{where}: {message}")
        return messages

    def _validator(self, pointer: str, as_answer: bool) -> Any:
        if not body_schemas_checked():
            return None
        with self._lock:
            key = (pointer, as_answer)
            if key not in self._validators:
                self._validators[key] = self._build_validator(pointer, as_answer)
            return self._validators[key]

    def _build_validator(self, pointer: str, as_answer: bool) -> Any:
        # jsonschema is imported only when a body schema is first checked.
        from jsonschema import (  # type: ignore[import-untyped]  # noqa: PLC0415
            Draft4Validator,
            Draft202012Validator,
        )
        from referencing import Registry  # noqa: PLC0415
        from referencing.jsonschema import DRAFT4, DRAFT202012  # noqa: PLC0415

        openapi_30 = str(self.document.get("openapi", "")).startswith("3.0")
        if as_answer not in self._registries:
            uri = f"urn:usm-config:openapi:{next(_DOCUMENT_NUMBERS)}"
            contents = _nullable_to_type(self.document) if openapi_30 else self.document
            if as_answer:
                contents = _as_answer(contents)
            resource = (DRAFT4 if openapi_30 else DRAFT202012).create_resource(contents)
            self._registries[as_answer] = (uri, Registry().with_resource(uri, resource))
        uri, registry = self._registries[as_answer]
        # OpenAPI 3.0 schemas are a JSON Schema draft 4 dialect; 3.1 uses draft 2020-12.
        validator_class = Draft4Validator if openapi_30 else Draft202012Validator
        return validator_class({"$ref": f"{uri}#{pointer}"}, registry=registry)


_DOCUMENT_NUMBERS = itertools.count(1)


def _nullable_to_type(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema: ``null`` added to the ``type``."""
    if isinstance(node, list):
        return [_nullable_to_type(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    converted = {key: _nullable_to_type(value) for key, value in node.items()}
    if converted.get("nullable") is True and isinstance(converted.get("type"), str):
        converted["type"] = [converted["type"], "null"]
    return converted


def _as_answer(node: Any) -> Any:
    """The schemas under ``node`` as a tool's answers meet them: ``null`` added to every
    ``type`` (and ``enum``), and properties beyond the listed ones allowed."""
    if isinstance(node, list):
        return [_as_answer(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    converted = {
        key: _as_answer(value)
        for key, value in node.items()
        if not (key == "additionalProperties" and value is False)
    }
    kind = converted.get("type")
    if isinstance(kind, str) and kind != "null":
        converted["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        converted["type"] = [*kind, "null"]
    if isinstance(converted.get("enum"), list) and None not in converted["enum"]:
        converted["enum"] = [*converted["enum"], None]
    return converted


def _pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _index(spec: Mapping[str, Any]) -> _SpecIndex:
    """Index a document the index may keep (not changed by anyone afterwards)."""
    index = _SpecIndex(spec)
    document = index.document
    servers = document.get("servers") or [{}]
    base = urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")
    components = document.get("components", {})

    def resolve(node: Any) -> Any:
        # Follows local $refs ("#/components/parameters/page") to the node they name.
        seen = 0
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and seen < 10:
            ref: str = node["$ref"]
            if not ref.startswith("#/"):
                return node
            target: Any = document
            for escaped in ref[2:].split("/"):
                token = escaped.replace("~1", "/").replace("~0", "~")
                target = target.get(token, {}) if isinstance(target, Mapping) else {}
            node, seen = target, seen + 1
        return node

    del components  # everything is resolved through the whole document
    for template, item in document.get("paths", {}).items():
        shared = [resolve(p) for p in item.get("parameters", [])]
        operations: dict[str, _Operation] = {}
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, Mapping):
                continue
            params = [*shared, *(resolve(p) for p in operation.get("parameters", []))]
            query = [p for p in params if p.get("in") == "query"]
            body = resolve(operation.get("requestBody"))
            at = ("paths", template, method)
            answers = {
                str(code).upper(): _json_schema_pointer(answer, resolve, (*at, "responses", code))
                for code, answer in operation.get("responses", {}).items()
            }
            operations[method.upper()] = _Operation(
                query_params=frozenset(str(p.get("name")) for p in query),
                required=frozenset(str(p.get("name")) for p in query if p.get("required")),
                repeatable=frozenset(
                    str(p.get("name"))
                    for p in query
                    if resolve(p.get("schema") or {}).get("type") == "array"
                ),
                body_declared=bool(body),
                body_required=bool((body or {}).get("required")),
                body_schema_pointer=_json_schema_pointer(
                    operation.get("requestBody"), resolve, (*at, "requestBody")
                ),
                statuses=frozenset(str(code).upper() for code in operation.get("responses", {})),
                response_schema_pointers={c: p for c, p in answers.items() if p is not None},
            )
        full = base + template
        parts = re.split(r"(\{[^}/]+\})", full)
        regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
        literal = sum(1 for seg in full.split("/") if seg and "{" not in seg)
        index.templates.append(_PathTemplate(full, re.compile(regex), literal, operations, index))
    return index


def is_json_media(content_type: str) -> bool:
    """Whether a media type (parameters allowed, any case) is JSON: ``application/json`` or
    a ``+json`` type such as ``application/merge-patch+json``."""
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _documented_as(status: int) -> tuple[str, str, str]:
    """The keys of an operation's ``responses`` that may document ``status``, most specific
    first: the code itself, its range (``4XX``), ``default`` (keys are kept upper-case)."""
    code = str(status)
    return code, f"{code[0]}XX", "DEFAULT"


def _json_schema_pointer(
    node: Any, resolve: Callable[[Any], Any], where: tuple[Any, ...]
) -> str | None:
    """The JSON pointer of the JSON schema (``application/json`` or a ``+json`` type) of a
    request body or a response at path ``where`` in the document, following a ``$ref`` to
    ``components/requestBodies`` or ``components/responses``; ``None`` without one."""
    resolved = resolve(node)
    content = resolved.get("content", {}) if isinstance(resolved, Mapping) else {}
    media = next((m for m in content if is_json_media(m)), None)
    if media is None or "schema" not in content[media]:
        return None
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        base = str(node["$ref"])[1:]
    else:
        base = "/" + "/".join(_pointer_token(str(part)) for part in where)
    return base + "/" + "/".join(_pointer_token(part) for part in ("content", media, "schema"))


@functools.lru_cache(maxsize=16)
def _index_file(path: str, mtime_ns: int, size: int) -> _SpecIndex:
    spec = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(spec, dict) or not str(spec.get("openapi", "")).startswith("3."):
        raise ValueError(f"{path} is not an OpenAPI 3 document")
    return _index(spec)


_Extras = dict[str, frozenset[Any]]


def _by_operation_key(extras: Mapping[str, Collection[Any]] | None) -> _Extras:
    """``extra_params`` or ``extra_statuses`` by key ("*", a method, or "METHOD /template")."""
    return {key.strip(): frozenset(values) for key, values in (extras or {}).items()}


def _extras(extras: _Extras, method: str, where: str) -> frozenset[Any]:
    """What ``extras`` allows the operation ``where`` (its method and template): the entries
    for every operation, for its method and for it alone."""
    empty: frozenset[Any] = frozenset()
    return extras.get("*", empty) | extras.get(method, empty) | extras.get(where, empty)


def _load(path: str | Path) -> _SpecIndex:
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return _index_file(str(resolved), stat.st_mtime_ns, stat.st_size)


class OpenApiRequestChecker:
    """Violations of one or more OpenAPI 3 documents by a request.

    ``spec`` is a document or a sequence of documents (e.g. Jira's platform and service desk
    APIs); their paths are searched together. ``extra_params`` adds parameters the spec omits
    but the vendor documents elsewhere; keys are ``"*"`` (every operation), a method
    (``"GET"``) or a method and path template (``"GET /api/now/table/{tableName}"``). Extra
    parameters may repeat. ``extra_statuses`` does the same for response statuses (see
    :meth:`check_status`).
    """

    def __init__(
        self,
        spec: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        extra_params: Mapping[str, Collection[str]] | None = None,
        extra_statuses: Mapping[str, Collection[int]] | None = None,
    ) -> None:
        documents = [spec] if isinstance(spec, Mapping) else list(spec)
        indexes = [_index(copy.deepcopy(dict(d))) for d in documents]
        self._init(indexes, extra_params, extra_statuses)

    def _init(
        self,
        indexes: Sequence[_SpecIndex],
        extra_params: Mapping[str, Collection[str]] | None,
        extra_statuses: Mapping[str, Collection[int]] | None = None,
    ) -> None:
        self.extra_params = _by_operation_key(extra_params)
        self.extra_statuses = _by_operation_key(extra_statuses)
        # OpenAPI: a concrete path wins over a templated one that also matches.
        self._templates = sorted(
            (t for index in indexes for t in index.templates), key=lambda t: -t.literal_segments
        )

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        extra_params: Mapping[str, Collection[str]] | None = None,
        extra_statuses: Mapping[str, Collection[int]] | None = None,
    ) -> OpenApiRequestChecker:
        """Load an OpenAPI 3 JSON document (parsed and indexed once per process)."""
        return cls.from_files(path, extra_params=extra_params, extra_statuses=extra_statuses)

    @classmethod
    def from_files(
        cls,
        *paths: str | Path,
        extra_params: Mapping[str, Collection[str]] | None = None,
        extra_statuses: Mapping[str, Collection[int]] | None = None,
    ) -> OpenApiRequestChecker:
        """Load several OpenAPI 3 JSON documents whose paths are checked together."""
        checker = cls.__new__(cls)
        checker._init([_load(path) for path in paths], extra_params, extra_statuses)
        return checker

    def check(
        self,
        method: str,
        path: str,
        query: Iterable[str] | Iterable[tuple[str, str]] | Mapping[str, str],
        *,
        allow_param: Callable[[str], bool] | None = None,
        body: Any = NO_BODY,
    ) -> list[str]:
        """Return the violations of one request (empty when it conforms).

        ``query`` is what was sent: ``(name, value)`` pairs, names, or a mapping; a name
        listed twice was repeated. ``allow_param`` may accept further names for this one call
        (e.g. a vendor's free-form filter parameters); they may repeat. ``body`` is the
        decoded JSON body, :data:`NO_BODY` when there was none.
        """
        method = method.upper()
        template = self._template(path)
        if template is None:
            return [f"{method} {path}: no path in the spec matches"]
        operation = template.operations.get(method)
        where = f"{method} {template.template}"
        if operation is None:
            allowed = ", ".join(sorted(template.operations)) or "none"
            return [f"{where}: method not allowed (spec allows {allowed})"]
        extra = _extras(self.extra_params, method, where)
        pairs = query.keys() if isinstance(query, Mapping) else query
        sent = [name if isinstance(name, str) else name[0] for name in pairs]
        violations: list[str] = []
        for name in dict.fromkeys(sent):
            free = name in extra or (allow_param is not None and allow_param(name))
            if name not in operation.query_params and not free:
                violations.append(f"{where}: query parameter '{name}' is not declared")
            elif sent.count(name) > 1 and name not in operation.repeatable and not free:
                violations.append(f"{where}: query parameter '{name}' is repeated but no array")
        violations += [
            f"{where}: required query parameter '{name}' is missing"
            for name in sorted(operation.required - set(sent))
        ]
        return violations + self._body_violations(where, template.index, operation, body)

    def check_status(self, method: str, path: str, status: int) -> list[str]:
        """The violation when the operation ``method path`` does not document ``status`` among
        its responses (``default`` and ``4XX``-style ranges count); empty when it does, when
        the operation documents no responses, or when no operation matches (:meth:`check`
        reports that). ``extra_statuses`` allows what the vendor documents elsewhere."""
        method = method.upper()
        found = self._operation(method, path)
        if found is None or not found[1].statuses:
            return []
        template, operation = found
        where = f"{method} {template.template}"
        allowed = _extras(self.extra_statuses, method, where)
        if operation.statuses.intersection(_documented_as(status)) or status in allowed:
            return []
        documented = ", ".join(sorted(operation.statuses))
        return [f"{where}: answered {status}, which the operation does not document ({documented})"]

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """The ways the JSON ``body`` an emulator answered ``method path`` with ``status``
        departs from the schema the operation documents for that status (its own, else its
        ``2XX``-style range's, else ``default``); empty when it conforms, or when no schema is
        documented for it.

        Two things the schemas say pass all the same, as the tools' own answers have them:
        ``null`` wherever a value may be (vendors' response schemas seldom say which fields
        may be null, and a live TOPdesk operator card answers ``"location": null`` where the
        schema says object), and properties beyond the listed ones (Jira answers an issue
        type's ``untranslatedName``, which its ``IssueTypeDetails`` schema leaves out while
        allowing no others). Types, enums and required properties are checked."""
        method = method.upper()
        found = self._operation(method, path)
        if found is None:
            return []
        template, operation = found
        pointers = operation.response_schema_pointers
        pointer = next((pointers[key] for key in _documented_as(status) if key in pointers), None)
        if pointer is None:
            return []
        where = f"{method} {template.template}"
        return [
            f"{where}: {status} response body {error}"
            for error in template.index.body_errors(pointer, body, as_answer=True)
        ]

    def _operation(self, method: str, path: str) -> tuple[_PathTemplate, _Operation] | None:
        """The spec path ``path`` falls under and its ``method`` operation, if it has one."""
        template = self._template(path)
        operation = template.operations.get(method) if template else None
        return None if template is None or operation is None else (template, operation)

    def _template(self, path: str) -> _PathTemplate | None:
        """The spec path ``path`` falls under (a concrete one before a templated one)."""
        return next((t for t in self._templates if t.pattern.fullmatch(path)), None)

    @staticmethod
    def _body_violations(
        where: str, index: _SpecIndex, operation: _Operation, body: Any
    ) -> list[str]:
        if body is NO_BODY:
            return [f"{where}: request body is required"] if operation.body_required else []
        if not operation.body_declared:
            return [f"{where}: request body is not declared"]
        if operation.body_schema_pointer is None:
            return []
        return [
            f"{where}: request body {error}"
            for error in index.body_errors(operation.body_schema_pointer, body)
        ]
