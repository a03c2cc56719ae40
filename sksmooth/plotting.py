"""Plots of certified robustness, following scikit-learn's Display API.

matplotlib (a dependency of sksmooth) is imported only when something is
drawn, so ``import sksmooth`` stays fast.
"""

import numpy as np

from ._pipeline import final_smoothed
from .metrics import _correct, certified_accuracy


def _check_matplotlib(caller):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is in the test extra
        raise ImportError(
            f"{caller} needs matplotlib; install it with `pip install matplotlib` "
            "(or `pip install sksmooth[plot]`)."
        ) from exc
    return plt


def _exact_curve(correct, radius):
    """Breakpoints of the certified-accuracy step curve, exactly.

    ``CA(r) = mean(correct & (radius >= r))`` is constant on each interval
    ``(r_i, r_{i+1}]`` between consecutive certified radii of correct inputs,
    equal to ``CA(r_{i+1})``: drawn with ``drawstyle="steps-pre"`` the curve is
    exact. One last point past the largest radius shows the drop to 0.
    """
    knots = np.unique(np.concatenate([[0.0], radius[correct]]))
    end = knots[-1] * 1.05 if knots[-1] > 0 else 1.0
    radii = np.append(knots, end)
    values = np.mean(correct[:, None] & (radius[:, None] >= radii[None, :]), axis=0)
    return radii, values


_CLEAN_GID = "sksmooth-clean-accuracy"


def _legend(ax):
    """Legend of the named curves, plus one grey star for the clean-accuracy markers."""
    from matplotlib.lines import Line2D

    handles = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    if any(line.get_gid() == _CLEAN_GID for line in ax.get_lines()):
        handles.append(Line2D([], [], marker="*", markersize=11, linestyle="none",
                              color="0.4", label="clean accuracy"))
    if handles:
        ax.legend(handles=handles, loc="lower left")


class CertifiedAccuracyDisplay:
    """Certified accuracy against the certified radius.

    Build it with :meth:`from_estimator` or :meth:`from_predictions`; several
    displays drawn on one axis (``display.plot(ax=other.ax_)``) compare curves,
    e.g. one per noise level.

    Parameters
    ----------
    radii : ndarray of shape (n_radii,)
        Increasing radii, starting at 0.
    certified_accuracy : ndarray of shape (n_radii,)
        Certified accuracy at each radius.
    clean_accuracy : float, default=None
        Accuracy on unperturbed inputs, drawn as a marker at radius 0 for
        reference. None draws no marker.
    name : str, default=None
        Name of the curve in the legend.
    norm : str, default=None
        Norm of the radius (e.g. ``"l2"``), shown in the x-axis label.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The certified-accuracy curve.
    clean_marker_ : matplotlib Line2D or None
        The clean-accuracy marker, None if there is none.
    ax_ : matplotlib Axes
        The axes holding the curve.
    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    sksmooth.metrics.certified_accuracy : The values on the curve.

    Examples
    --------
    >>> from sksmooth.plotting import CertifiedAccuracyDisplay
    >>> y_true, y_pred, radius = [0, 1, 1, 0], [0, 1, -1, 1], [0.5, 0.2, 0.0, 0.9]
    >>> display = CertifiedAccuracyDisplay.from_predictions(
    ...     y_true, y_pred, radius, clean_accuracy=0.75, name="sigma = 0.25")
    >>> display.radii
    array([0.   , 0.2  , 0.5  , 0.525])
    >>> display.certified_accuracy
    array([0.5 , 0.5 , 0.25, 0.  ])
    >>> display.line_.get_label()
    'sigma = 0.25'
    """

    def __init__(self, radii, certified_accuracy, *, clean_accuracy=None, name=None,
                 norm=None):
        self.radii = radii
        self.certified_accuracy = certified_accuracy
        self.clean_accuracy = clean_accuracy
        self.name = name
        self.norm = norm

    def plot(self, ax=None, *, name=None, clean_marker=True, **kwargs):
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure and axes. Pass another
            display's ``ax_`` to put several curves on one axis.
        name : str, default=None
            Legend label; None uses the display's ``name``.
        clean_marker : bool, default=True
            Draw the clean-accuracy marker (a star at radius 0, in the curve's
            color) when ``clean_accuracy`` is known.
        **kwargs : dict
            Passed to ``ax.plot`` for the curve (e.g. ``color``, ``linestyle``).

        Returns
        -------
        display : CertifiedAccuracyDisplay
            ``self``, with ``line_``, ``clean_marker_``, ``ax_`` and ``figure_`` set.
        """
        plt = _check_matplotlib("CertifiedAccuracyDisplay.plot")
        if ax is None:
            _, ax = plt.subplots()
        name = self.name if name is None else name
        line_kwargs = {"drawstyle": "steps-pre"}
        line_kwargs["label"] = "_certified accuracy" if name is None else name
        line_kwargs.update(kwargs)
        (self.line_,) = ax.plot(self.radii, self.certified_accuracy, **line_kwargs)
        self.clean_marker_ = None
        if clean_marker and self.clean_accuracy is not None:
            (self.clean_marker_,) = ax.plot(
                [0.0], [self.clean_accuracy], marker="*", markersize=11, linestyle="none",
                color=self.line_.get_color(), label="_clean accuracy", clip_on=False,
                gid=_CLEAN_GID,
            )
        norm = f" ({self.norm})" if self.norm else ""
        ax.set_xlabel(f"radius{norm}")
        ax.set_ylabel("certified accuracy")
        ax.set_ylim(0.0, 1.02)
        ax.margins(x=0.0)  # curves start at radius 0; x autoscaling stays on for more curves
        _legend(ax)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_predictions(cls, y_true, y_pred, radius, *, radii=None, clean_accuracy=None,
                         name=None, norm=None, ax=None, **kwargs):
        """Plot the curve from certificates (the output of ``certify``).

        Parameters
        ----------
        y_true : array-like of shape (n_inputs,)
            True labels.
        y_pred : array-like of shape (n_inputs,)
            Certified predictions (abstentions count as errors).
        radius : array-like of shape (n_inputs,)
            Certified radii, 0.0 where abstained.
        radii : array-like of float, default=None
            Radii at which to evaluate. None gives the exact step curve (every
            radius where it changes).
        clean_accuracy : float, default=None
            Accuracy on clean inputs, drawn as a reference marker at radius 0.
        name : str, default=None
            Legend label.
        norm : str, default=None
            Norm of the radii, for the axis label.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes new ones.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : CertifiedAccuracyDisplay
        """
        _check_matplotlib("CertifiedAccuracyDisplay.from_predictions")
        correct, radius = _correct(y_true, y_pred, radius)
        if correct.size == 0:
            raise ValueError("CertifiedAccuracyDisplay needs at least one input.")
        if radii is None:
            radii, values = _exact_curve(correct, radius)
        else:
            radii = np.asarray(radii, dtype=np.float64)
            if radii.ndim != 1 or radii.size == 0 or np.any(np.diff(radii) < 0):
                raise ValueError("radii must be a non-empty increasing 1-d array of radii.")
            values = certified_accuracy(y_true, y_pred, radius, at=radii)
        display = cls(radii, values, clean_accuracy=clean_accuracy, name=name, norm=norm)
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, radii=None, clean_accuracy=True, name=None,
                       ax=None, **kwargs):
        """Certify ``X`` with a fitted smoothed classifier and plot the curve.

        Parameters
        ----------
        estimator : SmoothedClassifier or Pipeline
            A fitted :class:`~sksmooth.SmoothedClassifier`, or a fitted Pipeline
            whose last step is one (the preceding steps transform ``X`` first).
        X : array-like of shape (n_inputs, n_features)
            Inputs to certify.
        y : array-like of shape (n_inputs,)
            True labels.
        radii : array-like of float, default=None
            Radii at which to evaluate; None gives the exact step curve.
        clean_accuracy : bool or float, default=True
            True marks the base estimator's accuracy on the clean inputs
            (its prediction, no noise, no certificate) at radius 0; a
            float marks that value; False or None marks nothing.
        name : str, default=None
            Legend label; None uses ``"sigma = <sigma>"`` when the noise has a
            scalar ``sigma``, else the base estimator's class name.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes new ones.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : CertifiedAccuracyDisplay
        """
        _check_matplotlib("CertifiedAccuracyDisplay.from_estimator")
        smoothed, Xt = final_smoothed(estimator, X)
        y_pred, radius = smoothed.certify(Xt)
        if clean_accuracy is True:
            base = smoothed.predict_base(Xt)  # in the labels of y (estimator_ sees encoded ones)
            clean_accuracy = float(np.mean([a == b for a, b in zip(base.tolist(),
                                                                    np.asarray(y).tolist())]))
        elif clean_accuracy is False:
            clean_accuracy = None
        noise = getattr(smoothed, "noise_", None)
        if name is None:
            sigma = getattr(noise, "sigma", None)
            name = (f"sigma = {sigma:g}" if sigma is not None and np.ndim(sigma) == 0
                    else type(smoothed.estimator_).__name__)
        return cls.from_predictions(
            y, y_pred, radius, radii=radii, clean_accuracy=clean_accuracy, name=name,
            norm=getattr(noise, "norm", None), ax=ax, **kwargs,
        )


class CertifiedBoundsDisplay:
    """Certified bounds of a smoothed regressor against the radius, one band per input.

    For each input, the band from ``lower`` to ``upper`` at each radius
    (:meth:`~sksmooth.SmoothedRegressor.certify`), the smoothed prediction as a
    line, and the true target as a marker when known. Infinite bounds (a radius
    too large for the draws) are left out of the band.

    Parameters
    ----------
    radii : ndarray of shape (n_radii,)
        Increasing radii.
    y_pred : ndarray of shape (n_inputs,)
        Smoothed predictions.
    lower, upper : ndarray of shape (n_radii, n_inputs)
        Certified bounds at each radius.
    y_true : ndarray of shape (n_inputs,), default=None
        Targets, drawn as markers at radius 0.
    norm : str, default=None
        Norm of the radius, for the axis label.

    Attributes
    ----------
    bands_ : list of matplotlib PolyCollection
        One band per input.
    lines_ : list of matplotlib Line2D
        One prediction line per input.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.plotting import CertifiedBoundsDisplay
    >>> radii = np.array([0.0, 0.5, 1.0])
    >>> lower = np.array([[0.9, 1.9], [0.5, 1.5], [0.0, -np.inf]])
    >>> upper = np.array([[1.1, 2.1], [1.5, 2.5], [2.0, np.inf]])
    >>> display = CertifiedBoundsDisplay.from_predictions(radii, [1.0, 2.0], lower, upper)
    >>> len(display.bands_), display.ax_.get_xlabel()
    (2, 'radius')
    """

    def __init__(self, radii, y_pred, lower, upper, *, y_true=None, norm=None):
        self.radii = radii
        self.y_pred = y_pred
        self.lower = lower
        self.upper = upper
        self.y_true = y_true
        self.norm = norm

    def plot(self, ax=None, **kwargs):
        """Draw the bands.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure and axes.
        **kwargs : dict
            Passed to ``ax.fill_between`` for every band (e.g. ``alpha``).

        Returns
        -------
        display : CertifiedBoundsDisplay
            ``self``, with ``bands_``, ``lines_``, ``ax_`` and ``figure_`` set.
        """
        plt = _check_matplotlib("CertifiedBoundsDisplay.plot")
        if ax is None:
            _, ax = plt.subplots()
        radii = np.asarray(self.radii, dtype=np.float64)
        lower = np.asarray(self.lower, dtype=np.float64)
        upper = np.asarray(self.upper, dtype=np.float64)
        finite = np.isfinite(lower) & np.isfinite(upper)
        self.bands_, self.lines_ = [], []
        band_kwargs = {"alpha": 0.25}
        band_kwargs.update(kwargs)
        for i, pred in enumerate(np.asarray(self.y_pred, dtype=np.float64)):
            (line,) = ax.plot(radii, np.full(radii.shape, pred), linestyle="--", linewidth=1)
            self.lines_.append(line)
            self.bands_.append(ax.fill_between(
                radii, np.where(finite[:, i], lower[:, i], np.nan),
                np.where(finite[:, i], upper[:, i], np.nan), where=finite[:, i],
                color=line.get_color(), **band_kwargs))
            if self.y_true is not None:
                ax.plot([0.0], [np.asarray(self.y_true, dtype=np.float64)[i]], marker="o",
                        linestyle="none", color=line.get_color(), clip_on=False)
        norm = f" ({self.norm})" if self.norm else ""
        ax.set_xlabel(f"radius{norm}")
        ax.set_ylabel("certified bounds on the smoothed prediction")
        ax.margins(x=0.0)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_predictions(cls, radii, y_pred, lower, upper, *, y_true=None, norm=None, ax=None,
                         **kwargs):
        """Plot the bands from bounds already computed (one row of bounds per radius).

        Parameters
        ----------
        radii : array-like of shape (n_radii,)
        y_pred : array-like of shape (n_inputs,)
        lower, upper : array-like of shape (n_radii, n_inputs)
        y_true : array-like of shape (n_inputs,), default=None
        norm : str, default=None
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : CertifiedBoundsDisplay
        """
        _check_matplotlib("CertifiedBoundsDisplay.from_predictions")
        radii = np.asarray(radii, dtype=np.float64)
        y_pred = np.atleast_1d(np.asarray(y_pred, dtype=np.float64))
        lower = np.asarray(lower, dtype=np.float64).reshape(radii.shape[0], -1)
        upper = np.asarray(upper, dtype=np.float64).reshape(radii.shape[0], -1)
        if radii.ndim != 1 or radii.size == 0 or np.any(np.diff(radii) < 0) or np.any(radii < 0):
            raise ValueError("radii must be a non-empty increasing 1-d array of radii >= 0.")
        if lower.shape != (radii.size, y_pred.size) or upper.shape != lower.shape:
            raise ValueError(
                f"lower and upper must have shape (n_radii, n_inputs) = ({radii.size}, "
                f"{y_pred.size}); got {lower.shape} and {upper.shape}."
            )
        return cls(radii, y_pred, lower, upper, y_true=y_true, norm=norm).plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, radii=None, ax=None, **kwargs):
        """Certify a few inputs at each radius with a fitted smoothed regressor and plot.

        Parameters
        ----------
        estimator : SmoothedRegressor or Pipeline
            Fitted; a Pipeline's preceding steps transform ``X`` first.
        X : array-like of shape (n_inputs, n_features)
            A few inputs (one band each).
        y : array-like of shape (n_inputs,), default=None
            Targets, drawn as markers.
        radii : array-like of float, default=None
            Radii in the noise's norm; None uses ``np.linspace(0, 1, 11)``.
            Each is one ``certify`` call on the same draws (an int
            ``random_state`` gives the same draws at every radius).
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : CertifiedBoundsDisplay
        """
        _check_matplotlib("CertifiedBoundsDisplay.from_estimator")
        smoothed, Xt = final_smoothed(estimator, X)
        radii = np.linspace(0.0, 1.0, 11) if radii is None else np.asarray(radii, np.float64)
        lower, upper, y_pred = [], [], None
        for r in radii:
            y_pred, lo, up = smoothed.certify(Xt, radius=float(r))
            lower.append(lo)
            upper.append(up)
        norm = getattr(getattr(smoothed, "noise_", None), "norm", None)
        return cls.from_predictions(radii, y_pred, np.array(lower), np.array(upper), y_true=y,
                                    norm=norm, ax=ax, **kwargs)
