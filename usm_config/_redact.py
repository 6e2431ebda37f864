"""Secret redaction for everything the HTTP layer logs or puts into an exception.

Private module; the public names are re-exported by :mod:`usm_config.http`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "SENSITIVE_HEADERS", "Redactor"]

MASK = "***"

#: Request headers whose values are credentials wherever they show up.
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-sn-apikey"})

# Field names whose values are masked even when the value itself was never registered, e.g. a
# token endpoint echoing a fresh token in an error body or a server echoing the request back.
_SENSITIVE_FIELDS = ("access_token", "refresh_token", "client_secret", "password")
_SENSITIVE_KEYS = "|".join(
    re.escape(name) for name in (*_SENSITIVE_FIELDS, *sorted(SENSITIVE_HEADERS))
)

# "key": "value" in JSON, and 'key': 'value' in Python reprs.
_QUOTED_FIELD = re.compile(
    rf"""(?P<key>(?P<kq>["'])(?:{_SENSITIVE_KEYS})(?P=kq)\s*:\s*)"""
    r"""(?P<q>["'])(?:\\.|(?!(?P=q))[^\\])*(?P=q)""",
    re.IGNORECASE,
)
# key=value in form bodies and query strings.
_FORM_FIELD = re.compile(
    rf"""(?<![\w-])(?P<key>(?:{"|".join(_SENSITIVE_FIELDS)})=)[^&\s"'<>]*""",
    re.IGNORECASE,
)
# "Authorization: Basic ..." style header lines in echoed requests or debug dumps.
_HEADER_NAMES = "|".join(re.escape(h) for h in sorted({*SENSITIVE_HEADERS, "set-cookie"}))
_HEADER_LINE = re.compile(
    rf"""^(?P<key>[ \t]*(?:{_HEADER_NAMES})[ \t]*:[ \t]*)\S.*$""",
    re.IGNORECASE | re.MULTILINE,
)
# scheme://user:password@host -> scheme://***@host
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.\-]*://)[^\s/?#@]+@", re.IGNORECASE)


def _encoded_forms(secret: str) -> set[str]:
    """The spellings under which ``secret`` can leak into a URL, a body or a header."""
    raw = secret.encode()
    b64 = base64.b64encode(raw).decode().rstrip("=")
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        # httpx leaves RFC 3986 sub-delimiters unescaped in paths and query strings.
        quote(secret, safe="!$&'()*+,;=:@/"),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        # Java JSON writers (ServiceNow) escape "/" as "\/".
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        b64,
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


class Redactor:
    """Replaces registered secrets, and values of well-known credential fields, with ``***``.

    Each registered secret is also masked in its URL-encoded, JSON-escaped and base64 spellings.
    Register the base64 of ``username:password`` to cover a Basic ``Authorization`` header
    (:func:`usm_config.http.build_auth` does this). Independently of the registered secrets,
    :meth:`redact` masks URL userinfo, ``access_token`` / ``refresh_token`` / ``client_secret``
    / ``password`` values in JSON and form bodies, and ``Authorization`` / ``Cookie`` /
    ``x-sn-apikey`` header lines.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._forms: set[str] = set()
        self._added: set[str] = set()
        """Secrets registered: each request's credentials are offered again (see
        :meth:`add_header`), and their spellings are worked out once."""
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Register one secret value. Empty values are ignored; short ones are not."""
        if not secret or secret in self._added:
            return
        self._added.add(secret)
        new = _encoded_forms(secret) - self._forms
        if new:
            self._forms |= new
            self._pattern = None

    def add_header(self, name: str, value: str) -> None:
        """Register the credential carried by a header value if ``name`` is a sensitive header."""
        lname = name.lower()
        if lname not in SENSITIVE_HEADERS or not value:
            return
        if lname == "cookie":
            self.add(value)
            for pair in value.split(";"):
                _, _, cookie_value = pair.strip().partition("=")
                # Short cookie values ("en", "true") are not credentials; masking them would
                # shred unrelated text, so only session-sized values are registered.
                if len(cookie_value) >= 8:
                    self.add(cookie_value)
            return
        scheme, _, credentials = value.strip().partition(" ")
        credentials = credentials.strip()
        if not credentials:  # a bare key such as x-sn-apikey
            self.add(value)
            return
        self.add(credentials)
        if scheme.lower() == "basic":
            # The decoded password leaks on its own when a server echoes it back.
            try:
                userpass = base64.b64decode(credentials, validate=True).decode()
            except ValueError:
                return
            self.add(userpass.partition(":")[2])

    def redact(self, text: str) -> str:
        """Return ``text`` with every known secret and credential field masked."""
        if self._forms:
            if self._pattern is None:
                # Longest first so a secret that contains another is masked as a whole.
                alternatives = sorted(self._forms, key=len, reverse=True)
                self._pattern = re.compile("|".join(map(re.escape, alternatives)))
            text = self._pattern.sub(MASK, text)
        text = _QUOTED_FIELD.sub(rf"\g<key>\g<q>{MASK}\g<q>", text)
        text = _FORM_FIELD.sub(rf"\g<key>{MASK}", text)
        text = _HEADER_LINE.sub(rf"\g<key>{MASK}", text)
        return _URL_USERINFO.sub(rf"\g<scheme>{MASK}@", text)

    def __repr__(self) -> str:
        # Never show the registered values.
        return f"<Redactor with {len(self._forms)} masked spellings>"
