"""usm-config adapter for TOPdesk."""
