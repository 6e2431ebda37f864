"""usm-config adapter for Jira Service Management (Cloud)."""
