"""Run the example CI pipelines on this machine, against the sandbox targets.

A small runner for the subset of GitHub Actions and GitLab CI the examples use: jobs in order
with ``needs``, ``if:``/``rules:`` conditions, matrices, environment variables, artifacts passed
between jobs, ``$GITHUB_OUTPUT``/``$GITHUB_STEP_SUMMARY``. Each job starts from a fresh copy
of the repository (a checkout); the sandbox state, which stands for the live instance, is
shared by all jobs. Every shell line is checked against an allow-list; ``usm-config`` is the
real command of the virtual environment, while ``gh``, ``curl``, ``git`` and ``pip`` are stubs
that record their arguments (and the files they would send) instead of reaching a network.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

#: What a line of a CI script may start with; anything else fails the test.
ALLOWED_LINES = [
    re.compile(pattern)
    for pattern in (
        r"usm-config (validate|plan|apply) ",
        r"pip install usm-config usm-config-servicenow( |$)",
        r"gh (pr comment|issue (list|create|comment)) ",
        r"git (config|add|diff|commit|pull|push) ",
        r"git diff --cached --quiet \|\|",
        r"curl --fail ",
        r"cat plan\.md$",
        r"(status|title|open)=",
        r"echo \"exitcode=\$status\" >> \"\$GITHUB_OUTPUT\"$",
        r"test \"\$status\" != 1$",
        r"if \[ ",
        r"(then|else|fi)$",
    )
]
#: The actions a workflow may use, and what this runner does for them.
ALLOWED_ACTIONS = {
    "actions/checkout@v4",
    "actions/setup-python@v5",
    "actions/upload-artifact@v4",
    "actions/download-artifact@v4",
}
STUBBED = ("gh", "curl", "git", "pip")

STUB = """#!{python}
import json, os, sys
from pathlib import Path
args = sys.argv[1:]
files = {{}}
for flag, value in zip(args, args[1:]):
    name = None
    if flag == "--body-file":
        name = value
    elif flag == "--data-urlencode" and "@" in value and "=" not in value:
        name = value.split("@", 1)[1]
    if name:
        files[name] = Path(name).read_text(encoding="utf-8")
with open(os.environ["CI_CALLS"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{"tool": Path(sys.argv[0]).name, "args": args, "files": files}}) + "\\n")
if args[:2] == ["issue", "list"]:
    print(os.environ.get("GH_OPEN_ISSUE", ""))
"""


def load_yaml(path: Path) -> Any:
    """YAML 1.2 as CI services read it (``on`` is a key, not a boolean; anchors resolved)."""
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def check_line(line: str) -> None:
    """Fail unless every line of a script is one the allow-list knows."""
    text = line.strip()
    if text and not any(pattern.match(text) for pattern in ALLOWED_LINES):
        raise AssertionError(f"CI line not in the allow-list: {text!r}")


@dataclass
class Call:
    """One call of a stubbed tool."""

    tool: str
    args: list[str]
    files: dict[str, str]


@dataclass
class JobRun:
    """What one job (one matrix combination) did."""

    name: str
    ok: bool
    steps: list[tuple[str, int, str]] = field(default_factory=list)
    manual: bool = False

    def output(self) -> str:
        return "\n".join(f"--- {name} (exit {code})\n{out}" for name, code, out in self.steps)


class Runner:
    """Shared state of one simulated CI service: the instance, artifacts, stubs and calls."""

    def __init__(self, root: Path, checkout: Callable[[Path], Path]) -> None:
        self.root = root
        self.checkout = checkout
        self.instance = root / "instance"
        self.instance.mkdir(parents=True)
        self.artifacts: dict[str, Path] = {}
        self.bin = root / "bin"
        self.bin.mkdir()
        self.calls_file = root / "calls.jsonl"
        self.calls_file.touch()
        self.environ: dict[str, str] = {}
        usm_config = Path(sys.executable).parent / "usm-config"
        (self.bin / "usm-config").symlink_to(usm_config)
        for tool in STUBBED:
            stub = self.bin / tool
            stub.write_text(STUB.format(python=sys.executable), encoding="utf-8")
            stub.chmod(0o755)
        self._jobs = itertools.count(1)

    def calls(self, tool: str | None = None) -> list[Call]:
        """The stubbed tools' calls so far, in order."""
        lines = self.calls_file.read_text(encoding="utf-8").splitlines()
        found = [Call(**json.loads(line)) for line in lines]
        return [c for c in found if tool is None or c.tool == tool]

    def workspace(self, name: str) -> Path:
        """A fresh checkout for one job; the sandbox state is the shared instance."""
        folder = self.checkout(self.root / f"job-{next(self._jobs)}-{_slug(name)}")
        (folder / ".usm-sandbox").symlink_to(self.instance, target_is_directory=True)
        return folder

    def shell(self, script: str, cwd: Path, env: Mapping[str, str], flags: str) -> tuple[int, str]:
        """Run ``script`` with bash as the CI service would, with the stubs first on PATH."""
        for line in script.splitlines():
            check_line(line)
        path = cwd / ".ci-step.sh"
        path.write_text(script + "\n", encoding="utf-8")
        environ = {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "HOME": str(self.root),
            "CI_CALLS": str(self.calls_file),
            "LANG": "C.UTF-8",
            **self.environ,
            **env,
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", *flags.split(), str(path)],
            cwd=cwd,
            env=environ,
            capture_output=True,
            text=True,
            check=False,
        )
        path.unlink()
        return done.returncode, done.stdout + done.stderr


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def _matrix(combos: Mapping[str, Any] | None) -> Iterator[dict[str, str]]:
    if not combos:
        yield {}
        return
    keys = list(combos)
    for values in itertools.product(*(combos[k] for k in keys)):
        yield dict(zip(keys, (str(v) for v in values), strict=True))


# GitHub Actions ---------------------------------------------------------------------------

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _lookup(path: str, context: Mapping[str, Any]) -> str:
    literal = re.fullmatch(r"'([^']*)'", path)
    if literal:
        return literal.group(1)
    if path.startswith("secrets."):  # a secret nobody set is empty
        return str(context["secrets"].get(path.removeprefix("secrets."), ""))
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise AssertionError(f"unknown expression in the workflow: {path}")
        value = value[part]
    return str(value)


def _evaluate(expr: str, context: Mapping[str, Any]) -> str:
    if "==" in expr:
        left, right = (part.strip() for part in expr.split("==", 1))
        return "true" if _lookup(left, context) == _lookup(right, context) else "false"
    return _lookup(expr, context)


def expand(text: str, context: Mapping[str, Any]) -> str:
    """A value with ``${{ … }}`` expressions: context lookups and ``a == 'b'``, nothing else."""
    return _EXPR.sub(lambda m: _evaluate(m.group(1), context), text)


def holds(condition: str, context: Mapping[str, Any]) -> bool:
    """An ``if:``, written bare or inside ``${{ }}``."""
    bare = _EXPR.fullmatch(condition.strip())
    return _evaluate(bare.group(1) if bare else condition, context) == "true"


def _outputs(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def run_github(
    runner: Runner, workflow_file: Path, event: str, secrets: Mapping[str, str] | None = None
) -> dict[str, list[JobRun]]:
    """Run a GitHub Actions workflow for ``event`` (``pull_request``, ``push``, ``schedule``)."""
    workflow = load_yaml(workflow_file)
    triggers = workflow["on"]
    assert event in triggers, f"{workflow_file.name} does not run on {event}"
    github = {
        "event_name": event,
        "token": "stub-github-token",
        "event": {"pull_request": {"number": "7"}},
    }
    results: dict[str, list[JobRun]] = {}
    for name, job in workflow["jobs"].items():
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        if any(n not in results or not all(r.ok for r in results[n]) for n in needs):
            continue
        runs: list[JobRun] = []
        for matrix in _matrix(job.get("strategy", {}).get("matrix")):
            context: dict[str, Any] = {
                "github": github,
                "matrix": matrix,
                "secrets": dict(secrets or {}),
                "steps": {},
            }
            condition = job.get("if")
            if condition and not holds(condition, context):
                continue
            runs.append(_github_job(runner, name, job, workflow, context))
        if runs:
            results[name] = runs
    return results


def _github_job(
    runner: Runner, name: str, job: dict[str, Any], workflow: dict[str, Any], context: Any
) -> JobRun:
    label = f"{name} {' '.join(context['matrix'].values())}".strip()
    run = JobRun(label, ok=True)
    cwd = runner.workspace(label)
    env: dict[str, str] = {}
    for scope in (workflow.get("env", {}), job.get("env", {})):
        for key, value in scope.items():
            context["env"] = env
            env[key] = expand(str(value), context)
    context["env"] = env
    summary = runner.root / f"summary-{_slug(label)}.md"
    summary.touch()
    for index, step in enumerate(job["steps"]):
        step_name = step.get("name") or step.get("uses") or f"step {index}"
        condition = step.get("if")
        if condition and not holds(condition, context):
            continue
        if "uses" in step:
            code, out = _github_action(runner, step, cwd, context)
        else:
            output = runner.root / f"output-{_slug(label)}-{index}"
            step_env = {
                **env,
                **{k: expand(str(v), context) for k, v in step.get("env", {}).items()},
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(summary),
            }
            code, out = runner.shell(step["run"], cwd, step_env, "-e")
            if "id" in step:
                context["steps"][step["id"]] = {"outputs": _outputs(output)}
        run.steps.append((step_name, code, out))
        if code != 0:
            run.ok = False
            break
    run.steps.append(("job summary", 0, summary.read_text(encoding="utf-8")))
    return run


def _github_action(
    runner: Runner, step: dict[str, Any], cwd: Path, context: Any
) -> tuple[int, str]:
    uses = step["uses"]
    assert uses in ALLOWED_ACTIONS, f"action not in the allow-list: {uses}"
    inputs = {k: expand(str(v), context) for k, v in step.get("with", {}).items()}
    if uses.startswith("actions/upload-artifact"):
        store = runner.root / "artifacts" / inputs["name"]
        assert inputs["name"] not in runner.artifacts, f"artifact {inputs['name']} uploaded twice"
        store.mkdir(parents=True)
        shutil.copy(cwd / inputs["path"], store / Path(inputs["path"]).name)
        runner.artifacts[inputs["name"]] = store
    elif uses.startswith("actions/download-artifact"):
        store = runner.artifacts.get(inputs["name"])
        if store is None:
            return 1, f"Unable to find an artifact with the name: {inputs['name']}"
        shutil.copytree(store, cwd, dirs_exist_ok=True)
    return 0, uses


# GitLab CI --------------------------------------------------------------------------------

GITLAB_RESERVED = {"variables", "default", "stages", "include", "workflow"}
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def _gitlab_condition(text: str, variables: Mapping[str, str]) -> bool:
    """``$A == "b"``, ``$A == $B`` joined by ``&&``: what the example's rules use."""
    for clause in text.split("&&"):
        left, right = (part.strip() for part in clause.split("=="))
        values = []
        for side in (left, right):
            quoted = re.fullmatch(r'"([^"]*)"', side)
            if quoted:
                values.append(quoted.group(1))
            else:
                assert re.fullmatch(r"\$[A-Za-z_]+", side), f"unknown rule expression: {side}"
                values.append(variables.get(side[1:], ""))
        if values[0] != values[1]:
            return False
    return True


def _extended(jobs: Mapping[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    parent = job.get("extends")
    if parent is None:
        return job
    base = _extended(jobs, jobs[parent])
    merged = {**base, **job}
    merged["variables"] = {**base.get("variables", {}), **job.get("variables", {})}
    merged.pop("extends")
    return merged


def run_gitlab(
    runner: Runner, pipeline_file: Path, source: str, variables: Mapping[str, str]
) -> dict[str, list[JobRun]]:
    """Run a GitLab pipeline of ``source`` (``merge_request_event``, ``push``, ``schedule``)."""
    config = load_yaml(pipeline_file)
    stages: list[str] = config["stages"]
    jobs = {k: v for k, v in config.items() if k not in GITLAB_RESERVED}
    defined = list(jobs)
    order = sorted(
        (name for name in defined if not name.startswith(".")),
        key=lambda n: (
            stages.index(_extended(jobs, jobs[n]).get("stage", "test")),
            defined.index(n),
        ),
    )
    base_vars = {"CI_PIPELINE_SOURCE": source, **variables, **config.get("variables", {})}
    results: dict[str, list[JobRun]] = {}
    for name in order:
        job = _extended(jobs, jobs[name])
        needs = job.get("needs", [])
        if any(n not in results or not all(r.ok for r in results[n]) for n in needs):
            continue
        rule = next(
            (r for r in job.get("rules", []) if _gitlab_condition(r["if"], base_vars)), None
        )
        if rule is None or rule.get("when") == "never":
            continue
        combos = job.get("parallel", {}).get("matrix", [{}])
        runs = []
        for combo in combos:
            for matrix in _matrix(combo):
                job_vars = {**base_vars, **job.get("variables", {}), **matrix}
                run = _gitlab_job(runner, name, job, config, job_vars, needs)
                run.manual = rule.get("when") == "manual"
                runs.append(run)
        results[name] = runs
    return results


def _gitlab_job(
    runner: Runner,
    name: str,
    job: dict[str, Any],
    config: dict[str, Any],
    variables: dict[str, str],
    needs: list[str],
) -> JobRun:
    label = f"{name} {variables.get('TARGET', '')}".strip()
    cwd = runner.workspace(label)
    for need in needs:  # a job gets the artifacts of the jobs it needs
        if need in runner.artifacts:
            shutil.copytree(runner.artifacts[need], cwd, dirs_exist_ok=True)
    lines = [*config.get("default", {}).get("before_script", []), *job["script"]]
    code, out = runner.shell("\n".join(lines), cwd, variables, "-eo pipefail")
    run = JobRun(label, ok=code == 0, steps=[("script", code, out)])
    paths = job.get("artifacts", {}).get("paths", [])
    if paths and run.ok:
        store = runner.root / "artifacts" / _slug(label)
        store.mkdir(parents=True)
        for path in paths:
            shutil.copy(cwd / path, store / path)
        runner.artifacts[name] = store
    return run
