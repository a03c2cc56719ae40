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
#: Spawn key of the stages of a sequential test: stage k draws from (SEQUENTIAL, k).
SEQUENTIAL = 3


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
    """A 128-bit key per row: the BLAKE2b hash of the row's float64 bytes, as 4 uint32 words.

    Rows equal in value get the same key: ``-0.0`` is hashed as ``0.0`` and
    every NaN as numpy's one ``np.nan`` (the bytes of other values, hence their
    keys, are unchanged). The caller's array is not modified.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._random import row_keys
    >>> bool((row_keys([[0.0, np.nan]]) == row_keys([[-0.0, -np.nan]])).all())
    True
    """
    X = np.asarray(X, dtype=np.float64)
    X = X + 0.0  # a new array; -0.0 + 0.0 is 0.0, every other value is unchanged
    X[np.isnan(X)] = np.nan
    X = np.ascontiguousarray(X)
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


class RowSeeds:
    """The ``SeedSequence`` of each row, made on demand (a lazy :func:`row_seeds`).

    Holds only the row keys, so seeding 100,000 inputs costs their keys, not
    100,000 ``SeedSequence`` objects. ``seeds[i]`` equals
    ``SeedSequence([entropy, *keys[i]], spawn_key=spawn_key)``; slices give
    ``RowSeeds`` of the sliced keys.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._random import RowSeeds, row_keys, row_seeds, ESTIMATE
    >>> keys = row_keys(np.eye(3))
    >>> lazy = RowSeeds(keys, 7, (ESTIMATE,))
    >>> len(lazy), len(lazy[1:])
    (3, 2)
    >>> bool(lazy[2].state == row_seeds(keys, 7, ESTIMATE)[2].state)
    True
    """

    def __init__(self, keys, entropy, spawn_key):
        self.keys = keys
        self.entropy = entropy
        self.spawn_key = tuple(spawn_key)

    def __len__(self):
        return self.keys.shape[0]

    def __getitem__(self, item):
        if isinstance(item, slice):
            return RowSeeds(self.keys[item], self.entropy, self.spawn_key)
        return np.random.SeedSequence(
            [self.entropy, *self.keys[item].tolist()], spawn_key=self.spawn_key
        )
