"""usm-config: describe USM service management once, apply it to many tools."""

__version__ = "0.1.0"
