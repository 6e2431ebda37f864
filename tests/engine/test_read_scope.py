"""ReadScope.of: what a plan's scoped read must reach."""

from __future__ import annotations

from usm_config.engine.contract import ReadScope
from usm_config.engine.records import KindSpec, Record, ref

KINDS = {
    "group": KindSpec(name="group", label="group", key_fields=("name",), owned_fields=("name",)),
    "service": KindSpec(
        name="service",
        label="service",
        key_fields=("name",),
        owned_fields=("name", "group", "watchers"),
        references={"group": "group", "watchers": "group"},
    ),
}


def test_the_scope_holds_the_blueprints_keys_what_they_refer_to_and_the_lock_files() -> None:
    service = Record(
        kind="service",
        key=("Mail",),
        fields={
            "name": "Mail",
            "group": ref("group", ("Desk",)),
            "watchers": [ref("group", ("Ops",)), ref("group", ("Desk",))],
        },
    )
    group = Record(kind="group", key=("Web",), fields={"name": "Web"})
    managed = [("group", ("Old",), "g-9"), ("service", ("Gone",), "s-1")]

    scope = ReadScope.of([service, group], managed, KINDS)

    assert scope.keys_of("group") == {("Desk",), ("Ops",), ("Web",), ("Old",)}
    assert scope.keys_of("service") == {("Mail",), ("Gone",)}
    assert scope.ids_of("group") == {"g-9"} and scope.ids_of("service") == {"s-1"}
    assert scope.keys_of("other") == frozenset() and scope.ids_of("other") == frozenset()
