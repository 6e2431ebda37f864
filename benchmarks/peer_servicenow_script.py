"""Peer baseline: the same records written the way an administrator would without usm-config.

An administrator's pysnc script, given the records usm-config compiles from the scaled
blueprint (the spreadsheet an administrator would keep: table, key fields, values), takes
them table by table in dependency order, queries each record by its key, and inserts it or
updates the fields that differ. References are written as the sys_ids the script met on the
way (or looked up by key once). Beside it, in the same run and against an emulator served the
same way with the same latency, ``usm-config apply`` (a separate process) does the same job
from a fresh instance; the table gives requests and wall time side by side.

    .venv/bin/python benchmarks/peer_servicenow_script.py --services 50 --latency-ms 50
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import trustme
from bench_apply import scaled_blueprint
from bench_curve import _login, served, usm_config, write_blueprint, write_targets
from pysnc import ServiceNowClient  # type: ignore[import-untyped]
from side_by_side import apply_to_new_instance, arguments, report

from usm_config.adapter import load_adapter
from usm_config.engine.records import Op, Record, ref_target


class Script:
    """The administrator's script: one GlideRecord query per record, then insert or update."""

    def __init__(self, client: Any, adapter: Any) -> None:
        self.client = client
        self.kinds = adapter.kinds
        self.sys_ids: dict[tuple[str, tuple[str, ...]], str] = {}

    def sys_id(self, kind: str, key: tuple[str, ...]) -> str:
        """The sys_id of a referenced record: met before, or looked up by its key."""
        if (kind, key) not in self.sys_ids:
            spec = self.kinds[kind]
            found = self.client.GlideRecord(kind)
            for name, part in zip(spec.key_fields, key, strict=True):
                # A key part that is a reference (a state's change model) is queried by the
                # sys_id of the record it names, as a script would look it up first.
                referenced = spec.references.get(name)
                found.add_query(name, self.sys_id(referenced, (part,)) if referenced else part)
            found.query()
            self.sys_ids[(kind, key)] = str(found.sys_id) if found.next() else ""
        return self.sys_ids[(kind, key)]

    def value(self, value: Any) -> str:
        if isinstance(value, list):
            return ",".join(self.value(item) for item in value)
        target = ref_target(value)
        if target is not None:
            return self.sys_id(*target)
        return "" if value is None else str(value)

    def write(self, record: Record) -> int:
        """Query the record by its key; insert it, or update what differs. 1 if written."""
        spec = self.kinds[record.kind]
        values = {name: self.value(value) for name, value in record.fields.items()}
        found = self.client.GlideRecord(record.kind)
        for name in spec.key_fields:
            found.add_query(name, values[name])
        found.query()
        if found.next():
            self.sys_ids[(record.kind, record.key)] = str(found.sys_id)
            changed = {n: v for n, v in values.items() if str(found.get_value(n) or "") != v}
            if not changed or Op.UPDATE not in spec.operations:
                return 0
            for name, value in changed.items():
                found.set_value(name, value)
            found.update()
            return 1
        if Op.CREATE not in spec.operations:
            return 0
        new = self.client.GlideRecord(record.kind)
        new.initialize()
        for name, value in values.items():
            new.set_value(name, value)
        self.sys_ids[(record.kind, record.key)] = str(new.insert())
        return 1


def _certificate(folder: Path) -> tuple[str, str, str]:
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    cert, key, ca = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    certificate.cert_chain_pems[0].write_to_path(str(cert))
    certificate.private_key_pem.write_to_path(str(key))
    authority.cert_pem.write_to_path(str(ca))
    return str(cert), str(key), str(ca)


def run(services: int, latency_ms: float, parallelism: int) -> dict[str, Any]:
    """Both ways against fresh emulators with the same latency; requests and wall time."""
    adapter = load_adapter("servicenow")
    blueprint = scaled_blueprint(services)
    records = sorted(
        adapter.compile(blueprint).records, key=lambda r: list(adapter.kinds).index(r.kind)
    )
    row: dict[str, Any] = {"services": services, "count": len(records)}
    env = {**os.environ, **_login("servicenow")[1]}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        cert, key, ca = _certificate(folder)
        write_blueprint(blueprint, folder / "scaled.yaml")
        with served("servicenow", folder / "peer", latency_ms, cert, key) as (url, app):
            client = ServiceNowClient(url, ("admin", "admin"), verify=ca)
            started = time.perf_counter()
            written = sum(Script(client, adapter).write(record) for record in records)
            row["peer_wall"] = time.perf_counter() - started
            client.session.close()
            row["peer_requests"] = len(app.state.request_log)
            row["peer_written"] = written
            # What usm-config would still change after the script: the script's result.
            write_targets(
                folder, "servicenow", url, parallelism, ca_bundle=ca, lock_dir="state-peer"
            )
            plan = usm_config(
                ["plan", "scaled.yaml", "--target", "bench", "-o", "summary"], folder, env
            )
            row["peer_left"] = plan.output.strip().splitlines()[-1] if plan.output else ""
        row["tool_wall"], row["tool_requests"] = apply_to_new_instance(
            "servicenow",
            folder,
            latency_ms,
            env,
            lambda url: write_targets(
                folder, "servicenow", url, parallelism, lock_dir="state-tool"
            ),
        )
    return row


def main() -> None:
    args = arguments(__doc__, services=50)
    # requests lets these variables override an explicit CA file; the run's CA must win.
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    os.environ.pop("CURL_CA_BUNDLE", None)
    title = f"servicenow, fresh instance: {args.latency_ms:g} ms latency"
    report(args, "servicenow", title, "records", "pysnc script", run)


if __name__ == "__main__":
    main()
