"""Per-row, reproducible noise streams (DESIGN.md section 4).

Each input row gets its own stream, keyed by ``random_state`` and a hash of the
row's bytes, so rows get independent noise and results do not depend on row
order, chunking or ``n_jobs``. Selection, estimation and training draws come
from distinct spawn keys of that key, hence independent streams.
"""

import hashlib
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

#: Spawn keys of the independent streams of one row.
SELECT, ESTIMATE, TRAIN = 0, 1, 2


def base_entropy(random_state):
    """One integer of entropy for this call, from ``random_state``.

    An int gives the same entropy on every call; ``None`` fresh entropy on every
    call; a ``RandomState`` instance is consumed (scikit-learn's convention).
    """
    if random_state is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def row_keys(X):
    """A 128-bit key per row: the BLAKE2b hash of the row's float64 bytes, as 4 uint32 words."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    keys = np.empty((X.shape[0], 4), dtype=np.uint32)
    for i, row in enumerate(X):
        keys[i] = np.frombuffer(hashlib.blake2b(row.tobytes(), digest_size=16).digest(), np.uint32)
    return keys


def row_seeds(keys, entropy, purpose):
    """A ``SeedSequence`` per row for one purpose (``SELECT``, ``ESTIMATE``, ...)."""
    return [
        np.random.SeedSequence([entropy, *key.tolist()], spawn_key=(purpose,)) for key in keys
    ]


def generator(seed):
    """A numpy ``Generator`` on one row's ``SeedSequence``."""
    return np.random.Generator(np.random.PCG64(seed))
