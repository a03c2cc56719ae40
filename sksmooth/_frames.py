"""Raw tabular frames: a numeric view of a DataFrame with text columns, and back.

The Monte Carlo engine adds noise to float64 rows. A pandas DataFrame with text
or categorical columns (the palmer penguins' ``island`` and ``sex``) is handed
to it as a float64 matrix in which every non-numeric column holds integer codes
into a table of that column's values (NaN where missing); the noise never
touches those columns (their draws are 0), so the codes come back exact and
:meth:`FrameCodec.decode` rebuilds a frame with the original columns, values
and dtypes for the base estimator (typically a Pipeline that imputes and
one-hot encodes).
"""

import numpy as np


def _is_numeric(dtype):
    """Whether a column of this dtype is noised as a number (bool columns are labels)."""
    import pandas as pd

    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _is_missing(values):
    import pandas as pd

    return np.asarray(pd.isna(values), dtype=bool)


class FrameCodec:
    """Encodes a DataFrame's columns as float64 (non-numeric ones as codes) and decodes back.

    Parameters
    ----------
    frame : pandas.DataFrame
        The training frame: fixes the columns, their dtypes and, for each
        non-numeric column, the table of its values (sorted, so that codes do
        not depend on row order).

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
    >>> M, tables = codec.encode(df)
    >>> M
    array([[3.5, 1. ],
           [nan, 0. ],
           [4.1, nan]])
    >>> codec.decode(M, tables)["island"].tolist()
    ['Dream', 'Biscoe', nan]
    """

    def __init__(self, frame):
        self.columns = list(frame.columns)
        self.dtypes = [frame[c].dtype for c in self.columns]
        self.numeric = np.array([_is_numeric(d) for d in self.dtypes], dtype=bool)
        self.tables = {
            j: self._table(frame.iloc[:, j]) for j in np.flatnonzero(~self.numeric).tolist()
        }

    @staticmethod
    def needed(X):
        """Whether ``X`` is a DataFrame with a non-numeric column (then the codec is needed)."""
        if not hasattr(X, "columns") or not hasattr(X, "dtypes"):
            return False
        return any(not _is_numeric(dtype) for dtype in X.dtypes)

    @staticmethod
    def _table(column):
        values = column[~_is_missing(column)].unique()
        return np.array(sorted(values, key=lambda v: (type(v).__name__, str(v))), dtype=object)

    def text_columns(self):
        """Names of the non-numeric columns."""
        return [c for c, num in zip(self.columns, self.numeric) if not num]

    def encode(self, frame):
        """Float64 matrix of ``frame`` and the value tables its codes refer to.

        Values of a non-numeric column that the training frame did not have are
        appended to that column's table for this call only (sorted, so that the
        codes do not depend on row order); the fitted codec is not changed.

        Returns
        -------
        matrix : ndarray of shape (n_rows, n_columns)
        tables : dict
            Column position -> object array of values, for :meth:`decode`.
        """
        out = np.empty((frame.shape[0], len(self.columns)), dtype=np.float64)
        tables = dict(self.tables)
        for j, column in enumerate(self.columns):
            values = frame.iloc[:, j]
            if self.numeric[j]:
                out[:, j] = values.to_numpy(dtype=np.float64, na_value=np.nan)
                continue
            table = tables[j]
            missing = _is_missing(values)
            present = values[~missing]
            lookup = {v: i for i, v in enumerate(table.tolist())}
            new = [v for v in present.unique() if v not in lookup]
            if new:
                extra = sorted(new, key=lambda v: (type(v).__name__, str(v)))
                table = np.concatenate([table, np.array(extra, dtype=object)])
                tables[j] = table
                lookup = {v: i for i, v in enumerate(table.tolist())}
            codes = np.full(values.shape[0], np.nan)
            codes[~missing] = [lookup[v] for v in present.tolist()]
            out[:, j] = codes
        return out, tables

    def decode(self, matrix, tables, noised=None):
        """The DataFrame of a matrix of (noisy) rows, in the original columns and dtypes.

        Parameters
        ----------
        matrix : ndarray of shape (n_rows, n_columns)
        tables : dict
            As returned by :meth:`encode` for these rows.
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
            decoded = np.full(values.shape[0], np.nan, dtype=object)
            decoded[~missing] = tables[j][values[~missing].astype(np.intp)]
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
