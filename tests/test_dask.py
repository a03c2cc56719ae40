"""Certification on a Dask cluster through joblib's dask backend (sklearn.utils.parallel)."""

import numpy as np
import pytest

from sksmooth import GaussianNoise, SmoothedClassifier

from ._models import HiddenLinearRule

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def test_dask_backend_gives_the_results_of_one_job_and_runs_on_the_cluster(client):
    X = np.random.default_rng(0).normal(size=(16, 3))
    clf = SmoothedClassifier(
        HiddenLinearRule(w=[1.0, -1.0, 0.5]), noise=GaussianNoise(0.5), n_samples=500,
        n_select=20, noise_augment=0, random_state=0,
    ).fit(X, (X[:, 0] > 0).astype(int))
    reference = clf.certify(X)
    seq_reference = clf.predict_certified(X, radius=0.2, return_n_draws=True)
    clf.set_params(n_jobs=2)
    with distributed.get_task_stream(client) as tasks:
        with joblib.parallel_config(backend="dask"):
            got = clf.certify(X)
            seq_got = clf.predict_certified(X, radius=0.2, return_n_draws=True)
    for a, b in zip(got + seq_got, reference + seq_reference):
        np.testing.assert_array_equal(a, b)
    # The work really ran on the cluster's workers: joblib batches show up in the
    # scheduler's task stream, on the workers of this cluster.
    assert len(tasks.data) >= 2
    workers = set(client.scheduler_info()["workers"])
    assert {task["worker"] for task in tasks.data} <= workers
