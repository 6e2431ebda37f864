"""ServiceNow adapter for usm-config, registered under the entry point ``servicenow``."""

from usm_servicenow.adapter import ADAPTER, ServiceNowAdapter

__all__ = ["ADAPTER", "ServiceNowAdapter"]
