"""pytest explains failing assertions of the conformance suite, as it does for test modules."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("usm_config.testing")
