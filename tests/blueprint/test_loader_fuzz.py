"""Fuzzing the loader: whatever the bytes, ``load_blueprint`` returns diagnostics, never raises.

Two sources of input: random bytes (mostly not YAML at all), and a valid blueprint mutated
a few times (bytes deleted, inserted, replaced; lines duplicated, swapped, re-indented), which
reaches the schema and the semantic checks as well. Both are bounded by ``max_examples`` so
the module runs in a few seconds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from usm_config.blueprint.loader import load_blueprint
from usm_config.diagnostics import Severity

HERE = Path(__file__).resolve().parent
VALID = (
    (HERE / "cases" / "services-base.yaml")
    .read_bytes()
    .replace(
        b"../../../blueprints/usm-reference.yaml",
        str(HERE.parents[1] / "blueprints" / "usm-reference.yaml").encode(),
    )
)
#: Bytes that matter to YAML, and some that it refuses.
YAML_BYTES = (
    b" \t\n\r:-?[]{},#&*!|>'\"%@`~.<=0aZ\\\x00\x01\x7f\x85\xc3\xa9\xe2\x80\xa8\xef\xbb\xbf\xff"
)
FUZZ = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _load(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        result = load_blueprint(path)
    for diagnostic in result.diagnostics:
        assert diagnostic.hint, diagnostic.render()
        assert diagnostic.location.file, diagnostic.render()
    if result.blueprint is None:
        assert any(d.severity is Severity.ERROR for d in result.diagnostics)


@FUZZ
@given(st.binary(max_size=300) | st.lists(st.sampled_from(YAML_BYTES), max_size=200).map(bytes))
def test_random_bytes_give_diagnostics_not_exceptions(data: bytes) -> None:
    _load(data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = VALID
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        operation = draw(st.sampled_from(["delete", "insert", "replace", "line"]))
        if operation == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 40)) :]
        elif operation == "insert":
            piece = draw(st.lists(st.sampled_from(YAML_BYTES), min_size=1, max_size=8))
            data = data[:at] + bytes(piece) + data[at:]
        elif operation == "replace":
            data = data[:at] + bytes([draw(st.sampled_from(YAML_BYTES))]) + data[at + 1 :]
        else:
            lines = data.split(b"\n")
            i, j = (draw(st.integers(0, len(lines) - 1)) for _ in range(2))
            change = draw(st.sampled_from(["duplicate", "swap", "indent", "dedent"]))
            if change == "duplicate":
                lines.insert(j, lines[i])
            elif change == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            elif change == "indent":
                lines[i] = b"  " + lines[i]
            else:
                lines[i] = lines[i].lstrip(b" ")
            data = b"\n".join(lines)
    return data


def test_the_blueprint_that_is_mutated_is_valid() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "valid.yaml"
        path.write_bytes(VALID)
        result = load_blueprint(path)

    assert result.blueprint is not None
    assert result.diagnostics == []


@FUZZ
@given(mutated())
def test_mutated_blueprints_give_diagnostics_not_exceptions(data: bytes) -> None:
    _load(data)
