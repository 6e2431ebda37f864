"""Tests run in a fresh copy of the repository layout (:mod:`repo_copy`)."""

from repo_copy import workspace

__all__ = ["workspace"]
