"""usm-config adapter for Jira Service Management (Cloud)."""

from usm_jsm.adapter import ADAPTER, JsmAdapter

__all__ = ["ADAPTER", "JsmAdapter"]
