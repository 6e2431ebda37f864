"""Ownership between blueprints: which records other blueprints' lock files manage.

Several blueprints may be applied to one target. Each has its lock file,
``<name>.<target>.lock.json``; those beside this blueprint's lock file *claim* their records,
with what their journals confirmed (an interrupted apply of another blueprint owns what it
created too). A plan never adopts or changes a claimed record without ``--take-over``.

Only lock files in that one folder are seen: targets several blueprints are applied to set
``lock_dir`` so that every blueprint's lock file lands there.
"""

from __future__ import annotations

import json
from pathlib import Path

from usm_config.engine.journal import recover
from usm_config.engine.lock import Lock


def other_claims(lock: Lock) -> dict[tuple[str, str], Path]:
    """The records the other lock files for ``lock``'s target beside it claim: (kind, target
    id) → the lock file. Nothing is written; a damaged lock file raises
    :class:`~usm_config.engine.lock.LockError` naming it."""
    claims: dict[tuple[str, str], Path] = {}
    suffix = f".{lock.target}.lock.json"
    folder = lock.path.parent
    if not folder.is_dir():
        return claims
    for path in sorted(folder.glob(f"*{suffix}")):
        if path.resolve() == lock.path.resolve() or not path.is_file():
            continue
        try:
            named = json.loads(path.read_text(encoding="utf-8")).get("target")
        except (ValueError, AttributeError):
            named = None  # Lock.load says what is wrong with it
        if named not in (None, lock.target):
            continue  # the lock of a target whose name ends like this one's (``x.<target>``)
        other = Lock.load(path, lock.target, lock.adapter)
        recover(path.with_suffix(".journal.jsonl"), other)
        for entry in other.entries.values():
            claims.setdefault((entry.kind, entry.target_id), path)
    return claims
