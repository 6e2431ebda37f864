"""usm-config adapter for TOPdesk."""

from usm_topdesk.adapter import ADAPTER, TopdeskAdapter

__all__ = ["ADAPTER", "TopdeskAdapter"]
