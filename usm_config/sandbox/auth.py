"""Who a request to an emulator acts as: basic users, static bearer tokens and issued tokens.

Auth is data (:class:`SandboxAuth`); :meth:`SandboxAuth.authenticate` reads a request's
``Authorization`` header and returns the user or raises :class:`Unauthenticated`, so each
emulator only renders its own 401 envelope. Token-issuing endpoints (ServiceNow's
``/oauth_token.do``) stay with their emulator and keep what they issue in a
:class:`TokenRegistry`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

__all__ = ["IssuedToken", "SandboxAuth", "TokenRegistry", "Unauthenticated", "same_secret"]


class Unauthenticated(Exception):
    """The request carries no credentials, or credentials the emulator does not accept."""


@dataclass(frozen=True)
class IssuedToken:
    """A token handed out by an emulator: whom it acts as, for which client, until when."""

    user: str
    client_id: str
    expires: datetime


def _utcnow() -> datetime:
    return datetime.now(UTC)


class TokenRegistry:
    """Tokens an emulator issued, valid until they expire by ``clock`` (timezone-aware UTC)."""

    def __init__(self, clock: Callable[[], datetime] = _utcnow) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, IssuedToken] = {}

    def issue(self, user: str, *, ttl_s: float, client_id: str = "") -> str:
        """A new random token acting as ``user`` for ``ttl_s`` seconds."""
        token = secrets.token_urlsafe(48)
        expires = self.clock() + timedelta(seconds=ttl_s)
        with self._lock:
            self._tokens[token] = IssuedToken(user, client_id, expires)
        return token

    def lookup(self, token: str) -> IssuedToken | None:
        """The token's grant while it is valid; ``None`` when unknown or expired."""
        with self._lock:
            issued = self._tokens.get(token)
        return issued if issued is not None and issued.expires > self.clock() else None

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._tokens.clear()


@dataclass(frozen=True)
class SandboxAuth:
    """The credentials an emulator accepts.

    ``basic_users``: user → password for ``Authorization: Basic``. ``bearer_tokens``: static
    tokens for ``Authorization: Bearer`` (e.g. personal access tokens); a mapping names the
    user each token acts as, a plain collection acts as the first basic user (or
    ``"bearer"`` without one). ``issued``: tokens the emulator hands out itself (OAuth).
    """

    basic_users: Mapping[str, str]
    bearer_tokens: Mapping[str, str] | Collection[str] = ()
    issued: TokenRegistry | None = None
    _bearer_users: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.bearer_tokens, Mapping):
            users = dict(self.bearer_tokens)
        else:
            default = next(iter(self.basic_users), "bearer")
            users = dict.fromkeys(self.bearer_tokens, default)
        object.__setattr__(self, "_bearer_users", users)

    def check_password(self, user: str, password: str) -> bool:
        """Whether ``password`` is ``user``'s basic-auth password (constant-time compare)."""
        expected = self.basic_users.get(user)
        return expected is not None and same_secret(expected, password)

    def authenticate(self, headers: Mapping[str, str]) -> str:
        """The user a request acts as, from its ``Authorization`` header (Basic or Bearer).

        ``headers`` is a request's headers (Starlette's are case-insensitive; a plain dict
        needs the key ``authorization`` or ``Authorization``). Raises :class:`Unauthenticated`.
        """
        header = headers.get("authorization") or headers.get("Authorization") or ""
        scheme, _, credentials = header.partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise Unauthenticated("malformed basic credentials") from None
            user, _, password = decoded.partition(":")
            if self.check_password(user, password):
                return user
            raise Unauthenticated("wrong user name or password")
        if scheme.lower() == "bearer":
            for token, user in self._bearer_users.items():
                if same_secret(token, credentials):
                    return user
            issued = self.issued.lookup(credentials) if self.issued is not None else None
            if issued is not None:
                return issued.user
            raise Unauthenticated("unknown or expired token")
        raise Unauthenticated("no credentials")


def same_secret(expected: str, given: str) -> bool:
    """Whether two secrets are equal, compared in constant time. As UTF-8 bytes: a password
    or client secret that is not ASCII is compared, not refused with an error (which
    :func:`hmac.compare_digest` raises for such strings)."""
    return hmac.compare_digest(expected.encode(), given.encode())
