"""Every command's ``--help`` shows an example; new commands are covered automatically."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from usm_config.cli import cli


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


COMMANDS = [(), *_commands(cli)]


def test_the_main_commands_are_there() -> None:
    assert {"validate", "show", "schema"} <= set(cli.list_commands(click.Context(cli)))


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args) or "usm-config")
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_shows_an_example(args: tuple[str, ...], flag: str) -> None:
    result = CliRunner().invoke(cli, [*args, flag])

    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    example = result.output.split("Example", 1)[1]
    assert f"usm-config {' '.join(args)}".strip() in example, "the example uses the command"
