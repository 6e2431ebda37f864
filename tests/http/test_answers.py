"""read_shaped: JSON of another shape than the API documents is said as such (what was read,
what was wrong, where the reading stopped), redacted; HTTP errors pass as they are."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from usm_config.http import HttpClient, HttpStatusError, UnexpectedAnswer, json_kind, read_shaped

SECRET = "s3cr3t-token-value"


def _parse(rows: Any) -> list[str]:
    return [str(row["id"]) for row in rows]


async def _read(rows: Any) -> list[str]:
    await asyncio.sleep(0)
    return _parse(rows)


def _shaped(read: Any) -> Any:
    async def main() -> Any:
        async with HttpClient("https://example.test", secrets=[SECRET]) as client:
            return await read_shaped(client, "the groups", read)

    return asyncio.run(main())


def test_rows_of_the_documented_shape_are_read() -> None:
    assert _shaped(_read([{"id": 1}, {"id": "2"}])) == ["1", "2"]


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        ([{"id": 1}, {"name": "x"}], "a value lacks 'id'"),
        ([1, 2, 3], "a number where the API documents an object or a list"),
        (None, "null where the API documents a list"),
        ([[1]], "a list where the API documents an object"),
        (["x"], "a text where the API documents an object"),
    ],
)
def test_another_shape_says_what_was_read_what_was_wrong_and_where(rows: Any, said: str) -> None:
    with pytest.raises(UnexpectedAnswer) as raised:
        _shaped(_read(rows))
    message = str(raised.value)
    assert message.startswith(
        f"reading the groups: an answer is JSON, but not shaped as the tool's API documents: "
        f"{said} (at http/test_answers.py:"
    )
    assert ", _parse); check that the target's URL reaches the tool itself" in message
    assert raised.value.__cause__ is None


def test_a_value_from_the_answer_in_the_message_is_redacted() -> None:
    async def read() -> int:
        return int(f"not a number {SECRET}")

    with pytest.raises(UnexpectedAnswer) as raised:
        _shaped(read())
    assert SECRET not in str(raised.value)
    assert "invalid literal for int()" in str(raised.value)


def test_http_errors_pass_as_they_are() -> None:
    refused = HttpStatusError(403, "GET", "/groups", "no")

    async def read() -> None:
        raise refused

    with pytest.raises(HttpStatusError) as raised:
        _shaped(read())
    assert raised.value is refused


@pytest.mark.parametrize(
    ("value", "kind"),
    [(7, "a number"), (1.5, "a number"), ("x", "a text"), (None, "null"), (True, "true or false"),
     ([], "a list"), ({}, "an object")],
)  # fmt: skip
def test_json_kind_names_a_value_in_jsons_words(value: Any, kind: str) -> None:
    assert json_kind(value) == kind
