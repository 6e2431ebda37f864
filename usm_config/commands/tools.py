"""adapters and sandbox: the installed plug-ins and their emulators."""

from __future__ import annotations

from pathlib import Path

import click

from usm_config.adapter import (
    SupportsSandbox,
    installed_adapters,
    load_adapter,
)
from usm_config.commands.common import (
    PATH_ARG,
    Failure,
    handled_errors,
    load_or_fail,
    target_options,
)
from usm_config.runner import Context
from usm_config.sandbox.store import DamagedState
from usm_config.targets import resolve_target


@click.command()
def adapters() -> None:
    """List the installed adapters (entry-point group usm_config.adapters).

    \b
    Example:
      usm-config adapters
    """
    found = installed_adapters()
    if not found:
        click.echo("no adapters installed")
    for name, entry in sorted(found.items()):
        try:
            adapter = load_adapter(name)
            sandbox = ", sandbox" if isinstance(adapter, SupportsSandbox) else ""
            click.echo(f"{name:<12} {adapter.description} ({entry.value}{sandbox})")
        except Exception as exc:  # a broken third-party plug-in must not hide the others
            click.echo(f"{name:<12} cannot be loaded: {type(exc).__name__}: {exc}")


@click.group()
def sandbox() -> None:
    """Run or reset an adapter's local emulator.

    \b
    Example:
      usm-config sandbox serve servicenow --port 8080
      usm-config sandbox reset blueprints/usm-reference.yaml --target sandbox
    """


@sandbox.command("serve")
@click.argument("adapter_name", metavar="ADAPTER")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".usm-sandbox/served.sqlite3"),
    show_default=True,
    help="SQLite file holding the emulator's records.",
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False),
    help="PEM certificate: serve HTTPS (some clients, e.g. pysnc, accept only https).",
)
@click.option(
    "--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM key of --tls-cert."
)
@click.option(
    "--spec",
    type=click.Path(exists=True, path_type=Path),
    help="The vendor's API description (a file, or a folder of them): every request, each "
    "sub-request of a batch too, is checked against it and answered 400 where it breaks it.",
)
def sandbox_serve(
    adapter_name: str,
    port: int,
    state: Path,
    tls_cert: str | None,
    tls_key: str | None,
    spec: Path | None,
) -> None:
    """Serve an adapter's emulator on 127.0.0.1 for real clients.

    The ServiceNow emulator accepts basic auth admin/admin and OAuth client
    usm-config / sandbox-secret. GET /_sandbox/requests lists every request it answered
    (with a batch's sub-requests), GET /_sandbox/spec_violations what --spec refused.

    \b
    Example:
      usm-config sandbox serve servicenow --port 8080
      usm-config sandbox serve servicenow --port 8443 --tls-cert cert.pem --tls-key key.pem
      usm-config sandbox serve servicenow --spec ../shared/specs/servicenow/table.json
    """
    from usm_config.sandbox.serve import serve  # noqa: PLC0415 (uvicorn loads only when serving)

    if bool(tls_cert) != bool(tls_key):
        raise Failure("--tls-cert and --tls-key go together")
    with handled_errors():
        adapter = load_adapter(adapter_name)
        if not isinstance(adapter, SupportsSandbox):
            raise Failure(f"adapter '{adapter_name}' has no sandbox")
        state.parent.mkdir(parents=True, exist_ok=True)
        scheme = "https" if tls_cert else "http"
        try:
            app = adapter.sandbox_app(state, spec_path=spec) if spec else adapter.sandbox_app(state)
        except DamagedState as exc:
            raise Failure(
                f"{exc}: it is damaged or not a sandbox's; move it aside or name another --state"
            ) from None
        click.echo(
            f"serving the {adapter_name} sandbox on {scheme}://127.0.0.1:{port} (Ctrl+C stops)"
        )
        serve(
            app,
            host="127.0.0.1",
            port=port,
            certfile=tls_cert,
            keyfile=tls_key,
        )


@sandbox.command("reset")
@PATH_ARG
@target_options
def sandbox_reset(path: Path, target_name: str, targets_file: Path) -> None:
    """Empty a sandbox target and forget what the blueprint's lock file says about it.

    \b
    Example:
      usm-config sandbox reset blueprints/usm-reference.yaml --target sandbox
    """
    with handled_errors():
        target = resolve_target(targets_file, target_name)
        if not target.config.is_sandbox:
            raise Failure(f"target '{target_name}' is not a sandbox; refusing to reset it")
        blueprint, _ = load_or_fail(path, strict=False)
        context = Context(blueprint, path, target, load_adapter(target.config.adapter))
        with context.hold_apply_lock():
            for stale in (context.sandbox_state, context.lock_path, context.journal_path):
                stale.unlink(missing_ok=True)
        click.echo(f"reset sandbox target '{target_name}'")
