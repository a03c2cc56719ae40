"""Warnings issued by sksmooth."""


class SmoothingWarning(UserWarning):
    """A setting under which the smoothed classifier can never certify, or is unreliable."""
