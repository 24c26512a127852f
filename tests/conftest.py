"""Shared fixtures: where the real recordings are, and unique LSL identities."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_RECORDINGS = PROJECT_ROOT.parent / "shared" / "recordings"
SAMPLE_RECORDINGS = PROJECT_ROOT / "recordings"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def shared_recordings() -> Path:
    """The real public recordings in ``../shared/recordings``; skips when absent."""
    if not SHARED_RECORDINGS.is_dir():
        pytest.skip(
            f"real recordings not found at {SHARED_RECORDINGS}: "
            "fetch them from their public sources (docs/recordings.md, 'The real "
            "recordings behind the tests') into a 'shared/recordings' folder beside the clone"
        )
    return SHARED_RECORDINGS


@pytest.fixture(scope="session")
def sample_recordings() -> Path:
    """The small generated recordings that ship in ``recordings/``."""
    return SAMPLE_RECORDINGS


@pytest.fixture
def source_id() -> str:
    """A unique LSL ``source_id`` so that concurrent tests never see each other's streams."""
    return uuid.uuid4().hex


@pytest.fixture
def unique_name() -> str:
    """A unique stream name, for tests that resolve by name."""
    return f"bci-test-{uuid.uuid4().hex[:12]}"
