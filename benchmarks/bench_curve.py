"""The scale curve: the command line itself at 50, 500, 2,000 and 5,000 services.

For each size the scaled blueprint (:func:`bench_apply.scaled_blueprint`) is written as a YAML
file, the adapter's emulator is served on loopback with the injected latency, and
``usm-config apply`` and then ``usm-config plan`` (on the converged instance) run as separate
processes, as an administrator runs them. Each process is measured on its own: CPU time (user
and system) and peak resident memory from ``wait4`` in a small launcher process, so neither the
emulator's work nor this process's memory is counted.
Loading the file is timed in this process with both readers (ruamel.yaml, the reference, and
libyaml).

The apply's latency bound is what the latency alone costs at the chosen parallelism: its
requests, ``parallelism`` at a time, each waiting ``latency`` (no tool can do better with as
many requests). The emulator's CPU during the apply is this process's: it only serves the
emulator meanwhile. Before the first measured process, usm-config's modules are compiled to
bytecode, as installing a wheel does (see :func:`compiled`).

    .venv/bin/python benchmarks/bench_apply.py --curve --latency-ms 50
"""

from __future__ import annotations

import asyncio
import compileall
import functools
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from usm_jsm.sandbox.site import GROUP
from usm_jsm.values import ITSM_TEMPLATE
from usm_topdesk.client import KB_CREATE

from usm_config import yamlsource
from usm_config.adapter import SupportsSandbox, load_adapter
from usm_config.blueprint.loader import load_blueprint
from usm_config.blueprint.model import Blueprint
from usm_config.http import BasicAuthConfig
from usm_config.sandbox.serve import run_in_thread

SIZES = (50, 500, 2000, 5000)
#: What the summary of a plan with nothing left to write starts with.
CONVERGED = "Plan: 0 to create, 0 to update, 0 to delete,"
#: Services of the small blueprint planned against each size's tenant.
SMALL = 50
USM_CONFIG = Path(sys.executable).with_name("usm-config")


def write_blueprint(blueprint: Blueprint, path: Path) -> None:
    """Write ``blueprint`` as the YAML file an administrator would keep (all keys in block
    style, as ``usm-config show -o json`` gives them)."""
    data = blueprint.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.pop("extends", None)
    path.write_text(
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
    )


def load_seconds(path: Path, reader: str) -> float:
    """CPU seconds of :func:`load_blueprint` on ``path`` with one reader."""
    saved = yamlsource.READER
    yamlsource.READER = reader
    try:
        started = time.process_time()
        result = load_blueprint(path)
        seconds = time.process_time() - started
    finally:
        yamlsource.READER = saved
    assert result.blueprint is not None, [d.render() for d in result.diagnostics[:3]]
    return seconds


@dataclass(frozen=True)
class Run:
    """One ``usm-config`` process: exit code, wall and CPU seconds, peak RSS, output."""

    exit_code: int
    wall: float
    cpu: float
    peak_mib: float
    output: str


#: Runs a command and writes its exit status, wall seconds and ``wait4`` usage to a file. A
#: child of this process would report this process's own peak RSS (a forked process starts
#: with its parent's resident pages, and exec keeps that high-water mark in ``ru_maxrss``);
#: a child of this small launcher reports its own.
_LAUNCHER = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    cpu = usage.ru_utime + usage.ru_stime
    out.write(f"{os.waitstatus_to_exitcode(status)} {wall} {cpu} {usage.ru_maxrss}")
"""


#: usm-config's import packages: the core and the built-in adapters.
PACKAGES = ("usm_config", "usm_servicenow", "usm_jsm", "usm_topdesk")


@functools.cache
def compiled() -> None:
    """Compile usm-config's modules to bytecode once, as installing a wheel does. An editable
    install writes it at the first run, unless the environment sets
    ``PYTHONDONTWRITEBYTECODE`` (the machine of the README's curves does): then every measured
    process would compile the modules it imports from source, some 0.2 s of CPU that an
    installed command line never spends."""
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.submodule_search_locations is not None, package
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


def usm_config(args: list[str], folder: Path, env: dict[str, str]) -> Run:
    """Run the command line in ``folder`` and measure that process alone (its modules
    :func:`compiled` first)."""
    compiled()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryDirectory() as measured:
        usage_file = Path(measured) / "usage"
        subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(usage_file), str(USM_CONFIG), *args],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
        code, wall, cpu, peak_kib = usage_file.read_text(encoding="utf-8").split()
        out.seek(0)
        output = out.read().decode("utf-8", "replace")
    return Run(int(code), float(wall), float(cpu), int(peak_kib) / 1024, output)  # KiB on Linux


@contextmanager
def served(
    adapter_name: str,
    folder: Path,
    latency_ms: float,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> Iterator[tuple[str, Any]]:
    """The adapter's emulator on loopback with ``latency_ms`` on every request (HTTPS with
    ``certfile`` and ``keyfile``)."""
    adapter = load_adapter(adapter_name)
    assert isinstance(adapter, SupportsSandbox)
    folder.mkdir(parents=True, exist_ok=True)
    app = adapter.sandbox_app(folder / "served.sqlite3", latency_ms=latency_ms)
    with run_in_thread(app, certfile=certfile, keyfile=keyfile) as url:
        yield url, app


def _login(adapter_name: str) -> tuple[str, dict[str, str]]:
    """The served emulator's default login: the target's ``auth`` (as flow-style YAML) and the
    environment it reads (see ``usm-config sandbox serve``)."""
    adapter = load_adapter(adapter_name)
    assert isinstance(adapter, SupportsSandbox)
    login = adapter.sandbox_credentials()
    return json.dumps(login.auth.model_dump(mode="json")), dict(login.environ)


def write_targets(
    folder: Path,
    adapter_name: str,
    url: str,
    parallelism: int,
    *,
    ca_bundle: str | None = None,
    lock_dir: str = "state",
) -> None:
    """``folder/targets.yaml`` with the target ``bench``: the emulator at ``url`` (trusting
    ``ca_bundle`` when given), its default login from the environment, and the lock file in
    ``folder/lock_dir``."""
    text = (
        "targets:\n"
        "  bench:\n"
        f"    adapter: {adapter_name}\n"
        f"    url: {url}\n"
        f"    auth: {_login(adapter_name)[0]}\n"
        + (f"    ca_bundle: {ca_bundle}\n" if ca_bundle else "")
        + f"    parallelism: {parallelism}\n"
        f"    lock_dir: {lock_dir}\n"
    )
    (folder / "targets.yaml").write_text(text, encoding="utf-8")


def carry_out_sla_checklist(folder: Path, env: dict[str, str], url: str) -> int:
    """Do what a TOPdesk administrator does after the apply: put every service the plan lists
    into its SLA contract, in the settings screens (the emulator's ``/_sandbox/ui/slas``).
    A converged plan then finds an SLA service per service, read one service at a time.
    Returns how many checklist items were carried out."""
    listed = usm_config(
        ["plan", "scaled.yaml", "--target", "bench", "-o", "summary", "--out", "todo.json"],
        folder,
        env,
    )
    assert listed.exit_code == 0, listed.output[-2000:]
    changes = json.loads((folder / "todo.json").read_text(encoding="utf-8"))["changes"]
    todo = [c for c in changes if c["kind"] == "service_level" and c["action"] == "manual"]
    with httpx.Client(base_url=url) as ui:
        for change in todo:
            contract, service = change["key"]
            form = {"contract": contract, "service": service, "serviceLevel": "Gold"}
            answer = ui.post("/_sandbox/ui/slas", json=form)
            assert answer.status_code == 201, answer.text
    return len(todo)


#: Dictionary entries and choices of tables no blueprint touches, as every instance has (an
#: entry for each column of each table): 4,000 tables of 25 columns, 500 of them with three
#: choice lists of 20 values.
SYSTEM_ROWS = (100_000, 30_000)
#: Rows other teams of a production instance keep in the tables a blueprint writes by name,
#: with the text an item or an article has.
OTHER_ROWS = {
    "core_company": 5_000,
    "sys_user_group_type": 30,
    "sys_user_group": 1_000,
    "cmn_schedule": 300,
    "cmdb_ci_service_business": 500,
    "service_offering": 2_000,
    "contract_sla": 500,
    "sc_catalog": 20,
    "sc_category": 1_500,
    "sc_cat_item": 1_000,
    "kb_knowledge_base": 40,
    "kb_knowledge": 2_000,
    "sys_hub_flow": 300,
    "chg_model": 20,
    "sttrm_state_transition": 100,
}
#: Rows other teams keep under their rows of :data:`OTHER_ROWS`: (the field that refers to
#: the parent, the parent's table, rows per parent): a schedule's holidays, a model's states.
OTHER_CHILDREN = {
    "cmn_schedule_span": ("schedule", "cmn_schedule", 20),
    "sttrm_state": ("sttrm_model", "chg_model", 8),
}
_TEXT = "<p>" + "How to ask for it, who approves it and when it is delivered. " * 16 + "</p>"
_OTHER_FIELDS: dict[str, dict[str, str]] = {
    "core_company": {"vendor": "true", "notes": "Supplies hardware under framework agreement."},
    "sys_user_group": {"description": "Another team's queue", "active": "true"},
    "contract_sla": {"collection": "incident", "type": "SLA", "duration": "1970-01-01 08:00:00"},
    "sc_cat_item": {"short_description": "Ordered by another team", "description": _TEXT},
    "kb_knowledge": {"text": _TEXT, "workflow_state": "published"},
    "cmn_schedule": {"time_zone": "Europe/Amsterdam"},
    "cmn_schedule_span": {"type": "exclude", "all_day": "true", "repeat_type": "yearly"},
    "chg_model": {"table_name": "change_request", "state_field": "state", "active": "true"},
}
_KEY_FIELD = {
    "kb_knowledge": "short_description",
    "sc_catalog": "title",
    "sc_category": "title",
    "kb_knowledge_base": "title",
    "cmn_schedule_span": "name",
    "sttrm_state": "state_value",
}
OTHER_ROW_COUNT = sum(OTHER_ROWS.values()) + sum(
    OTHER_ROWS[parent] * count for _, parent, count in OTHER_CHILDREN.values()
)


def seed_system_tables(store: Any) -> None:
    """Add :data:`SYSTEM_ROWS` to the ServiceNow emulator's dictionary and choices, and
    :data:`OTHER_ROWS` and :data:`OTHER_CHILDREN` of other teams."""
    made: dict[str, list[str]] = {}
    for table, count in OTHER_ROWS.items():
        key = _KEY_FIELD.get(table, "name")
        for n in range(count):
            row = {**_OTHER_FIELDS.get(table, {}), key: f"Other team's {table} {n}"}
            made.setdefault(table, []).append(uuid.uuid4().hex)
            store.insert(table, row, id=made[table][-1])
    for table, (field, parent, count) in OTHER_CHILDREN.items():
        key = _KEY_FIELD[table]
        for parent_id in made[parent]:
            for n in range(count):  # the same keys under every parent, as holidays are
                row = {**_OTHER_FIELDS.get(table, {}), field: parent_id, key: str(n + 1)}
                store.insert(table, row, id=uuid.uuid4().hex)
    columns, choices = SYSTEM_ROWS
    for n in range(columns):
        entry = {"name": f"x_table_{n // 25}", "element": f"u_col_{n % 25}"}
        store.insert(
            "sys_dictionary",
            {**entry, "column_label": f"Column {n}", "internal_type": "string", "choice": "0"},
            id=uuid.uuid4().hex,
        )
    for n in range(choices):
        choice = {"name": f"x_table_{n // 60}", "element": f"u_col_{(n // 20) % 3}"}
        store.insert(
            "sys_choice",
            {**choice, "value": str(n % 20), "label": f"Choice {n}", "language": "en"},
            id=uuid.uuid4().hex,
        )


#: Service projects a JSM site holds beside the blueprint's (each with two components).
OTHER_PROJECTS = 50
#: Groups a JSM site holds beside the blueprint's: a company directory synchronised to
#: Atlassian brings thousands.
DIRECTORY_GROUPS = 5_000
#: What other teams of a TOPdesk tenant keep beside the blueprint's: branches, operator groups
#: (each in a branch), services, and a knowledge base of folders and items written in English
#: and Dutch, each with a paragraph of text.
TENANT_ROWS = {
    "branches": 300,
    "operator groups": 500,
    "services": 1_000,
    "knowledge folders": 40,
    "knowledge items": 2_000,
}
#: What the last column adds, per adapter.
OTHERS = {
    "servicenow": f"{sum(SYSTEM_ROWS):,} system rows and {OTHER_ROW_COUNT:,} of other teams",
    "jsm": f"{OTHER_PROJECTS} other service projects and {DIRECTORY_GROUPS:,} groups",
    "topdesk": ", ".join(f"{count:,} {what}" for what, count in TENANT_ROWS.items())
    + " of other teams",
}


def seed_directory_groups(site: Any) -> None:
    """Add :data:`DIRECTORY_GROUPS` groups to the JSM emulator's site, as a directory
    synchronisation would."""
    for n in range(DIRECTORY_GROUPS):
        group_id = str(uuid.uuid4())
        site.insert(GROUP, {"groupId": group_id, "name": f"dir-{n:05}-staff"}, group_id)


def _basic_login(adapter_name: str) -> tuple[str, str]:
    """The served emulator's default user and password (or API token)."""
    adapter = load_adapter(adapter_name)
    assert isinstance(adapter, SupportsSandbox)
    login = adapter.sandbox_credentials()
    assert isinstance(login.auth, BasicAuthConfig)
    return login.environ[login.auth.username_env], login.environ[login.auth.password_env]


def seed_service_projects(url: str) -> None:
    """Create :data:`OTHER_PROJECTS` service projects on the served JSM emulator, as other
    teams of the site would (the ITSM template, two components each)."""
    with httpx.Client(base_url=url, auth=_basic_login("jsm"), timeout=60) as site:
        lead = site.get("/rest/api/3/myself").json()["accountId"]
        for n in range(OTHER_PROJECTS):
            key = f"OT{n}"
            project = {"key": key, "name": f"Other desk {n}", "projectTypeKey": "service_desk"}
            made = {**project, "projectTemplateKey": ITSM_TEMPLATE, "leadAccountId": lead}
            answer = site.post("/rest/api/3/project", json={**made, "assigneeType": "UNASSIGNED"})
            assert answer.is_success, answer.text
            for name in ("Printers", "Laptops"):
                answer = site.post("/rest/api/3/component", json={"project": key, "name": name})
                assert answer.is_success, answer.text


def seed_tenant_teams(url: str) -> None:
    """Create :data:`TENANT_ROWS` on the served TOPdesk emulator through its API, as other
    teams of the tenant would, a few requests at a time."""
    kb, api = "/services/knowledge-base-v1", "/tas/api"
    text = "<p>" + "Who to call, what to check first and how the desk escalates. " * 8 + "</p>"

    async def seed() -> None:
        slots = asyncio.Semaphore(32)
        async with httpx.AsyncClient(
            base_url=url, auth=_basic_login("topdesk"), timeout=120
        ) as tenant:

            async def post(path: str, body: Any, media: str = "application/json") -> Any:
                async with slots:
                    answer = await tenant.post(path, json=body, headers={"Content-Type": media})
                assert answer.is_success, (path, answer.status_code, answer.text[:300])
                return answer.json() if answer.content else None

            def each(count: str, make: Callable[[int], Any]) -> Any:
                return asyncio.gather(*(make(n) for n in range(TENANT_ROWS[count])))

            branches = await each(
                "branches",
                lambda n: post(
                    f"{api}/branches",
                    {"name": f"Other branch {n}", "branchType": "independentBranch"},
                ),
            )
            await each(
                "operator groups",
                lambda n: post(
                    f"{api}/operatorgroups",
                    {
                        "groupName": f"Other group {n}",
                        "branch": {"id": branches[n % len(branches)]["id"]},
                    },
                ),
            )
            await each(
                "services", lambda n: post(f"{api}/services", {"name": f"Other service {n}"})
            )
            folders = await each(
                "knowledge folders",
                lambda n: post(
                    f"{kb}/folders",
                    {"translation": {"language": "en", "content": {"title": f"Other folder {n}"}}},
                ),
            )

            async def item(n: int) -> None:
                content = {"title": f"Other team's item {n}", "content": text}
                body = {
                    "parent": {"id": folders[n % len(folders)]["id"]},
                    "translation": {"language": "en", "content": content},
                }
                made = await post(f"{kb}/knowledgeItems", body, KB_CREATE)
                dutch = {"title": f"Item van een ander team {n}", "content": text}
                await post(f"{kb}/knowledgeItems/{made['id']}/translations/nl", dutch)

            await each("knowledge items", item)

    asyncio.run(seed())


def _manual(output: str) -> int:
    """The manual steps a plan's summary counts."""
    found = re.search(r"(\d+) manual\.", output)
    assert found is not None, output[-2000:]
    return int(found.group(1))


def _requests(app: Any) -> int:
    return len(app.state.request_log)


#: Times each plan of a curve's point runs; its row shows the run of least CPU. A plan only
#: reads, so its runs do the same work, and the least is the one the machine's other load
#: (another virtual machine on the same core, say) disturbed least. Five, not three: on the
#: tables' machine a fixed loop's CPU time changes by up to 1.6 times within minutes, and the
#: least of three runs of JSM's converged plan of 5,000 services came out at 3.80 s where five
#: runs minutes later gave 2.28 to 3.65 s.
PLAN_RUNS = 5

#: Additions of the fixed loop that tells the machine's speed (:func:`machine_seconds`).
SPEED_LOOP = 20_000_000


def machine_seconds() -> float:
    """CPU seconds of a fixed pure-Python loop: timed before and after a curve, it tells a
    change of the machine's speed (a fast or slow phase of a shared host) from one of the
    code's when curves measured at different times are compared."""
    started = time.process_time()
    total = 0
    for number in range(SPEED_LOOP):
        total += number
    return time.process_time() - started


def measure(
    adapter_name: str,
    services: int,
    latency_ms: float,
    parallelism: int,
    blueprint: Blueprint,
    small: Blueprint,
) -> dict[str, Any]:
    """One point of the curve; ``small`` is a blueprint of a few of ``blueprint``'s services,
    planned against the same tenant (TOPdesk only, once its SLA checklist is done)."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / "scaled.yaml"
        write_blueprint(blueprint, path)
        row: dict[str, Any] = {
            "services": services,
            "load_ruamel": load_seconds(path, "ruamel"),
            "load_libyaml": load_seconds(path, "libyaml"),
        }
        env = {**os.environ, **_login(adapter_name)[1]}
        with served(adapter_name, folder, latency_ms) as (url, app):
            write_targets(folder, adapter_name, url, parallelism)
            before = _requests(app)
            # This process only serves the emulator while usm-config runs: its CPU time is the
            # emulator's.
            serving = time.process_time()
            apply = usm_config(
                ["apply", "scaled.yaml", "--target", "bench", "--auto-approve", "-o", "summary"],
                folder,
                env,
            )
            emulator_cpu = time.process_time() - serving
            assert apply.exit_code == 0, apply.output[-2000:]
            apply_requests = _requests(app) - before

            def planned(file: str) -> tuple[Run, int]:
                """``usm-config plan file`` run :data:`PLAN_RUNS` times (each must succeed and
                send as many requests): the run of least CPU, and the requests of one."""
                runs = []
                for _ in range(PLAN_RUNS):
                    before = _requests(app)
                    args = ["plan", file, "--target", "bench", "-o", "summary"]
                    run = usm_config(args, folder, env)
                    assert run.exit_code == 0, run.output[-2000:]
                    runs.append((run, _requests(app) - before))
                assert len({sent for _, sent in runs}) == 1, runs
                return min(runs, key=lambda pair: pair[0].cpu)

            plan, plan_requests = planned("scaled.yaml")
            # Converged: nothing left to write (JSM and TOPdesk keep their manual steps).
            assert CONVERGED in plan.output, plan.output
            store = app.state.store
            records = sum(len(store.rows(table)) for table in store.tables())
            if adapter_name == "topdesk":
                carried_out = carry_out_sla_checklist(folder, env, url)
                done, done_requests = planned("scaled.yaml")
                assert _manual(done.output) == _manual(plan.output) - carried_out, done.output
                row.update(done_cpu=done.cpu, done_requests=done_requests)
                # A blueprint of a few of the tenant's services: its plan reads the SLA
                # services of those alone (its own lock file; the rest belong to the other).
                write_blueprint(small, folder / "small.yaml")
                few, few_requests = planned("small.yaml")
                row.update(small_cpu=few.cpu, small_requests=few_requests)
                # Beside what other teams keep (see OTHERS), the checklist still done.
                seed_tenant_teams(url)
                system, system_requests = planned("scaled.yaml")
                assert _manual(system.output) == _manual(done.output), system.output
                row.update(
                    system_cpu=system.cpu,
                    system_requests=system_requests,
                    system_mib=system.peak_mib,
                )
            if adapter_name in ("servicenow", "jsm"):
                # Beside what no blueprint manages (see OTHERS): a plan reads as far as its
                # blueprint and its lock file reach.
                if adapter_name == "servicenow":
                    seed_system_tables(store)
                else:
                    seed_service_projects(url)
                    seed_directory_groups(app.state.site)
                system, system_requests = planned("scaled.yaml")
                assert CONVERGED in system.output, system.output
                row.update(
                    system_cpu=system.cpu,
                    system_requests=system_requests,
                    system_mib=system.peak_mib,
                )
    bound = math.ceil(apply_requests / parallelism) * latency_ms / 1000
    row.update(
        records=records,
        plan_cpu=plan.cpu,
        plan_mib=plan.peak_mib,
        plan_wall=plan.wall,
        plan_requests=plan_requests,
        apply_wall=apply.wall,
        apply_cpu=apply.cpu,
        apply_mib=apply.peak_mib,
        apply_requests=apply_requests,
        apply_bound=bound,
        emulator_cpu=emulator_cpu,
    )
    return row


def _ratio(measured: float, bound: float) -> str:
    """``measured / bound``, or a dash without latency (a bound of 0 gives no ratio)."""
    return f"{measured / bound:.2f}" if bound else "–"


#: A column of the curve: its title and how a measured row shows in it.
Column = tuple[str, Callable[[dict[str, Any]], str]]

#: The columns every adapter's curve has.
COLUMNS: tuple[Column, ...] = (
    ("services", lambda r: f"{r['services']:,}"),
    ("records", lambda r: f"{r['records']:,}"),
    ("load, ruamel s", lambda r: f"{r['load_ruamel']:.2f}"),
    ("load, libyaml s", lambda r: f"{r['load_libyaml']:.2f}"),
    ("speed-up", lambda r: f"{r['load_ruamel'] / r['load_libyaml']:.1f}×"),
    ("converged plan CPU s", lambda r: f"{r['plan_cpu']:.2f}"),
    ("plan requests", lambda r: f"{r['plan_requests']:,}"),
    ("plan peak RSS MiB", lambda r: f"{r['plan_mib']:.0f}"),
    ("apply wall s", lambda r: f"{r['apply_wall']:.1f}"),
    ("latency bound s", lambda r: f"{r['apply_bound']:.1f}"),
    ("apply / bound", lambda r: _ratio(r["apply_wall"], r["apply_bound"])),
    ("apply requests", lambda r: f"{r['apply_requests']:,}"),
    ("apply CPU s", lambda r: f"{r['apply_cpu']:.1f}"),
    ("apply peak RSS MiB", lambda r: f"{r['apply_mib']:.0f}"),
    ("emulator CPU s", lambda r: f"{r['emulator_cpu']:.1f}"),
)


def _beside(r: dict[str, Any]) -> str:
    return f"{r['system_cpu']:.2f} ({r['system_requests']:,}, {r['system_mib']:.0f})"


#: The columns of what only one adapter's curve measures (see :func:`measure`).
EXTRA_COLUMNS: dict[str, tuple[Column, ...]] = {
    "servicenow": (
        (f"converged plan beside {OTHERS['servicenow']}: CPU s (requests, peak RSS MiB)", _beside),
    ),
    "jsm": ((f"converged plan beside {OTHERS['jsm']}: CPU s (requests, peak RSS MiB)", _beside),),
    "topdesk": (
        (
            "converged plan, SLA checklist done: CPU s (requests)",
            lambda r: f"{r['done_cpu']:.2f} ({r['done_requests']:,})",
        ),
        (
            f"plan of {SMALL} of the services, checklist done: CPU s (requests)",
            lambda r: f"{r['small_cpu']:.2f} ({r['small_requests']:,})",
        ),
        (
            f"converged plan, checklist done, beside {OTHERS['topdesk']}: CPU s (requests,"
            " peak RSS MiB)",
            _beside,
        ),
    ),
}


def curve(
    adapter_name: str,
    latency_ms: float,
    parallelism: int,
    sizes: tuple[int, ...],
    scaled: Any,
) -> str:
    """Measure the curve and return it as a Markdown table (a line before it says how), printing
    each row as soon as it is measured."""
    columns = COLUMNS + EXTRA_COLUMNS.get(adapter_name, ())
    lines = [
        f"{adapter_name}: {latency_ms:g} ms latency, parallelism {parallelism}; each plan's"
        f" CPU and peak RSS are those of the least CPU of {PLAN_RUNS} runs",
        "",
        "| " + " | ".join(title for title, _ in columns) + " |",
        "|" + "---:|" * len(columns),
    ]
    print("\n".join(lines), flush=True)
    before = machine_seconds()
    for services in sizes:
        small = scaled(min(SMALL, services))
        row = measure(adapter_name, services, latency_ms, parallelism, scaled(services), small)
        lines.append("| " + " | ".join(show(row) for _, show in columns) + " |")
        print(lines[-1], flush=True)
    lines += ["", speed_line(before, machine_seconds())]
    print(lines[-1], flush=True)
    return "\n".join(lines)


def speed_line(before: float, after: float) -> str:
    """The line under a curve that says how fast the machine was while it was measured."""
    return (
        f"Machine speed: a fixed pure-Python loop ({SPEED_LOOP:,} additions) took {before:.2f} s"
        f" of CPU before this curve and {after:.2f} s after it; a curve measured while the same"
        " loop takes longer is slower for that alone."
    )
