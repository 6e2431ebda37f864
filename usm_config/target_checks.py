"""What the schema of ``targets.yaml`` cannot say: checks made when the file is read.

Each check looks at one target and reports located diagnostics, so a bad URL, a credential in
a URL, plain HTTP carrying credentials, sandbox knobs on a real instance, a missing CA bundle,
a lock folder that is a file, or an adapter that is not installed stops every command at once,
before anything connects. Codes:

======  ====================================================================================
TGT010  the URL holds a user name or password
TGT011  the URL holds spaces or control characters
TGT012  the URL has no host or an invalid one, or a port that is not a number from 1 to 65535
TGT013  credentials over plain ``http://`` to another machine without ``allow_insecure_http``
TGT014  ``sandbox:`` knobs on a target that is not ``url: "sandbox:"``
TGT015  ``ca_bundle`` is missing, not a file, unreadable or holds no PEM certificate
TGT016  ``lock_dir`` exists but is not a folder, or cannot name one
TGT017  no installed adapter has this name
TGT018  the URL holds a query (``?…``) or a fragment (``#…``), as a browser's address does
======  ====================================================================================
"""

from __future__ import annotations

import ipaddress
import stat
from collections.abc import Collection, Mapping
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import httpx

from usm_config.blueprint.validation_errors import format_path
from usm_config.diagnostics import (
    Diagnostic,
    Location,
    Severity,
    did_you_mean,
    display_path,
    locate,
)

Loc = tuple[str | int, ...]
#: How much of a CA bundle is read to find a certificate in it.
CA_BUNDLE_READ_LIMIT = 10 * 1024 * 1024
PEM_MARKER = b"-----BEGIN CERTIFICATE-----"


class TargetChecker:
    """Collects the diagnostics of one targets file, located through its source index."""

    def __init__(self, index: Mapping[Loc, Location], base_dir: Path) -> None:
        self.index = dict(index)
        self.base_dir = base_dir
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, path: Loc, message: str, hint: str) -> None:
        """Record an error at ``path``."""
        self.diagnostics.append(
            Diagnostic(
                Severity.ERROR, code, message, locate(self.index, path), format_path(path), hint
            )
        )


def check_url(c: TargetChecker, at: Loc, url: str, auth_type: str, allow_http: bool) -> None:
    """The URL of a real instance: no credential, no spaces, a host, HTTPS for credentials.

    The URL itself is never quoted back: it may hold a pasted password.
    """
    where = (*at, "url")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        c.error(
            "TGT011",
            where,
            "the URL holds spaces or control characters",
            "write the address without spaces, e.g. https://example.service-now.com",
        )
        return
    try:
        parts = urlsplit(url)
    except ValueError:  # '[' or ']' around something that is not an IPv6 address
        c.error(
            "TGT012",
            where,
            "the URL's host is not valid: '[' and ']' enclose an IPv6 address only",
            "write the instance's address, e.g. https://example.service-now.com, or an IPv6 "
            "address in brackets, e.g. https://[2001:db8::1]",
        )
        return
    if "@" in parts.netloc:
        c.error(
            "TGT010",
            where,
            "the URL holds a user name or password (not shown here)",
            "remove 'user:password@' from the URL, and name the environment variables that "
            "hold them under 'auth:', e.g. {type: basic, username_env: SN_USER, "
            "password_env: SN_PASSWORD}",
        )
        return
    if not parts.hostname:
        c.error(
            "TGT012",
            where,
            "the URL has no host name",
            "write the instance's address, e.g. https://example.service-now.com",
        )
        return
    try:
        port = parts.port  # urlsplit checks the port only when it is read
    except ValueError:
        port = 0
    if port == 0:
        c.error(
            "TGT012",
            where,
            "the URL's port is not a number from 1 to 65535",
            "write the port as digits after the host, e.g. https://itsm.example.org:8443",
        )
        return
    try:
        # IDNA 2008, as browsers do: httpx encodes a host that is not ASCII when the URL is
        # built, and decodes one that is ('xn--…') when its host is read.
        httpx.URL(url).host  # noqa: B018
    except (httpx.InvalidURL, ValueError):
        c.error(
            "TGT012",
            where,
            "the URL's host is not a valid internet name",
            "write the instance's address as the browser shows it, e.g. "
            "https://example.service-now.com",
        )
        return
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        c.error(
            "TGT018",
            where,
            "the URL holds a query ('?…') or a fragment ('#…'), as a page's address in the "
            "browser does; requests are built on the instance's address",
            "keep the address up to the host (and a path the instance is served under), e.g. "
            "https://example.service-now.com",
        )
        return
    if parts.scheme == "http" and auth_type != "none" and not allow_http and not _local(parts):
        c.error(
            "TGT013",
            where,
            f"the target logs in ({auth_type}) over plain http:// to {parts.hostname}: anyone "
            "on the way can read the credentials",
            "use https://; if the connection is protected otherwise (a tunnel, a test network), "
            "add 'allow_insecure_http: true' to this target",
        )


def _local(parts: SplitResult) -> bool:
    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_ca_bundle(c: TargetChecker, at: Loc, ca_bundle: str) -> None:
    """The CA bundle is a readable file holding at least one PEM certificate."""
    where = (*at, "ca_bundle")
    path = c.base_dir / ca_bundle
    shown = display_path(path)
    fix = "point ca_bundle at a PEM file of CA certificates (relative to the targets file)"
    if "\0" in ca_bundle:  # no file system has such a name; os.stat refuses it (ValueError)
        c.error("TGT015", where, "the CA bundle's path holds a NUL character", fix)
        return
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        c.error("TGT015", where, f"the CA bundle {shown} does not exist", fix)
        return
    except OSError as exc:
        c.error("TGT015", where, f"the CA bundle {shown} cannot be read: {exc.strerror}", fix)
        return
    if not stat.S_ISREG(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        c.error("TGT015", where, f"the CA bundle {shown} is {what}", fix)
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(CA_BUNDLE_READ_LIMIT)
    except OSError as exc:
        c.error(
            "TGT015",
            where,
            f"the CA bundle {shown} cannot be read: {exc.strerror}",
            "make the file readable by this user, or " + fix,
        )
        return
    if PEM_MARKER not in head:
        c.error("TGT015", where, f"the CA bundle {shown} holds no PEM certificate", fix)


def check_lock_dir(c: TargetChecker, at: Loc, lock_dir: str) -> None:
    """The lock folder is a folder, or does not exist yet (it is made on first use)."""
    path = c.base_dir / lock_dir
    if "\0" in lock_dir:  # Path.exists() answers False for it; creating the folder would fail
        c.error(
            "TGT016",
            (*at, "lock_dir"),
            "lock_dir holds a NUL character",
            "name a folder for lock and journal files (it is created when missing)",
        )
        return
    if path.exists() and not path.is_dir():
        c.error(
            "TGT016",
            (*at, "lock_dir"),
            f"lock_dir {display_path(path)} is a file, not a folder",
            "name a folder for lock and journal files (it is created when missing), or move "
            "the file aside",
        )


def check_adapter(c: TargetChecker, at: Loc, adapter: str, installed: Collection[str]) -> None:
    """An installed adapter has this name."""
    if adapter in installed:
        return
    known = ", ".join(sorted(installed)) or "none"
    c.error(
        "TGT017",
        (*at, "adapter"),
        f"no installed adapter is called '{adapter}'{did_you_mean(adapter, installed)}",
        f"use one of the installed adapters ({known}), or install the adapter's package",
    )


def check_sandbox_knobs(c: TargetChecker, at: Loc) -> None:
    """Fault and latency knobs belong to the embedded sandbox only."""
    c.error(
        "TGT014",
        (*at, "sandbox"),
        'sandbox knobs (latency, injected faults) apply only to url: "sandbox:"; this '
        "target is a real instance",
        "remove 'sandbox:' from this target, or set url: \"sandbox:\" to use the emulator",
    )
