"""Text measured without a font engine: a fixed per-character width table, and wrapping.

The widths are advance widths in em of DejaVu Sans Bold (the wider of its regular and bold
faces), the font the diagrams ask for first; accented letters measure as their base letter
and any other character as a full em, so a measured line is never narrower than the browser
draws it with that font. Diagrams wrap every label with :func:`wrap` and size their boxes
from the result, which is why text cannot leave its box.
"""

from __future__ import annotations

import unicodedata

#: Advance widths in em, grouped by width.
_GROUPS: tuple[tuple[float, str], ...] = (
    (0.306, "'"),
    (0.343, "ijl"),
    (0.348, " "),
    (0.365, "/\\|"),
    (0.372, "IJ"),
    (0.38, ",."),
    (0.4, ":;"),
    (0.415, "-"),
    (0.435, "f"),
    (0.456, "!"),
    (0.457, "()[]"),
    (0.478, "t"),
    (0.493, "r"),
    (0.5, "_`"),
    (0.521, '"'),
    (0.523, "*"),
    (0.58, "?"),
    (0.582, "z"),
    (0.593, "c"),
    (0.595, "s"),
    (0.637, "L"),
    (0.645, "x"),
    (0.652, "vy"),
    (0.665, "k"),
    (0.675, "a"),
    (0.678, "e"),
    (0.682, "T"),
    (0.683, "EF"),
    (0.687, "o"),
    (0.696, "$0123456789"),
    (0.712, "hnu{}"),
    (0.716, "bdgpq"),
    (0.72, "S"),
    (0.724, "Y"),
    (0.725, "Z"),
    (0.733, "P"),
    (0.734, "C"),
    (0.762, "B"),
    (0.77, "R"),
    (0.771, "X"),
    (0.774, "AV"),
    (0.775, "K"),
    (0.812, "U"),
    (0.821, "G"),
    (0.83, "D"),
    (0.837, "HN"),
    (0.838, "#+<=>^~→←⇒–"),
    (0.85, "OQ"),
    (0.872, "&"),
    (0.924, "w"),
    (0.995, "M"),
    (1.0, "@—"),
    (1.002, "%"),
    (1.042, "m"),
    (1.103, "W"),
)
WIDTHS: dict[str, float] = {char: width for width, chars in _GROUPS for char in chars}
#: Width of a character the table does not know (wider than any it does).
UNKNOWN = 1.2


def char_width(char: str) -> float:
    """Advance width of ``char`` in em."""
    found = WIDTHS.get(char)
    if found is not None:
        return found
    base = unicodedata.normalize("NFD", char)[:1]
    return WIDTHS.get(base, UNKNOWN) if base != char else UNKNOWN


def text_width(text: str, size: float) -> float:
    """Width in pixels of ``text`` set at ``size`` pixels."""
    return sum(char_width(char) for char in text) * size


def _split_word(word: str, width: float, size: float) -> list[str]:
    """Cut a word that is wider than ``width`` into pieces that fit (at least one character)."""
    pieces, current = [], ""
    for char in word:
        if current and text_width(current + char, size) > width:
            pieces.append(current)
            current = char
        else:
            current += char
    return [*pieces, current] if current else pieces


def wrap(text: str, width: float, size: float) -> tuple[str, ...]:
    """Break ``text`` into lines no wider than ``width`` at ``size`` pixels.

    Lines break at spaces; a word wider than a line is cut between characters. Empty text
    gives no lines. ``width`` must hold the widest single character.
    """
    lines: list[str] = []
    current = ""
    for word in text.split():
        pieces = [word] if text_width(word, size) <= width else _split_word(word, width, size)
        for piece in pieces:
            candidate = f"{current} {piece}" if current else piece
            if text_width(candidate, size) <= width:
                current = candidate
            else:
                if current:
                    lines.append(current)
                current = piece
    if current:
        lines.append(current)
    return tuple(lines)
