"""The Monte Carlo front door (sksmooth/_montecarlo.py): engine and dtype choice."""

import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from sksmooth import GaussianNoise
from sksmooth import _montecarlo
from sksmooth._engine import count_votes
from sksmooth._random import ESTIMATE, RowSeeds, row_keys


def test_auto_engine_is_numpy_for_sklearn_models_and_errors_are_clear():
    assert _montecarlo.choose_engine(LogisticRegression(), "counts") == "numpy"
    assert _montecarlo.choose_engine(LogisticRegression(), "outputs") == "numpy"
    with pytest.raises(ValueError, match="engine='torch' counts votes or scores of a skorch"):
        _montecarlo.choose_engine(LogisticRegression(), "counts", "torch")
    with pytest.raises(ValueError, match="reduction must be one of"):
        _montecarlo.choose_engine(LogisticRegression(), "median")
    with pytest.raises(ValueError, match="engine must be one of"):
        _montecarlo.choose_engine(LogisticRegression(), "counts", "gpu")


def test_torch_engine_is_chosen_for_skorch_nets_and_the_test_hook_overrides_auto(monkeypatch):
    pytest.importorskip("skorch")
    from skorch import NeuralNetClassifier
    from torch import nn

    net = NeuralNetClassifier(nn.Linear(2, 2), criterion=nn.CrossEntropyLoss)
    assert _montecarlo.choose_engine(net, "counts") == "torch"
    assert _montecarlo.choose_engine(net, "scores") == "torch"
    assert _montecarlo.choose_engine(net, "outputs") == "numpy"  # a classifier's outputs: host
    monkeypatch.setattr(_montecarlo, "_FORCE_ENGINE", "numpy")
    assert _montecarlo.choose_engine(net, "counts") == "numpy"
    assert _montecarlo.choose_engine(net, "counts", "torch") == "torch"  # explicit wins


def test_evaluate_rounds_rows_to_float32_for_trees_only():
    X = np.random.default_rng(0).normal(size=(3, 2))
    seeds = RowSeeds(row_keys(X), 0, (ESTIMATE,))
    dtypes = []

    def vote(Z):
        dtypes.append(Z.dtype)
        return np.zeros(Z.shape[0], dtype=int)

    for model in (DecisionTreeClassifier(), LogisticRegression()):
        _montecarlo.evaluate(model, vote, X, GaussianNoise(0.5), 10, seeds, "counts",
                             n_classes=2)
    assert dtypes[0] == np.float32 and dtypes[-1] == np.float64


def test_evaluate_gives_the_engines_counts_and_outputs():
    X = np.random.default_rng(1).normal(size=(4, 2))
    seeds = RowSeeds(row_keys(X), 7, (ESTIMATE,))
    noise = GaussianNoise(1.0)
    vote = lambda Z: (Z.sum(axis=1) > 0).astype(int)  # noqa: E731
    got = _montecarlo.evaluate(LogisticRegression(), vote, X, noise, 300, seeds, "counts",
                               n_classes=2, batch_size=128)
    np.testing.assert_array_equal(got, count_votes(vote, X, noise, 300, seeds, 2))
    outputs = _montecarlo.evaluate(LogisticRegression(), lambda Z: Z[:, 0], X, noise, 300, seeds,
                                   "outputs")
    # Outputs are x_0 + eps_0, eps ~ N(0, 1): the mean of 300 lies within 4.5 standard errors
    # of x_0 (each of the 4 checks fails by chance with probability < 7e-6; fixed seed).
    assert outputs.shape == (4, 300)
    np.testing.assert_allclose(outputs.mean(axis=1), X[:, 0], atol=4.5 / np.sqrt(300))


def test_one_progress_bar_per_public_call(monkeypatch):
    # Issue 13, item 8: predict_certified(X, radius=r) opened one bar per sequential
    # stage (six), certify two (selection and estimation).
    import tqdm.std

    from sklearn.tree import DecisionTreeClassifier

    from sksmooth import GaussianNoise, SmoothedClassifier

    opened = []
    original = tqdm.std.tqdm.__init__

    def spy(self, *args, **kwargs):
        opened.append(kwargs.get("total"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(tqdm.std.tqdm, "__init__", spy)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # no widgets: the text bar
    X = np.random.default_rng(0).normal(size=(30, 3))
    clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=3), GaussianNoise(0.5),
                             method="monte_carlo", n_samples=2000, verbose=1,
                             random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    for call in (lambda: clf.certify(X), lambda: clf.predict_certified(X, radius=0.3),
                 lambda: clf.predict_proba(X), lambda: clf.predict(X)):
        opened.clear()
        call()
        assert len(opened) == 1
    clf.set_params(verbose=0)
    opened.clear()
    clf.certify(X)
    assert opened == []


def test_text_bar_without_ipywidgets(monkeypatch):
    import tqdm.std

    from sksmooth._montecarlo import _tqdm

    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    assert _tqdm() is tqdm.std.tqdm
