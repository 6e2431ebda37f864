"""ServiceNow adapter for usm-config."""
