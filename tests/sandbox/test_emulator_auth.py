"""SandboxAuth: basic users, static bearer tokens and issued tokens that expire."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from usm_config.sandbox.auth import SandboxAuth, TokenRegistry, Unauthenticated


def basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_basic_users() -> None:
    auth = SandboxAuth({"admin": "admin", "agent": "s3cret:with:colons"})
    assert auth.authenticate(basic("admin", "admin")) == "admin"
    assert auth.authenticate(basic("agent", "s3cret:with:colons")) == "agent"
    for headers in (
        basic("admin", "wrong"),
        basic("nobody", "admin"),
        {"authorization": "Basic not-base64!"},
        {},
        {"authorization": "Digest x"},
    ):
        with pytest.raises(Unauthenticated):
            auth.authenticate(headers)


def test_passwords_and_tokens_that_are_not_ascii_are_compared() -> None:
    """A password outside ASCII logs in when it is right and is refused when it is wrong,
    instead of failing the request (``hmac.compare_digest`` refuses such strings)."""
    auth = SandboxAuth({"admin": "admin", "jan": "wachtwoörd"}, bearer_tokens=["tökén"])
    assert auth.authenticate(basic("jan", "wachtwoörd")) == "jan"
    for headers in (basic("admin", "pässwörd"), basic("jan", "密码"), basic("jan", "wachtwoord")):
        with pytest.raises(Unauthenticated):
            auth.authenticate(headers)
    with pytest.raises(Unauthenticated):
        auth.authenticate({"authorization": "Bearer pässwörd"})


def test_static_bearer_tokens_as_a_mapping_or_a_collection() -> None:
    named = SandboxAuth({}, bearer_tokens={"pat-1": "alice"})
    assert named.authenticate({"Authorization": "Bearer pat-1"}) == "alice"
    with pytest.raises(Unauthenticated):
        named.authenticate({"authorization": "Bearer pat-2"})
    plain = SandboxAuth({"admin": "admin"}, bearer_tokens=["pat-2"])
    assert plain.authenticate({"authorization": "Bearer pat-2"}) == "admin"


def test_issued_tokens_expire_with_the_clock() -> None:
    now = [datetime(2026, 3, 1, tzinfo=UTC)]
    registry = TokenRegistry(lambda: now[0])
    auth = SandboxAuth({"admin": "admin"}, issued=registry)
    token = registry.issue("admin", ttl_s=60, client_id="client")
    assert registry.lookup(token) is not None
    assert auth.authenticate({"authorization": f"Bearer {token}"}) == "admin"
    now[0] += timedelta(seconds=61)
    assert registry.lookup(token) is None
    with pytest.raises(Unauthenticated):
        auth.authenticate({"authorization": f"Bearer {token}"})
    fresh = registry.issue("admin", ttl_s=60)
    registry.clear()
    assert registry.lookup(fresh) is None
