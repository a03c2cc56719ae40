"""Raw tabular frames: a numeric view of a DataFrame with text columns, and back.

The Monte Carlo engine adds noise to float64 rows. A pandas DataFrame with text
or categorical columns (the palmer penguins' ``island`` and ``sex``) is handed
to it as a float64 matrix in which every non-numeric column holds a code for
each value (NaN where missing); the noise never touches those columns (their
draws are 0), so the codes come back exact and :meth:`FrameCodec.decode`
rebuilds a frame with the original columns, values and dtypes for the base
estimator (typically a Pipeline that imputes and one-hot encodes).

A value's code is a negative integer derived from a 48-bit hash of
the value (exact in float64), not from its position in a table: so the code of
a value never seen in fit is the same in every call, and so are the noise
streams of its rows (which are keyed by the encoded row, DESIGN.md §4).
"""

import hashlib
import threading

import numpy as np

#: Codes are -(1 + h) with h a 48-bit hash: exact in float64, never a valid numeric code.
_CODE_BITS = 48


def _is_numeric(dtype):
    """Whether a column of this dtype is noised as a number (bool columns are labels)."""
    import pandas as pd

    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _is_missing(values):
    import pandas as pd

    return np.asarray(pd.isna(values), dtype=bool)


def _code(value):
    """The float64 code of one non-missing value: -(1 + 48-bit BLAKE2b hash of its type and repr)."""
    digest = hashlib.blake2b(f"{type(value).__name__}:{value!r}".encode(), digest_size=8).digest()
    return -float(1 + (int.from_bytes(digest, "little") >> (64 - _CODE_BITS)))


class FrameCodec:
    """Encodes a DataFrame's columns as float64 (non-numeric ones as codes) and decodes back.

    Parameters
    ----------
    frame : pandas.DataFrame
        The training frame: fixes the columns and their dtypes.

    Attributes
    ----------
    columns : list
        The column names.
    numeric : ndarray of bool
        Which columns are numeric (noise may apply to them).

    Examples
    --------
    >>> import pandas as pd
    >>> from sksmooth._frames import FrameCodec
    >>> df = pd.DataFrame({"mass": [3.5, None, 4.1], "island": ["Dream", "Biscoe", None]})
    >>> codec = FrameCodec(df)
    >>> M = codec.encode(df)
    >>> M[:, 0], bool(M[0, 1] < 0), bool(M[0, 1] != M[1, 1]), bool(M[2, 1] != M[2, 1])
    (array([3.5, nan, 4.1]), True, True, True)
    >>> codec.decode(M)["island"].tolist()
    ['Dream', 'Biscoe', nan]
    """

    def __init__(self, frame):
        self.columns = list(frame.columns)
        self.dtypes = [frame[c].dtype for c in self.columns]
        self.numeric = np.array([_is_numeric(d) for d in self.dtypes], dtype=bool)
        self._values = {j: {} for j in np.flatnonzero(~self.numeric).tolist()}
        self._lock = threading.Lock()
        self.encode(frame)

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @staticmethod
    def needed(X):
        """Whether ``X`` is a DataFrame with a non-numeric column (then the codec is needed)."""
        if not hasattr(X, "columns") or not hasattr(X, "dtypes"):
            return False
        return any(not _is_numeric(dtype) for dtype in X.dtypes)

    def text_columns(self):
        """Names of the non-numeric columns."""
        return [c for c, num in zip(self.columns, self.numeric) if not num]

    def encode(self, frame):
        """Float64 matrix of ``frame``: numeric columns as numbers, the others as codes.

        The values met are remembered for :meth:`decode` (a value's code does
        not depend on when it is met, so this only fills a lookup table).

        Raises
        ------
        ValueError
            If two different values of a column share a code (a 48-bit hash
            collision: never silently decoded to the wrong value).
        """
        out = np.empty((frame.shape[0], len(self.columns)), dtype=np.float64)
        for j in range(len(self.columns)):
            values = frame.iloc[:, j]
            if self.numeric[j]:
                out[:, j] = values.to_numpy(dtype=np.float64, na_value=np.nan)
                continue
            missing = _is_missing(values)
            codes = np.full(values.shape[0], np.nan)
            known = self._values[j]
            present = values[~missing].tolist()
            uniques = {}
            for value in present:
                if value not in uniques:
                    uniques[value] = _code(value)
            with self._lock:
                for value, code in uniques.items():
                    seen = known.setdefault(code, value)
                    if seen != value:
                        raise ValueError(
                            f"Column {self.columns[j]!r}: the values {seen!r} and {value!r} "
                            "share a code; rename one of them."
                        )
            codes[~missing] = [uniques[value] for value in present]
            out[:, j] = codes
        return out

    def decode(self, matrix, noised=None):
        """The DataFrame of a matrix of (noisy) rows, in the original columns and dtypes.

        Parameters
        ----------
        matrix : ndarray of shape (n_rows, n_columns)
            Rows :meth:`encode` made, with noise added to numeric columns only.
        noised : array-like of int, default=None
            Columns that carry noise: they stay float64 (an integer column with
            noise added is no longer integer). Other numeric columns get their
            original dtype back.
        """
        import pandas as pd

        noised = set() if noised is None else set(np.asarray(noised).tolist())
        data = {}
        for j, column in enumerate(self.columns):
            values = matrix[:, j]
            dtype = self.dtypes[j]
            if self.numeric[j]:
                data[column] = values if j in noised else _restore(values, dtype)
                continue
            missing = np.isnan(values)
            lookup = self._values[j]
            decoded = np.full(values.shape[0], np.nan, dtype=object)
            decoded[~missing] = [lookup[code] for code in values[~missing].tolist()]
            data[column] = pd.array(decoded, dtype=dtype) if _keeps(dtype) else decoded
        return pd.DataFrame(data, columns=self.columns)


def _restore(values, dtype):
    """Un-noised numeric values in their original dtype (NaN stays NaN where it cannot)."""
    import pandas as pd

    if isinstance(dtype, np.dtype):
        if dtype.kind in "iu" and np.isnan(values).any():
            return values
        return values.astype(dtype)
    return pd.array(values, dtype=dtype)


def _keeps(dtype):
    """Whether values can be put back into ``dtype`` (string, category, bool); object stays."""
    return not (isinstance(dtype, np.dtype) and dtype.kind == "O")


# ------------------------------------------------- the estimators' checks
def validate_frame(estimator, codec, X, *, reset):
    """Float64 codes of a frame for an estimator fitted (or being fitted) on text columns.

    Checks the column names and count as ``validate_data`` does (setting
    ``feature_names_in_`` and ``n_features_in_`` when ``reset``), that numeric
    columns hold numbers and no infinity; missing values are allowed (they stay
    missing under the noise, and the base estimator, e.g. a Pipeline with an
    imputer, handles them).
    """
    from sklearn.utils.validation import validate_data

    if not (hasattr(X, "columns") and hasattr(X, "iloc")):
        raise ValueError(
            f"{type(estimator).__name__} was fitted on a DataFrame with text columns "
            f"{codec.text_columns()!r}; pass a DataFrame with the same columns, not "
            f"{type(X).__name__}."
        )
    validate_data(estimator, X, reset=reset, skip_check_array=True)
    try:
        M = codec.encode(X)
    except (TypeError, ValueError) as exc:
        if "share a code" in str(exc):
            raise
        numeric = [c for c, n in zip(codec.columns, codec.numeric) if n]
        raise ValueError(
            f"Could not read X: {exc}. Numeric columns {numeric!r} must hold numbers (or "
            "missing values)."
        ) from exc
    bad = np.isinf(M[:, codec.numeric]).any(axis=0)
    if bad.any():
        names = np.asarray(codec.columns, dtype=object)[codec.numeric][bad].tolist()
        raise ValueError(f"Input X contains infinity in columns {names!r}; replace it.")
    return M


def check_target(M, y):
    """``y`` as a 1-D array of the length of ``M``'s rows."""
    from sklearn.utils.validation import check_consistent_length, column_or_1d

    y = column_or_1d(y, warn=True)
    check_consistent_length(M, y)
    return y


def check_noise(codec, noise, estimator):
    """Raise a clear error unless the noise touches numeric columns only (and the base takes frames)."""
    from ._torch import skorch_net
    from .noise import AdditiveNoise

    text = codec.text_columns()
    numeric = [c for c, n in zip(codec.columns, codec.numeric) if n]
    if skorch_net(estimator) is not None:
        raise ValueError(
            f"X has text columns {text!r}, which a skorch net cannot take; encode them first."
        )
    if not isinstance(noise, AdditiveNoise):
        raise ValueError(
            f"X has text columns {text!r}, and {type(noise).__name__} changes every column. "
            "Use an additive noise (GaussianNoise, LaplaceNoise, UniformNoise) with "
            f"features= naming numeric columns, e.g. features={numeric!r}."
        )
    if noise.features is None:
        raise ValueError(
            f"X has text columns {text!r}, which noise cannot be added to: pass "
            f"features= naming the numeric columns to noise, e.g. "
            f"{type(noise).__name__}(..., features={numeric!r})."
        )
    idx = noise.feature_indices(len(codec.columns))
    wrong = [codec.columns[i] for i in idx.tolist() if not codec.numeric[i]]
    if wrong:
        raise ValueError(
            f"features names text columns {wrong!r}; noise applies to numeric columns only "
            f"({numeric!r})."
        )
