"""FrameCodec: numeric view of DataFrames with text columns, and back (sksmooth/_frames.py)."""

import pickle

import numpy as np
import pandas as pd
import pytest

from sksmooth._frames import FrameCodec


def _frame():
    return pd.DataFrame(
        {
            "mass": [3.5, np.nan, 4.1, 3.9],
            "count": np.array([1, 2, 3, 4], dtype=np.int64),
            "island": pd.Series(["Dream", "Biscoe", None, "Dream"], dtype="str"),
            "kind": pd.Categorical(["a", "b", "a", None]),
            "flag": [True, False, True, True],
            "nullable": pd.array([1, None, 3, 4], dtype="Int64"),
        }
    )


def test_round_trip_keeps_values_and_dtypes():
    df = _frame()
    codec = FrameCodec(df)
    M = codec.encode(df)
    assert M.dtype == np.float64 and M.shape == df.shape
    pd.testing.assert_frame_equal(codec.decode(M), df)
    assert codec.text_columns() == ["island", "kind", "flag"]


def test_codes_depend_on_the_value_only():
    df = _frame()
    codec = FrameCodec(df)
    M = codec.encode(df)
    np.testing.assert_array_equal(codec.encode(df.iloc[::-1])[::-1], M)
    np.testing.assert_array_equal(FrameCodec(df.iloc[::-1]).encode(df), M)
    # equal values, equal codes; different values, different codes; missing is NaN
    assert M[0, 2] == M[3, 2] and M[0, 2] != M[1, 2] and np.isnan(M[2, 2])
    # codes are integers, exact in float64, never confused with numeric data
    codes = M[:, 2:5][~np.isnan(M[:, 2:5])]
    assert (codes < 0).all() and (codes == np.round(codes)).all() and (codes > -2.0**53).all()


def test_unseen_values_get_the_same_code_in_every_call_and_decode():
    df = _frame()
    codec = FrameCodec(df)
    test = df.copy()
    test.loc[1, "island"] = "Atlantis"
    first = codec.encode(test)
    again = FrameCodec(df).encode(test.iloc[::-1])[::-1]
    np.testing.assert_array_equal(first, again)
    assert codec.decode(first).loc[1, "island"] == "Atlantis"


def test_noised_columns_stay_float_and_missing_stays_missing():
    df = _frame()
    codec = FrameCodec(df)
    noisy = codec.encode(df)
    noisy[:, :2] += 0.25  # noise on "mass" and "count"
    back = codec.decode(noisy, noised=[0, 1])
    assert back["count"].dtype == np.float64
    np.testing.assert_allclose(back["count"], [1.25, 2.25, 3.25, 4.25])
    assert np.isnan(back.loc[1, "mass"])
    assert back["island"].dtype == df["island"].dtype


def test_codec_pickles_and_still_decodes():
    df = _frame()
    codec = pickle.loads(pickle.dumps(FrameCodec(df)))
    pd.testing.assert_frame_equal(codec.decode(codec.encode(df)), df)


def test_needed_only_for_frames_with_non_numeric_columns():
    assert FrameCodec.needed(_frame())
    assert not FrameCodec.needed(pd.DataFrame({"a": [1.0], "b": [2]}))
    assert not FrameCodec.needed(np.zeros((2, 2)))


def test_penguins_round_trip():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    df = palmerpenguins.load_penguins().drop(columns="species")
    codec = FrameCodec(df)
    pd.testing.assert_frame_equal(codec.decode(codec.encode(df)), df)


# ------------------------------------------- SmoothedClassifier on raw frames (issue 13.3)
from sklearn.base import BaseEstimator, ClassifierMixin, clone  # noqa: E402
from sklearn.compose import make_column_transformer  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder  # noqa: E402

from sksmooth import GaussianNoise, LaplaceNoise, SmoothedClassifier, SubspaceNoise  # noqa: E402

NUM = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def _penguins():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    df = palmerpenguins.load_penguins()
    return df.drop(columns="species"), df["species"]


def _pipeline():
    pre = make_column_transformer(
        (SimpleImputer(strategy="median"), NUM),
        (make_pipeline(SimpleImputer(strategy="most_frequent"),
                       OneHotEncoder(handle_unknown="ignore")), ["island", "sex"]),
    )
    return make_pipeline(pre, HistGradientBoostingClassifier(max_iter=20, random_state=0))


class FrameSpy(ClassifierMixin, BaseEstimator):
    """Predicts from ``bill_length_mm`` and records the frames it is given."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.seen_ = []
        return self

    def predict(self, X):
        self.seen_.append(X.copy())
        return self.classes_[(X["bill_length_mm"].fillna(0).to_numpy() > 44).astype(int)]


def test_penguins_raw_frame_goes_straight_in_and_certifies():
    X, y = _penguins()
    noise = GaussianNoise.from_data(X, 0.1, features=NUM)
    clf = SmoothedClassifier(_pipeline(), noise, n_samples=300, n_select=30,
                             random_state=0).fit(X.iloc[::2], y.iloc[::2])
    y_pred, radius = clf.certify(X.iloc[1::2])
    assert clf.abstain_label_ == "abstain" and y_pred.dtype.kind in "OU"
    y_test = y.iloc[1::2].to_numpy()
    # a small boosted model on 172 noisy rows: about 0.83 clean, 0.94 without noise
    assert np.mean(clf.predict(X.iloc[1::2]) == y_test) > 0.75
    assert np.mean(y_pred == y_test) > 0.7 and (radius > 0).mean() > 0.7
    # the same rows in another order get the same certificates
    y_rev, r_rev = clf.certify(X.iloc[1::2].iloc[::-1])
    np.testing.assert_array_equal(r_rev[::-1], radius)


def test_base_gets_the_original_columns_and_noise_in_each_columns_units():
    X, y = _penguins()
    X = X.iloc[::5]
    y = y.iloc[::5]
    sigma = [0.5, 0.2, 2.0, 100.0]
    clf = SmoothedClassifier(FrameSpy(), GaussianNoise(sigma, features=NUM), n_samples=4000,
                             n_select=10, noise_augment=0, method="monte_carlo",
                             random_state=0).fit(X, y)
    row = X.iloc[[0]]
    clf.estimator_.seen_ = []
    clf.predict(row)
    seen = pd.concat(clf.estimator_.seen_)
    assert list(seen.columns) == list(X.columns)
    for col in ["island", "sex", "year"]:
        assert seen[col].dtype == X[col].dtype
        assert (seen[col] == row[col].iloc[0]).all()  # un-noised columns pass through
    # noise in each column's own units: std of the noisy column is its sigma
    # (4,000 draws: the sample std is within 5% of sigma except w.p. < 1e-6)
    for col, s in zip(NUM, sigma):
        assert abs(seen[col].std() / s - 1) < 0.05
        assert abs(seen[col].mean() - row[col].iloc[0]) < 5 * s / np.sqrt(4000)


def test_missing_noised_value_stays_missing():
    X, y = _penguins()
    row = X[X["bill_length_mm"].isna()].iloc[[0]]
    assert row[NUM].isna().all(axis=None)  # penguin 3 has no measurement at all
    partly = X.iloc[[0]].copy()
    partly["bill_depth_mm"] = np.nan
    clf = SmoothedClassifier(FrameSpy(), GaussianNoise(0.5, features=NUM), n_samples=200,
                             n_select=10, noise_augment=0, method="monte_carlo",
                             random_state=0).fit(X.iloc[::5], y.iloc[::5])
    clf.estimator_.seen_ = []
    clf.predict(partly)
    seen = pd.concat(clf.estimator_.seen_)
    assert seen["bill_depth_mm"].isna().all() and seen["bill_length_mm"].notna().all()
    with pytest.warns(UserWarning, match="NaN in every noised feature"):  # SmoothingWarning
        clf.certify(row)


def test_frames_with_text_columns_need_noise_on_numeric_columns_only():
    X, y = _penguins()
    X, y = X.iloc[::8], y.iloc[::8]
    with pytest.raises(ValueError, match="features= naming the numeric columns"):
        SmoothedClassifier(_pipeline(), GaussianNoise(0.5)).fit(X, y)
    with pytest.raises(ValueError, match=r"features names text columns \['island'\]"):
        SmoothedClassifier(_pipeline(), GaussianNoise(0.5, features=["island", "body_mass_g"])
                           ).fit(X, y)
    with pytest.raises(ValueError, match="changes every column"):
        SmoothedClassifier(_pipeline(), SubspaceNoise(2)).fit(X, y)
    clf = SmoothedClassifier(_pipeline(), LaplaceNoise(0.5, features=NUM), n_samples=100,
                             random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="pass a DataFrame with the same columns"):
        clf.predict(X.to_numpy())
    bad = X.iloc[:3].copy()
    bad["body_mass_g"] = ["heavy", "light", "heavy"]
    with pytest.raises(ValueError, match="must hold numbers"):
        clf.predict(bad)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X.iloc[:3].rename(columns={"island": "isle"}))


def test_grid_search_over_noise_levels_on_a_raw_frame():
    from sksmooth.metrics import make_certified_scorer

    X, y = _penguins()
    grid = {"noise": [GaussianNoise.from_data(X, f, features=NUM) for f in (0.05, 0.5)]}
    base = SmoothedClassifier(_pipeline(), n_samples=200, n_select=20, random_state=0)
    search = GridSearchCV(base, grid, scoring=make_certified_scorer(at=1.0), cv=2).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and scores.max() > 0.5
    # Each noise level's first-fold score is, recomputed by hand on the raw frame, the
    # share of test rows whose certified prediction at radius 1 (sequential test) is right.
    train, test = next(StratifiedKFold(2).split(X, y))
    by_hand = []
    for noise in grid["noise"]:
        est = clone(base).set_params(noise=clone(noise)).fit(X.iloc[train], y.iloc[train])
        y_pred = est.predict_certified(X.iloc[test], radius=1.0)
        by_hand.append(np.mean(y_pred == y.iloc[test].to_numpy()))
    np.testing.assert_array_equal(search.cv_results_["split0_test_score"], by_hand)
    assert by_hand[0] != by_hand[1]  # the noise level reached each candidate
