"""Export: read a live tool back into a USM blueprint.

An adapter that can export implements :class:`usm_config.adapter.SupportsExport`: a pure
inverse of its mapping, from the live records ``plan`` reads to an :class:`Exported` blueprint
layer over the USM reference, plus :class:`Finding`\\ s for what it could not carry over. The
rest is adapter-neutral: :mod:`usm_config.export.verify` compiles the exported layer again and
compares it with the live records it came from, :mod:`usm_config.export.writer` writes it as a
blueprint directory (or into an existing one, keeping its comments), and
:mod:`usm_config.export.locking` hands the exported blueprint the records it describes.
"""

from usm_config.export.model import Exported, Finding, FindingKind

__all__ = ["Exported", "Finding", "FindingKind"]
