"""The corpus of bad targets files: each is refused when read, located, with a fix, exit 1.

Each case in ``tests/inputs/targets`` is a targets file whose header states the problems (see
``tests/bad_input.py``). The file is read whole, so a problem in any target stops every command
before anything connects.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bad_input import REFERENCE, REPO, assert_clean_failure, assert_refused, cases, expectations
from bad_input import invoke as run

from usm_config.diagnostics import DiagnosticError
from usm_config.targets import load_targets

CORPUS = REPO / "tests" / "inputs" / "targets"


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.mark.parametrize("case", cases(CORPUS, ".yaml"), ids=lambda case: case.stem)
def test_a_bad_targets_file_is_refused_when_read(case: Path) -> None:
    shown = str(case.relative_to(REPO))

    result = run("plan", str(REFERENCE), "--targets", shown, "-t", "prod")

    for expected in expectations(case):
        assert_refused(result, shown, expected)
    assert result.output.count(": error[") == len(expectations(case)), result.output
    assert "Hunter2" not in result.output and "ATATT3x" not in result.output


@pytest.mark.parametrize("command", ["apply", "sandbox reset"])
def test_other_commands_read_the_targets_file_the_same_way(command: str) -> None:
    case = CORPUS / "38-two-targets-two-problems.yaml"
    shown = str(case.relative_to(REPO))
    extra = ["--auto-approve"] if command == "apply" else []

    result = run(*command.split(), str(REFERENCE), "--targets", shown, "-t", "prod", *extra)

    for expected in expectations(case):
        assert_refused(result, shown, expected)


@pytest.mark.parametrize("case", cases(CORPUS, ".yaml"), ids=lambda case: case.stem)
def test_load_targets_reports_exactly_the_expected_problems(case: Path) -> None:
    with pytest.raises(DiagnosticError) as caught:
        load_targets(case)
    found = sorted((d.location.line, d.location.column, d.code) for d in caught.value.diagnostics)
    wanted = sorted((e.line, e.column, e.code) for e in expectations(case))
    assert found == wanted
    assert all(d.hint for d in caught.value.diagnostics)


@pytest.mark.parametrize(
    ("url", "extra"),
    [
        ("http://localhost:8080", ""),
        ("http://127.0.0.1:8080", ""),
        ("http://[::1]:8080", ""),
        ("http://sn.localhost", ""),
        ("http://itsm.test.example.org", "\n    allow_insecure_http: true"),
    ],
)
def test_http_with_credentials_is_accepted_locally_or_when_allowed(
    tmp_path: Path, url: str, extra: str
) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(
        f"targets:\n  dev:\n    adapter: servicenow\n    url: {url}{extra}\n"
        "    auth: {type: basic, username_env: SN_USER, password_env: SN_PASSWORD}\n",
        encoding="utf-8",
    )
    assert load_targets(path).targets["dev"].url == url


def test_http_without_credentials_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("targets:\n  x: {adapter: jsm, url: http://jira.example.org}\n", "utf-8")
    assert load_targets(path).targets["x"].url == "http://jira.example.org"


def test_the_project_targets_file_passes_every_check() -> None:
    assert "sandbox" in load_targets(REPO / "targets.yaml").targets


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file whatever its mode")
def test_an_unreadable_ca_bundle_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    bundle.chmod(0)
    path = tmp_path / "targets.yaml"
    path.write_text(
        "targets:\n  prod:\n    adapter: servicenow\n    url: https://itsm.example.org\n"
        "    ca_bundle: ca.pem\n",
        encoding="utf-8",
    )
    result = run("plan", str(REFERENCE), "--targets", str(path), "-t", "prod")
    assert_clean_failure(result)
    assert ":5:5: error[TGT015] targets.prod.ca_bundle: the CA bundle" in result.output
    assert "cannot be read: Permission denied" in result.output


def test_a_ca_bundle_that_is_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "ca.pem")
    path = tmp_path / "targets.yaml"
    path.write_text(
        "targets:\n  prod:\n    adapter: servicenow\n    url: https://itsm.example.org\n"
        "    ca_bundle: ca.pem\n",
        encoding="utf-8",
    )
    result = run("plan", str(REFERENCE), "--targets", str(path), "-t", "prod")
    assert_clean_failure(result)
    assert "is not a regular file" in result.output
