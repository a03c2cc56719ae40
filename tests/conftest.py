"""Fixtures shared by the test modules."""

import pytest


@pytest.fixture
def tuner_trials(monkeypatch):
    """The rows of each batch a batch tuner still judges (not yet settled), in call order."""
    from sksmooth import _engine

    seen = []
    record = _engine._BatchTuner.record

    def spy(self, rows, seconds):
        if not self.settled:
            seen.append(rows)
        record(self, rows, seconds)

    monkeypatch.setattr(_engine._BatchTuner, "record", spy)
    return seen
