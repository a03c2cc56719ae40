"""Warnings issued by sksmooth."""


class SmoothingWarning(UserWarning):
    """A setting under which the smoothed classifier can never certify, or is unreliable."""


class InconsistentVersionWarning(SmoothingWarning):
    """A model saved by one sksmooth version is loaded by another.

    As scikit-learn's ``InconsistentVersionWarning``: the fitted state may not
    mean the same thing across versions; refit the model with the installed
    version, or install the version that saved it.

    Attributes
    ----------
    original_sksmooth_version : str
        The version that saved the model.
    current_sksmooth_version : str
        The installed version.
    """

    def __init__(self, *, original_sksmooth_version, current_sksmooth_version):
        self.original_sksmooth_version = original_sksmooth_version
        self.current_sksmooth_version = current_sksmooth_version
        super().__init__(str(self))

    def __str__(self):
        return (
            f"Loading a SmoothedClassifier saved by sksmooth {self.original_sksmooth_version} "
            f"with sksmooth {self.current_sksmooth_version}: its certificates may not be "
            "valid under this version. Refit it, or install the version that saved it."
        )
