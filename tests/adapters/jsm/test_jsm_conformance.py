"""The JSM adapter passes the adapter conformance suite (usm_config.testing).

The emulator checks every request against the Jira platform and JSM OpenAPI documents; the
fault test adds Jira's 409 lock conflicts on workflow, status and scheme writes.
"""

from __future__ import annotations

from jsm_conformance_base import JsmConformance


class TestJsmConformance(JsmConformance):
    pass
