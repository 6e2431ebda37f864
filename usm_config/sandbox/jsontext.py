"""JSON text exactly as :func:`json.dumps` writes it, from an encoder built once.

``json.dumps`` and ``JSONEncoder.encode`` set up a new C encoder on every call. An emulator
encodes a stored row and a response body for each of the tens of thousands of records a large
apply writes, mostly small ones, for which that set-up costs more than the encoding itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any

__all__ = ["encoder"]


def encoder(
    *,
    ensure_ascii: bool = True,
    allow_nan: bool = True,
    separators: tuple[str, str] = (", ", ": "),
) -> Callable[[Any], str]:
    """``json.dumps(value, ensure_ascii=..., allow_nan=..., separators=...)`` as one function.

    For values without reference cycles (what JSON decodes never has one): the encoder skips
    the cycle check, which would otherwise build a dict per call too.
    """
    python = json.JSONEncoder(ensure_ascii=ensure_ascii, allow_nan=allow_nan, separators=separators)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: json's own way
        return python.encode
    item_separator, key_separator = separators
    # The arguments JSONEncoder.iterencode passes (CPython 3.11+), markers aside.
    encode_chunks = make(
        None,
        python.default,
        encode_basestring_ascii if ensure_ascii else encode_basestring,
        None,
        key_separator,
        item_separator,
        False,
        False,
        allow_nan,
    )

    def encode(value: Any) -> str:
        return "".join(encode_chunks(value, 0))

    return encode
