"""Certify through a Pipeline whose last step is smoothed: ``sksmooth.certify``."""

from sklearn.pipeline import Pipeline


def _is_passthrough(step):
    return step is None or (isinstance(step, str) and step == "passthrough")


def final_smoothed(estimator, X):
    """The smoothed estimator at the end of (nested) Pipelines, and ``X`` as it sees it.

    Parameters
    ----------
    estimator : SmoothedClassifier, SmoothedRegressor or Pipeline
        Fitted. A Pipeline's steps before the last transform ``X`` first.
    X : array-like or DataFrame

    Returns
    -------
    smoothed : estimator with a ``certify`` method
    X : the transformed inputs

    Raises
    ------
    TypeError
        When the last step cannot certify.
    """
    outer = estimator
    while isinstance(estimator, Pipeline):
        for _, step in estimator.steps[:-1]:
            if not _is_passthrough(step):
                X = step.transform(X)
        estimator = estimator.steps[-1][1]
    if not callable(getattr(estimator, "certify", None)):
        raise TypeError(
            "certify needs a fitted smoothed estimator (SmoothedClassifier, "
            "SmoothedRegressor) or a Pipeline whose last step is one; got "
            f"{type(outer).__name__}"
            + ("" if outer is estimator else f" ending in {type(estimator).__name__}")
            + ", which has no certify method."
        )
    return estimator, X


def certify(estimator, X, **kwargs):
    """Certify ``X`` with a smoothed estimator, or a Pipeline whose last step is one.

    ``certify(pipe, X)`` is ``pipe[-1].certify(pipe[:-1].transform(X))``: the
    steps before the smoothed estimator transform the inputs, so the radii are
    in the space the smoothed estimator sees (after the scaler, say).

    Parameters
    ----------
    estimator : SmoothedClassifier, SmoothedRegressor or Pipeline
        Fitted.
    X : array-like or DataFrame
        The inputs, as the estimator's ``predict`` takes them.
    **kwargs
        Passed to the smoothed estimator's ``certify`` (e.g. ``radius=`` for a
        regressor).

    Returns
    -------
    The smoothed estimator's ``certify`` output: ``(y_pred, radius)`` for a
    classifier.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import sksmooth
    >>> X, y = load_iris(return_X_y=True)
    >>> pipe = make_pipeline(StandardScaler(), sksmooth.SmoothedClassifier(
    ...     noise=sksmooth.GaussianNoise(sigma=0.25), n_samples=500, random_state=0))
    >>> y_pred, radius = sksmooth.certify(pipe.fit(X, y), X[:3])
    >>> y_pred.tolist(), radius.shape
    ([0, 0, 0], (3,))
    """
    smoothed, Xt = final_smoothed(estimator, X)
    return smoothed.certify(Xt, **kwargs)
