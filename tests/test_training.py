"""Certified training of skorch nets (sksmooth/_training.py)."""

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from scipy import stats  # noqa: E402
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier  # noqa: E402
from skorch.callbacks import Callback, EarlyStopping, EpochScoring  # noqa: E402
from skorch.dataset import ValidSplit  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402
from torch import nn  # noqa: E402

from sksmooth import GaussianNoise, LaplaceNoise, SmoothedClassifier  # noqa: E402
from sksmooth import _training  # noqa: E402

from .test_torch import LABELS, MLP, blobs, mlp_net  # noqa: E402

NET_ONLY = ["consistency", "smoothadv", "macer"]
FAST = {"consistency": {}, "smoothadv": {"steps": 1}, "macer": {"m": 4}}


def smoothed(method, net=None, sigma=0.3, **kwargs):
    params = dict(n_samples=200, n_select=20, training=method, random_state=0)
    params["training_params"] = FAST.get(method)
    params.update(kwargs)
    return SmoothedClassifier(net if net is not None else mlp_net(max_epochs=8),
                              GaussianNoise(sigma), **params)


# ------------------------------------------------------------ each method
@pytest.mark.parametrize("method", ["noise", *NET_ONLY])
def test_each_method_trains_and_certifies(method):
    X, y = blobs(30)
    clf = smoothed(method).fit(X, y)
    net = clf.estimator_
    assert isinstance(net, NeuralNetClassifier)
    assert (type(net).__name__ == "NeuralNetClassifier") == (method == "noise")
    losses = net.history[:, "train_loss"]
    assert len(losses) == 8 and np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]  # it learned something
    y_pred, radius = clf.certify(X[::6])
    # Separated blobs (centres 2.8 apart, spread 0.3): every method classifies and certifies them.
    assert np.mean(y_pred == y[::6]) >= 0.9
    assert np.all(radius[y_pred == y[::6]] > 0.2)
    assert set(clf.predict(X[::6])) <= set(LABELS)


@pytest.mark.parametrize("method", NET_ONLY)
def test_reproducible_with_fixed_random_state(method):
    X, y = blobs(15)
    first = smoothed(method, mlp_net(max_epochs=3)).fit(X, y)
    second = smoothed(method, mlp_net(max_epochs=3)).fit(X, y)
    for a, b in zip(first.estimator_.module_.parameters(), second.estimator_.module_.parameters()):
        assert torch.equal(a, b)
    np.testing.assert_array_equal(first.certify(X[:5])[1], second.certify(X[:5])[1])
    other = smoothed(method, mlp_net(max_epochs=3), random_state=1).fit(X, y)
    assert not torch.equal(next(first.estimator_.module_.parameters()),
                           next(other.estimator_.module_.parameters()))


class Recording(nn.Module):
    """A linear module that records the rows it sees in train mode."""

    def __init__(self, n_in=4, n_out=3):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.seen = []

    def forward(self, X):
        if self.training:
            self.seen.append(X.detach().clone())
        return self.linear(X)


def recording_net(**kwargs):
    params = dict(module=Recording, criterion=nn.CrossEntropyLoss, optimizer=torch.optim.SGD,
                  lr=0.1, max_epochs=2, batch_size=30, train_split=None, verbose=0,
                  iterator_train__shuffle=False)
    params.update(kwargs)
    return NeuralNetClassifier(**params)


@pytest.mark.parametrize("method", NET_ONLY)
def test_training_noise_differs_between_batches_and_epochs(method):
    X, y = blobs(20)  # 60 rows: 2 batches of 30 per epoch, 2 epochs
    sigma = 0.5
    clf = smoothed(method, recording_net(), sigma=sigma).fit(X, y)
    seen = clf.estimator_.module_.seen
    m = clf.estimator_.certified_training.params["m"]
    assert len(seen) == 4 and m >= 2
    clean = torch.as_tensor(X, dtype=torch.float32)
    noise = []
    for k, rows in enumerate(seen):
        copies = rows.reshape(m, 30, 4)
        # Two copies of a row share the clean row (and SmoothAdv's shift): their difference
        # is noise_0 - noise_1 ~ N(0, 2 sigma^2); std within 15% (120 values: 2.3 standard errors).
        diff = copies[0] - copies[1]
        assert abs(diff.std().item() - sigma * np.sqrt(2)) < 0.15 * sigma * np.sqrt(2)
        if method != "smoothadv":  # no shift: copies are the clean batch plus N(0, sigma^2)
            off = copies - clean[30 * (k % 2): 30 * (k % 2) + 30]
            assert abs(off.std().item() - sigma) < 0.15 * sigma
        noise.append(diff)
    for i in range(4):  # batches 0, 1 (epoch 1) and 2, 3 (epoch 2), same clean rows for 0 and 2
        for j in range(i):
            assert not torch.allclose(noise[i], noise[j])
            r = np.corrcoef(noise[i].ravel(), noise[j].ravel())[0, 1]
            assert abs(r) < 0.3  # independent: sd of r is 0.09 for 120 pairs, 0.3 is 3.3 sd


# --------------------------------------------------- losses by hand
def test_consistency_loss_equals_a_hand_computation_on_a_fixed_batch():
    X, y = blobs(4)  # 12 rows
    net = recording_net(max_epochs=1).initialize()
    W = net.module_.linear.weight.detach().numpy().astype(np.float64)
    b = net.module_.linear.bias.detach().numpy().astype(np.float64)
    lbd, eta, m = 3.0, 0.7, 3
    trainer = _training.CertifiedTraining("consistency", {"m": m, "lambda": lbd, "eta": eta},
                                          GaussianNoise(0.4).validate(4), seed=11)
    y_enc = np.searchsorted(LABELS, y)
    step = trainer.step(net, torch.as_tensor(X, dtype=torch.float32),
                        torch.as_tensor(y_enc), set_training=lambda mode: None)
    noisy = net.module_.seen[-1].numpy().astype(np.float64)  # (m * n, d), copy-major
    n = X.shape[0]
    assert noisy.shape == (m * n, 4)
    # By hand: p_i = softmax(W (x + noise_i) + b); loss = mean CE + lbd mean KL(p_bar||p_i) + eta H.
    z = noisy @ W.T + b
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    ce = -np.mean(np.log(p[np.arange(m * n), np.tile(y_enc, m)]))
    p = p.reshape(m, n, 3)
    bar = p.mean(0)
    kl = np.mean([np.sum(bar * (np.log(bar) - np.log(p[i])), axis=1) for i in range(m)])
    entropy = np.mean(-np.sum(bar * np.log(bar), axis=1))
    expected = ce + lbd * kl + eta * entropy
    assert step["loss"].item() == pytest.approx(expected, rel=1e-5)
    # The noise itself: N(0, 0.4^2) around the clean rows.
    off = noisy - np.tile(X, (m, 1))
    assert abs(off.std() - 0.4) < 0.1
    # y_pred is the mean prediction: softmax of it gives p_bar.
    np.testing.assert_allclose(step["y_pred"].softmax(1).numpy(), bar, rtol=1e-5)


def test_macer_loss_equals_a_hand_computation():
    rng = np.random.default_rng(0)
    m, n, c = 4, 6, 3
    logits = rng.normal(scale=2.0, size=(m, n, c))
    sigma, lbd, gamma, beta = 0.5, 2.0, 4.0, 3.0

    def softmax(a):
        e = np.exp(a - a.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    y = softmax(beta * logits).mean(0).argmax(1)
    y[:2] = (y[:2] + 1) % c  # two misclassified rows: no hinge there
    log_p = torch.as_tensor(logits).log_softmax(-1)
    got = _training.macer_loss(log_p, torch.as_tensor(y), sigma, lbd, gamma, beta).item()
    g = softmax(logits).mean(0)
    nll = -np.log(g[np.arange(n), y])
    g_beta = softmax(beta * logits).mean(0)
    top = np.sort(g_beta, axis=1)[:, ::-1]
    xi = stats.norm.ppf(top[:, 0]) - stats.norm.ppf(top[:, 1])
    correct = g_beta.argmax(1) == y
    hinge = np.where(correct, np.maximum(gamma - xi, 0), 0.0)
    expected = np.mean(nll + lbd * sigma / 2 * hinge)
    assert not correct[:2].any() and (hinge[2:] > 0).any()  # both cases are exercised
    assert got == pytest.approx(expected, rel=1e-9)


def test_macer_gradients_stay_finite_when_the_vote_saturates():
    log_p = torch.tensor([[[0.0, -200.0], [-200.0, 0.0]]], requires_grad=True)
    loss = _training.macer_loss(log_p, torch.tensor([0, 1]), 0.25, 12.0, 8.0, 16.0)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(log_p.grad).all()


def test_smoothadv_attack_increases_the_smoothed_loss_it_attacks():
    X, y = blobs(10)
    clf = smoothed("noise", mlp_net(max_epochs=10)).fit(X, y)
    net = clf.estimator_
    Xt = torch.as_tensor(X, dtype=torch.float32)
    yt = torch.as_tensor(np.searchsorted(LABELS, y))
    noise = clf.noise_
    m, eps = 4, 0.5
    gen = torch.Generator().manual_seed(0)
    draws = noise.sample_torch(m * len(X), 4, gen, torch.device("cpu"), torch.float32)

    def forward(rows):
        return _training.log_probs(net, net.module_(rows))

    delta = _training.smoothadv_attack(forward, Xt, yt, draws, noise, eps, steps=3)
    assert torch.all(delta.norm(dim=1) <= eps * (1 + 1e-5))
    with torch.no_grad():
        before = _training.smoothed_nll(forward, Xt, yt, draws, noise)
        after = _training.smoothed_nll(forward, Xt + delta, yt, draws, noise)
        rand = torch.randn(Xt.shape, generator=gen)
        rand = eps * rand / rand.norm(dim=1, keepdim=True)
        random_shift = _training.smoothed_nll(forward, Xt + rand, yt, draws, noise)
    assert (after > before).float().mean() >= 0.95
    assert after.mean() > random_shift.mean() > 0  # more than a random shift of the same norm


# -------------------------------------------------- skorch machinery
class Spy(Callback):
    def initialize(self):
        self.y_pred_shapes, self.grads = [], 0
        return self

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        if training:
            self.y_pred_shapes.append((tuple(kwargs["y_pred"].shape), len(batch[0])))

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.grads += 1


@pytest.mark.parametrize("method", NET_ONLY)
def test_callbacks_and_train_scoring_see_one_prediction_per_row(method):
    X, y = blobs(10)
    net = mlp_net(max_epochs=2, batch_size=10, callbacks=[
        ("spy", Spy()), ("acc", EpochScoring("accuracy", on_train=True, lower_is_better=False))])
    clf = smoothed(method, net).fit(X, y)
    spy = dict(clf.estimator_.callbacks_)["spy"]
    assert spy.grads == 6 == len(spy.y_pred_shapes)
    assert all(shape == (rows, 3) for shape, rows in spy.y_pred_shapes)
    assert all(0 <= a <= 1 for a in clf.estimator_.history[:, "accuracy"])


@pytest.mark.parametrize("method", NET_ONLY)
def test_early_stopping_on_the_clean_validation_loss(method):
    X, y = blobs(20)
    stop = EarlyStopping(monitor="valid_loss", patience=2, threshold=100.0, threshold_mode="abs")
    net = mlp_net(max_epochs=30, train_split=ValidSplit(4, stratified=True),
                  callbacks=[("stop", stop)])
    clf = smoothed(method, net).fit(X, y)
    history = clf.estimator_.history
    # No epoch improves valid_loss by 100, so it stops after 1 + patience epochs.
    assert len(history) == 3
    assert np.all(np.isfinite(history[:, "valid_loss"]))
    # The last valid_loss is the cross-entropy of the final module on the clean (un-noised)
    # validation rows: ValidSplit(4, stratified=True) holds out StratifiedKFold(4)'s first fold.
    codes = np.searchsorted(np.unique(y), y)
    _, valid = next(StratifiedKFold(4).split(X, codes))
    module = clf.estimator_.module_.eval()
    with torch.no_grad():
        logits = module(torch.as_tensor(X[valid], dtype=torch.float32))
        clean = nn.functional.cross_entropy(logits, torch.as_tensor(codes[valid])).item()
    assert history[-1, "valid_loss"] == pytest.approx(clean, rel=1e-5)


@pytest.mark.parametrize("method", NET_ONLY)
def test_warm_start_continues_training_with_the_same_method(method):
    X, y = blobs(10)
    clf = smoothed(method, mlp_net(max_epochs=2, warm_start=True)).fit(X, y)
    net = clf.estimator_
    before = [p.detach().clone() for p in net.module_.parameters()]
    X32, y_enc = X.astype(np.float32), np.searchsorted(LABELS, y)
    seen = []
    net.certified_training.noise = _Recorder(net.certified_training.noise, seen)
    net.fit(X32, y_enc)
    assert len(net.history) == 4  # warm start: the history goes on
    assert seen  # the certified step did the training
    after = list(net.module_.parameters())
    assert not all(torch.equal(a, b) for a, b in zip(before, after))
    net.partial_fit(X32, y_enc)
    assert len(net.history) == 6


class _Recorder:
    """A noise proxy recording the draws of the training step."""

    def __init__(self, noise, seen):
        self.noise, self.seen = noise, seen

    def sample_torch(self, *args):
        draws = self.noise.sample_torch(*args)
        self.seen.append(draws)
        return draws

    def perturb(self, X, draws):
        return self.noise.perturb(X, draws)

    def __getattr__(self, name):  # sigma, norm, ...
        return getattr(self.noise, name)


def test_certified_net_pickles_and_clones_with_its_training():
    X, y = blobs(10)
    clf = smoothed("consistency", mlp_net(max_epochs=2)).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    assert type(again.estimator_) is type(clf.estimator_)
    np.testing.assert_array_equal(again.certify(X[:4])[1], clf.certify(X[:4])[1])
    twin = clone(clf.estimator_)
    assert type(twin) is type(clf.estimator_)
    assert repr(twin.certified_training) == repr(clf.estimator_.certified_training)
    assert twin.certified_training is not clf.estimator_.certified_training
    # The user's net is untouched; refitting with training="noise" gives a plain net.
    assert type(clf.estimator) is NeuralNetClassifier
    clf.set_params(training="noise", training_params=None).fit(X, y)
    assert type(clf.estimator_) is NeuralNetClassifier


def test_refit_from_a_certified_net_changes_method_and_keeps_one_noise():
    X, y = blobs(10)
    first = smoothed("consistency", mlp_net(max_epochs=1)).fit(X, y)
    clf = SmoothedClassifier(first.estimator_, GaussianNoise(0.3), training="macer",
                             training_params={"m": 2}, n_samples=50, random_state=0).fit(X, y)
    assert clf.estimator_.certified_training.method == "macer"
    assert type(clf.estimator_).__mro__[1] is _training.CertifiedStep
    plain = SmoothedClassifier(first.estimator_, GaussianNoise(0.3), n_samples=50).fit(X, y)
    assert plain.estimator_.certified_training is None


def test_binary_nets_train_with_each_method():
    X, y = blobs(15)
    keep = np.isin(y, LABELS[:2])
    Xb, yb = X[keep], y[keep]
    for method in NET_ONLY:
        binary = NeuralNetBinaryClassifier(MLP, module__n_out=1, max_epochs=6, lr=0.2,
                                           batch_size=16, train_split=None, verbose=0)
        clf = smoothed(method, binary).fit(Xb, yb)
        assert np.mean(clf.predict(Xb) == yb) >= 0.9


class SoftmaxRecording(Recording):
    def forward(self, X):
        return super().forward(X).softmax(dim=1)


@pytest.mark.parametrize("method", NET_ONLY)
def test_nll_net_of_probabilities_gets_the_loss_of_the_logit_net(method):
    X, y = blobs(4)
    Xt, yt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(np.searchsorted(LABELS, y))
    logit = recording_net().initialize()
    prob = recording_net(module=SoftmaxRecording, criterion=nn.NLLLoss).initialize()
    prob.module_.linear.load_state_dict(logit.module_.linear.state_dict())
    params = _training.check_training_params(method, None)
    losses = []
    for net in (logit, prob):
        trainer = _training.CertifiedTraining(method, params, GaussianNoise(0.3).validate(4), 5)
        step = trainer.step(net, Xt, yt, set_training=lambda mode: None)
        losses.append(step["loss"].item())
        np.testing.assert_allclose(net.module_.seen[-1], logit.module_.seen[-1], atol=1e-5)  # noise
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)


def test_log_probs_match_predict_proba_for_each_output_convention():
    X = torch.randn(5, 4)
    net = mlp_net().initialize()
    np.testing.assert_allclose(_training.log_probs(net, net.module_(X)).exp().detach().numpy(),
                               net.predict_proba(X.numpy()), rtol=1e-5)
    binary = NeuralNetBinaryClassifier(MLP, module__n_out=1, verbose=0).initialize()
    np.testing.assert_allclose(
        _training.log_probs(binary, binary.module_(X)).exp().detach().numpy(),
        binary.predict_proba(X.numpy()), rtol=1e-5)


def test_grid_search_over_training_params():
    X, y = blobs(12)
    clf = smoothed("consistency", mlp_net(max_epochs=2), n_samples=30)
    grid = GridSearchCV(clf, {"training_params": [{"lambda": 1.0}, {"lambda": 20.0}]}, cv=2)
    grid.fit(X, y)
    assert [p["training_params"] for p in grid.cv_results_["params"]] == [
        {"lambda": 1.0}, {"lambda": 20.0}]
    # lambda reaches the loss: the two settings train differently ...
    losses = {lam: clone(clf).set_params(training_params={"lambda": lam}).fit(X, y)
              .estimator_.history[:, "train_loss"] for lam in (1.0, 20.0)}
    assert losses[1.0] != losses[20.0]
    # ... and the refit best estimator trained with the winning lambda, bit for bit.
    best = grid.best_params_["training_params"]
    net = grid.best_estimator_.estimator_
    assert net.certified_training.params == _training.check_training_params("consistency", best)
    assert net.history[:, "train_loss"] == losses[best["lambda"]]

    options = [{"training": ["noise"], "training_params": [None]},
               {"training": ["macer"], "training_params": [{"m": 2}]}]
    grid = GridSearchCV(clf, options, cv=2)
    grid.fit(X, y)
    assert [(p["training"], p["training_params"]) for p in grid.cv_results_["params"]] == [
        ("noise", None), ("macer", {"m": 2})]
    # Each candidate was scored with its own method: its fold scores are those of the
    # classifier built directly with it (same folds, same random_state).
    for i, option in enumerate(options):
        direct = clone(clf).set_params(training=option["training"][0],
                                       training_params=option["training_params"][0])
        np.testing.assert_array_equal(
            [grid.cv_results_[f"split{k}_test_score"][i] for k in range(2)],
            cross_val_score(direct, X, y, cv=2))
    net = grid.best_estimator_.estimator_
    if grid.best_params_["training"] == "noise":
        assert type(net).__name__ == "NeuralNetClassifier"  # a plain net, no certified step
    else:
        assert net.certified_training.method == "macer"
        assert net.certified_training.params["m"] == 2


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_net_trains_with_noise_on_the_device():
    X, y = blobs(10)
    clf = smoothed("consistency", mlp_net(max_epochs=2, device="cuda")).fit(X, y)
    assert next(clf.estimator_.module_.parameters()).is_cuda
    assert clf.estimator_.certified_training.generator(torch.device("cuda")).device.type == "cuda"
    clf.certify(X[:3])


# ------------------------------------------------------------ bad input
def test_unknown_method_is_a_clear_error():
    with pytest.raises(InvalidParameterError, match="training"):
        smoothed("mixup").fit(*blobs(5))


@pytest.mark.parametrize("method, params, match", [
    ("consistency", {"lamda": 1.0}, r"Unknown training_params \['lamda'\].*'lambda'"),
    ("consistency", {"lambda": -1.0}, r"'lambda' parameter.*range \[0"),
    ("consistency", {"m": 1}, r"'m' parameter.*range \[2"),
    ("smoothadv", {"epsilon": 0.0}, r"'epsilon' parameter"),
    ("smoothadv", {"steps": 2.5}, r"'steps' parameter"),
    ("macer", {"gamma": -1}, r"'gamma' parameter"),
    ("macer", {"beta": 0}, r"'beta' parameter"),
    ("noise", {"m": 2}, r"training='noise' takes no training_params"),
])
def test_method_parameters_out_of_range_are_clear_errors(method, params, match):
    clf = smoothed(method, mlp_net(max_epochs=1), training_params=params)
    with pytest.raises(ValueError, match=match):
        clf.fit(*blobs(5))


def test_net_only_method_with_a_sklearn_base_is_a_clear_error():
    X, y = blobs(5)
    clf = SmoothedClassifier(LogisticRegression(), training="consistency")
    with pytest.raises(ValueError, match="trains skorch neural nets only"):
        clf.fit(X, y)
    clf = SmoothedClassifier(LogisticRegression(), n_samples=50).fit(X, y)
    clf.set_params(training="macer")
    with pytest.raises(ValueError, match="trains skorch neural nets only"):
        clf.fit(X, y)
    assert hasattr(clf, "estimator_")  # the failed refit left the fitted model usable
    with pytest.raises(ValueError, match="takes no training_params"):
        SmoothedClassifier(LogisticRegression(), training_params={"m": 2}).fit(X, y)


def test_other_contradictions_are_clear_errors():
    X, y = blobs(5)
    net = mlp_net(max_epochs=1).initialize()
    with pytest.raises(ValueError, match="FrozenEstimator is never refitted"):
        SmoothedClassifier(FrozenEstimator(net), training="consistency").fit(X, y)
    with pytest.raises(ValueError, match="noise_augment=2 applies to training='noise' only"):
        smoothed("consistency", noise_augment=2).fit(X, y)
    with pytest.raises(ValueError, match="l2 norm"):
        SmoothedClassifier(mlp_net(), LaplaceNoise(0.3), training="smoothadv").fit(X, y)
    with pytest.raises(ValueError, match="GaussianNoise with one sigma"):
        SmoothedClassifier(mlp_net(), LaplaceNoise(0.3), training="macer").fit(X, y)
    with pytest.raises(ValueError, match="class probabilities"):
        smoothed("consistency", mlp_net(criterion=nn.MultiMarginLoss)).fit(X, y)
