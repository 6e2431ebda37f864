"""The commands of the usm-config command line, one module per concern."""
