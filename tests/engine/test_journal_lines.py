"""The journal's ``begin`` and ``done`` lines, encoded by hand, are the lines ``json.dumps``
writes for the same entries, and the reader takes them back as they were written."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from usm_config.engine.journal import Journal, recover
from usm_config.engine.lock import Lock
from usm_config.engine.plan import Action

texts = st.text(st.characters(codec="utf-8"), max_size=12)
maybe = st.none() | texts


@settings(max_examples=200, deadline=None)
@given(
    change=texts,
    action=st.sampled_from([a.value for a in Action]),
    uid=maybe,
    kind=texts,
    key=st.lists(texts, max_size=3),
    applied=maybe,
    target_id=maybe,
    batched=st.booleans(),
)
def test_lines_are_those_json_dumps_writes(
    change: str,
    action: str,
    uid: str | None,
    kind: str,
    key: list[str],
    applied: str | None,
    target_id: str | None,
    batched: bool,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "j.jsonl"
        with Journal(path, target="t", adapter="a") as journal:
            if batched:
                with journal.together():
                    journal.begin(change, action, uid, kind, tuple(key), applied)
                    journal.done(change, target_id)
            else:
                journal.begin(change, action, uid, kind, tuple(key), applied)
                journal.done(change, target_id)
        lines = path.read_text(encoding="utf-8").split("\n")
    begin = {
        "event": "begin",
        "change": change,
        "action": action,
        "uid": uid,
        "kind": kind,
        "key": key,
        "applied": applied,
    }
    done = {"event": "done", "change": change, "target_id": target_id}
    assert lines[1:] == [json.dumps(begin, sort_keys=True), json.dumps(done, sort_keys=True), ""]


def test_the_reader_folds_hand_encoded_lines_into_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path, target="t", adapter="a") as journal:
        with journal.together():
            journal.begin('create:k[é/"x"]', "create", "u1", "k", ("é", '"x"'), "f1")
            journal.begin("create:k[b]", "create", "u2", "k", ("b",), None)
        journal.done('create:k[é/"x"]', "id-1")
    lock = Lock(path=tmp_path / "lock.json", target="t", adapter="a")
    recovered = recover(path, lock)
    assert recovered.confirmed == 1
    assert [(u.uid, u.key) for u in recovered.unconfirmed] == [("u2", ("b",))]
    entry = lock.entries["u1"]
    assert (entry.target_id, entry.key, entry.applied) == ("id-1", ("é", '"x"'), "f1")
