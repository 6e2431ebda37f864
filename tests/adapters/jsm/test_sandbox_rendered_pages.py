"""A page of a long listing renders only its own rows, and the envelope is what the rendered
list would have given."""

from __future__ import annotations

from starlette.requests import Request
from usm_jsm.sandbox.paging import Rendered, page_bean

OPERATION = "GET /project/{projectIdOrKey}/component"


def _request(query: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "http",
            "server": ("site", 80),
            "path": "/rest/api/3/project/USM/component",
            "query_string": query.encode(),
            "headers": [],
        }
    )


def test_a_page_renders_only_its_rows_and_says_what_the_whole_list_would() -> None:
    rows = [{"id": str(n)} for n in range(230)]
    rendered: list[str] = []

    def render(row: dict[str, str]) -> dict[str, str]:
        rendered.append(row["id"])
        return {"name": f"c{row['id']}"}

    for query in ("", "startAt=100&maxResults=50", "startAt=200&maxResults=100", "startAt=400"):
        rendered.clear()
        lazy = page_bean(_request(query), Rendered(rows, render), OPERATION)
        taken = list(rendered)
        whole = page_bean(_request(query), [render(r) for r in rows], OPERATION)
        assert lazy == whole
        assert taken == [v["name"][1:] for v in lazy["values"]]
    assert Rendered(rows, render)[3] == {"name": "c3"}
    assert len(Rendered(rows, render)) == 230
