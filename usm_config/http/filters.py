"""Splitting a scoped read's filter values over requests whose request lines stay short.

A plan reads a large collection only for the keys its blueprint and its lock file name
(``SupportsScopedRead``); those keys travel on the request line. Long request lines fail:
PySNC moves encoded params past some 10,000 characters into ServiceNow's Batch API, ansible
past 2,048 into a TinyURL (servicenow.md §1.3), and proxies commonly refuse lines past 8 KB.
So each request carries at most :data:`SCOPE_QUERY_CHARS` characters of filter once
percent-encoded, and a scope that needs more than :data:`SCOPE_REQUESTS` requests reads the
collection whole: so many keys are most of what it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote_plus

__all__ = ["SCOPE_QUERY_CHARS", "SCOPE_REQUESTS", "query_encoded", "scope_runs", "scope_texts"]

#: Longest filter one request of a scoped read carries, percent-encoded.
SCOPE_QUERY_CHARS = 4000
#: Most requests a scoped read of one collection takes; a scope that needs more reads it whole.
SCOPE_REQUESTS = 8


def query_encoded(text: str) -> str:
    """``text`` percent-encoded as it goes on the request line (a space as ``+``)."""
    return quote_plus(text, safe="")


def scope_runs(
    items: Sequence[str],
    separator: str,
    *,
    budget: int = SCOPE_QUERY_CHARS,
    most: int = SCOPE_REQUESTS,
) -> list[list[str]] | None:
    """``items``, in order, in as few runs as keep each run joined by ``separator`` within
    ``budget`` characters once encoded; ``None`` when one item alone is longer or more than
    ``most`` runs are needed (read the collection whole instead)."""
    joint = len(query_encoded(separator))
    runs: list[list[str]] = []
    current: list[str] = []
    size = 0
    for item in items:
        length = len(query_encoded(item))
        if length > budget:
            return None
        if current and size + joint + length > budget:
            if len(runs) == most - 1:
                return None
            runs.append(current)
            current, size = [], 0
        size += (joint if current else 0) + length
        current.append(item)
    if current:
        runs.append(current)
    return runs


def scope_texts(
    items: Sequence[str], separator: str, *, budget: int = SCOPE_QUERY_CHARS
) -> list[str] | None:
    """:func:`scope_runs`, each run joined by ``separator`` into the text one request carries;
    ``None`` where :func:`scope_runs` gives ``None``."""
    runs = scope_runs(items, separator, budget=budget)
    return None if runs is None else [separator.join(run) for run in runs]
