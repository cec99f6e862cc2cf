"""Where the tests find what the repository holds: nothing outside it is read."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
STORIES = FIXTURES / "stories"
"""Sample stories besides the shipped one (copied from the team's shared folder, which a clone lacks)."""
SAMPLE_STORY = REPO / "resources" / "sample" / "the-last-ferry.txt"
