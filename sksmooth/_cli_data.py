"""The data side of ``sksmooth certify``: CSV files as people have them, and their encoding.

:func:`read_csv` reads a CSV the way it was written (a UTF-8 BOM, ``,`` ``;``
tab or ``|`` separators, latin-1 bytes with ``encoding=``, the unnamed index
column pandas writes), :func:`make_dataset` splits it into features, target
and row identifiers, and :class:`Encoder` turns the features into the numeric
matrix the smoothed classifier sees: numeric columns imputed (median) and
standardized, text columns imputed (a ``(missing)`` category) and one-hot
encoded. Noise goes on the numeric columns only.
"""

import csv
import io
import math
import os
import re
from dataclasses import dataclass, field

import numpy as np


class UserError(Exception):
    """A problem with the user's input: reported in one line, exit status 2."""


#: Cell values read as missing (compared stripped and lower-cased), as pandas reads them.
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a", "<na>", "?"})

#: Separators tried when ``sep`` is not given, in order of preference on ties.
SEPARATORS = (",", ";", "\t", "|")

_UNNAMED = re.compile(r"^(Unnamed: \d+)?$")


@dataclass
class RawTable:
    """The cells of a CSV file, as strings."""

    source: str
    encoding: str
    separator: str
    header: list
    rows: list  # lists of stripped strings, one per data record
    lines: list  # the file line each record ends on (header = line 1)


def _decode(path, encoding):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise UserError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    try:
        text = data.decode(encoding)
    except LookupError:
        raise UserError(f"--encoding {encoding!r} is not an encoding Python knows; try "
                        "utf-8, latin-1 or cp1252") from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        name = "utf-8" if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf8-sig") \
            else encoding
        raise UserError(
            f"{path!r} is not valid {name}: byte 0x{byte:02x} on line {line} cannot be decoded; "
            "pass --encoding with the file's encoding (latin-1 or cp1252 are common)"
        ) from None
    return text.lstrip("\ufeff")  # a BOM left by an explicit utf-8 / utf-16


def _records(text, separator, limit=None):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    out = []
    try:
        for record in reader:
            if record and any(cell.strip() for cell in record):
                out.append((record, reader.line_num))
            if limit is not None and len(out) >= limit:
                break
    except csv.Error as exc:
        raise UserError(f"cannot parse the CSV near line {reader.line_num}: {exc}") from None
    return out


def _sniff(text, path):
    """The separator that splits the first lines into the same number (> 1) of fields."""
    best = None
    for sep in SEPARATORS:
        try:
            head = _records(text, sep, limit=50)
        except UserError:
            continue
        if not head:
            continue
        widths = {len(record) for record, _ in head}
        if len(widths) == 1 and len(head[0][0]) > 1:
            if best is None or len(head[0][0]) > best[1]:
                best = (sep, len(head[0][0]))
    if best is None:
        raise UserError(
            f"cannot tell the separator of {path!r} (tried , ; tab |: none splits every line "
            "into the same number of fields); pass --sep"
        )
    return best[0]


def read_csv(path, encoding="utf-8-sig", sep=None):
    """Read a CSV file with a header row into strings.

    Parameters
    ----------
    path : str
    encoding : str, default="utf-8-sig"
        "utf-8-sig" reads UTF-8 with or without a BOM.
    sep : str, default=None
        The field separator; None sniffs it among ``,`` ``;`` tab and ``|``.

    Returns
    -------
    table : RawTable
    """
    if os.path.isdir(path):
        raise UserError(f"cannot read {path!r}: it is a folder, not a CSV file")
    if not os.path.isfile(path):
        raise UserError(f"cannot read {path!r}: no such file")
    text = _decode(path, encoding)
    if sep is None:
        sep = _sniff(text, path)
    records = _records(text, sep)
    if len(records) < 2:
        raise UserError(f"{path!r} needs a header row and at least one data row")
    header = [name.strip() for name in records[0][0]]
    rows, lines = [], []
    for record, line in records[1:]:
        if len(record) != len(header):
            raise UserError(f"line {line} of {path!r} has {len(record)} fields, expected "
                            f"{len(header)} (the header's); separator {sep!r}")
        rows.append([cell.strip() for cell in record])
        lines.append(line)
    return RawTable(path, encoding, sep, header, rows, lines)


@dataclass
class Dataset:
    """Features, target and row identifiers of the inputs to certify."""

    source: str
    names: list  # feature names
    kinds: list  # "numeric" or "text", one per feature
    columns: list  # float arrays (NaN missing) or object arrays (None missing)
    y: np.ndarray
    ids: np.ndarray  # one identifier per row, as strings
    id_source: str
    rows_read: int
    dropped: dict = field(default_factory=dict)  # reason -> number of rows
    notes: list = field(default_factory=list)
    ignored: list = field(default_factory=list)  # columns not used as features, with why
    task: str = "classification"  # or "regression": a continuous target

    @property
    def n_rows(self):
        return self.y.shape[0]


def _is_missing(cell):
    return cell.strip().lower() in MISSING


def _to_float(cell, decimal):
    if decimal != ".":
        if "." in cell:  # neither a thousands mark nor a second decimal mark is guessed at
            return None
        cell = cell.replace(decimal, ".")
    try:
        return float(cell)
    except ValueError:
        return None


def _parse_column(name, cells, lines, decimal):
    """("numeric", float array) or ("text", object array); NaN / None are missing."""
    present = [(i, c) for i, c in enumerate(cells) if not _is_missing(c)]
    values = np.full(len(cells), np.nan)
    bad = []
    for i, cell in present:
        v = _to_float(cell, decimal)
        if v is None:
            bad.append(i)
        else:
            values[i] = v
    if present and not bad:
        infinite = np.flatnonzero(np.isinf(values))
        if infinite.size:
            i = infinite[0]
            raise UserError(
                f"column {name!r} holds an infinite value ({cells[i]!r} on line {lines[i]}); "
                "replace it with a number, leave the cell empty to have it imputed, or "
                f"--drop {name}"
            )
        return "numeric", values
    if present and len(bad) <= 0.1 * len(present):
        i = bad[0]
        hint = ""
        if decimal == "." and re.fullmatch(r"[-+]?\d+,\d+", cells[i]):
            hint = " (a decimal comma? pass --decimal ,)"
        raise UserError(
            f"column {name!r} is numeric except for {len(bad)} value(s) such as {cells[i]!r} on "
            f"line {lines[i]}{hint}; fix them, leave them empty to have them imputed, or "
            f"--drop {name}"
        )
    if decimal == "." and bad and all(_to_float(cells[i], ",") is not None for i in bad):
        i = bad[0]
        raise UserError(
            f"column {name!r} holds numbers with a decimal comma (such as {cells[i]!r} on line "
            f"{lines[i]}); pass --decimal , to read them as numbers"
        )
    text = np.empty(len(cells), dtype=object)
    for i, cell in enumerate(cells):
        text[i] = None if _is_missing(cell) else cell
    return "text", text


def _looks_continuous(numbers):
    """The rule that tells a continuous target from class labels: many distinct values."""
    distinct = np.unique(numbers).size
    integral = bool(np.all(numbers == np.round(numbers)))
    return distinct > 20 and (not integral or distinct > 0.5 * numbers.size)


def _target(name, cells, lines, task, decimal):
    """``(y, task)``: class labels or continuous values, and the task they make.

    ``task="auto"``: a numeric target that looks continuous (more than 20
    distinct values, non-integer or on more than half of the rows) is a
    regression target; anything else holds class labels (ints where every
    label is an integer, else the strings as written). ``"classification"``
    takes the labels as written; ``"regression"`` needs finite numbers.
    """
    values = [_to_float(c, decimal) for c in cells]
    numeric = all(v is not None and math.isfinite(v) for v in values)
    if task == "regression":
        if not numeric:
            i = next(i for i, v in enumerate(values) if v is None or not math.isfinite(v))
            raise UserError(
                f"--task regression needs a numeric target, but {name!r} holds {cells[i]!r} on "
                f"line {lines[i]}; fix or empty that cell (rows with an empty target are "
                "dropped), or use --task classification"
            )
        return np.array(values, dtype=np.float64), "regression"
    if numeric:
        numbers = np.array(values)
        if task == "auto" and _looks_continuous(numbers):
            return numbers, "regression"
        if np.all(numbers == np.round(numbers)):
            return numbers.astype(np.int64), "classification"
    return np.array(cells, dtype=object).astype(str), "classification"


def _row_numbers_column(values):
    """True for a numeric column holding 0, 1, 2, ... or 1, 2, 3, ... (a row number)."""
    if values.size < 3 or np.isnan(values).any():
        return False
    steps = np.diff(values)
    return bool(np.all(steps == 1) and values[0] in (0, 1))


def make_dataset(raw, target, id_column=None, drop=(), decimal=".", task="auto"):
    """Split a :class:`RawTable` into features, target and identifiers.

    Leading columns with an empty header (or pandas' "Unnamed: 0") are the index
    pandas writes: the first is the row identifier, none is a feature. Rows
    whose target is missing are dropped and counted. ``task`` ("auto",
    "classification" or "regression") decides how the target is read (see
    :func:`_target`); the dataset's ``task`` says what it became.
    """
    header, path = raw.header, raw.source
    names = list(header)
    n_index = 0
    while n_index < len(names) and _UNNAMED.match(names[n_index]):
        n_index += 1
    if n_index == len(names):
        raise UserError(f"{path!r} has no named column; its header row is {header}")
    for j, name in enumerate(names):
        if name == "":
            names[j] = f"Unnamed: {j}"

    def position(option, name):
        where = [j for j, n in enumerate(names) if n == name]
        if not where:
            raise UserError(f"{option} {name!r} is not a column of {path!r}; its columns are "
                            f"{[n for n in names[n_index:]]}")
        if len(where) > 1:
            raise UserError(f"{option} {name!r} names {len(where)} columns of {path!r} (columns "
                            f"{', '.join(str(j + 1) for j in where)}); rename them so that "
                            "each name is unique")
        return where[0]

    t = position("--target", target)
    ignored = [(names[j], "index column") for j in range(n_index)]
    used = {t, *range(n_index)}
    if id_column is not None:
        i = position("--id-column", id_column)
        if i == t:
            raise UserError(f"--id-column {id_column!r} is also the --target")
        ids_at, id_source = i, f"column {id_column!r} (--id-column)"
        used.add(i)
        ignored.append((id_column, "--id-column"))
    elif n_index:
        ids_at, id_source = 0, f"index column {header[0]!r} (first column)" if header[0] \
            else "index column (first column, no header)"
    else:
        ids_at, id_source = None, "data row number (1 = the first row after the header)"
    for name in drop:
        j = position("--drop", name)
        if j == t:
            raise UserError(f"--drop {name!r} is the --target")
        if j not in used:
            ignored.append((name, "--drop"))
        used.add(j)

    keep_rows = [r for r, row in enumerate(raw.rows) if not _is_missing(row[t])]
    dropped = {}
    if len(keep_rows) < len(raw.rows):
        dropped["missing target"] = len(raw.rows) - len(keep_rows)
    if not keep_rows:
        raise UserError(f"target {target!r} is missing on every row of {path!r}")
    rows = [raw.rows[r] for r in keep_rows]
    lines = [raw.lines[r] for r in keep_rows]
    y, task = _target(target, [row[t] for row in rows], lines, task, decimal)
    if ids_at is None:
        ids = np.array([str(r + 1) for r in keep_rows], dtype=object)
    else:
        ids = np.array([row[ids_at] for row in rows], dtype=object)
        if len(set(ids.tolist())) < len(ids):
            dup = next(v for v in ids.tolist() if ids.tolist().count(v) > 1)
            raise UserError(f"the row identifiers in {id_source} are not unique ({dup!r} "
                            "appears twice); pass --id-column with a unique column")

    seen = {}
    feature_names, kinds, columns, notes = [], [], [], []
    for j, name in enumerate(names):
        if j in used:
            continue
        count = seen.get(name, 0)
        seen[name] = count + 1
        label = name if count == 0 else f"{name}.{count}"  # pandas' names for repeated headers
        kind, values = _parse_column(label, [row[j] for row in rows], lines, decimal)
        if kind == "numeric" and _row_numbers_column(values):
            notes.append(f"column {label!r} holds 0, 1, 2, ... (a row number?) and is used as a "
                         f"feature; pass --id-column {label} or --drop {label} if it is one")
        if kind == "text":
            distinct = len({v for v in values.tolist() if v is not None})
            if distinct > 20 and distinct >= 0.9 * len(values):
                notes.append(f"text column {label!r} has a different value on almost every row "
                             f"(an identifier?) and is one-hot encoded; pass --id-column "
                             f"{label} or --drop {label} if it is one")
        feature_names.append(label)
        kinds.append(kind)
        columns.append(values)
    if not feature_names:
        raise UserError(f"{path!r} has no feature columns besides --target {target!r}")
    return Dataset(path, feature_names, kinds, columns, y, ids, id_source, len(raw.rows),
                   dropped, notes, ignored, task)


class Encoder:
    """Numeric matrix from a :class:`Dataset`: numeric columns first, then one-hot text.

    Fitted on the training rows: numeric columns are imputed with their median
    and (``standardize=True``) scaled to unit standard deviation; text columns
    get a ``(missing)`` category and are one-hot encoded (categories unseen in
    training encode as all zeros).
    """

    MISSING_CATEGORY = "(missing)"

    def __init__(self, standardize=True):
        self.standardize = standardize

    def fit(self, data, rows):
        from sklearn.pipeline import make_pipeline
        from sklearn.impute import SimpleImputer
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        self.numeric_ = [j for j, k in enumerate(data.kinds) if k == "numeric"]
        self.text_ = [j for j, k in enumerate(data.kinds) if k == "text"]
        self.names_ = list(data.names)
        self.num_pipe_ = self.text_pipe_ = None
        if self.numeric_:
            steps = [SimpleImputer(strategy="median", keep_empty_features=True)]
            if self.standardize:
                steps.append(StandardScaler())
            self.num_pipe_ = make_pipeline(*steps).fit(self._numeric(data, rows))
        if self.text_:
            self.text_pipe_ = make_pipeline(
                SimpleImputer(strategy="constant", fill_value=self.MISSING_CATEGORY,
                              missing_values=None),
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            ).fit(self._text(data, rows))
        return self

    def _numeric(self, data, rows):
        return np.column_stack([data.columns[j][rows] for j in self.numeric_])

    def _text(self, data, rows):
        return np.column_stack([data.columns[j][rows] for j in self.text_]).astype(object)

    def transform(self, data, rows):
        blocks = []
        if self.num_pipe_ is not None:
            blocks.append(self.num_pipe_.transform(self._numeric(data, rows)))
        if self.text_pipe_ is not None:
            blocks.append(self.text_pipe_.transform(self._text(data, rows)))
        return np.hstack(blocks).astype(np.float64)

    @property
    def n_numeric_(self):
        return len(self.numeric_)

    def noised_features(self):
        """Indices of the numeric columns in the encoded matrix, or None when all are."""
        return None if not self.text_ else list(range(len(self.numeric_)))

    def describe(self, data, rows, sigmas, noised):
        """One dict per input column: kind, imputation, and (numeric) the noise in its units."""
        out = []
        if self.num_pipe_ is not None:
            imputer = self.num_pipe_[0]
            scale = self.num_pipe_[-1].scale_ if self.standardize else np.ones(len(self.numeric_))
            mean = self.num_pipe_[-1].mean_ if self.standardize else None
            X = imputer.transform(self._numeric(data, rows))
            for k, j in enumerate(self.numeric_):
                entry = {
                    "name": self.names_[j], "kind": "numeric", "noised": noised,
                    "missing_in_file": int(np.isnan(data.columns[j]).sum()),
                    "imputed_with": float(imputer.statistics_[k]),
                    "standard_deviation": float(X[:, k].std()),  # training rows, imputed
                    "radius_unit_in_column_units": float(scale[k]),
                }
                if mean is not None:
                    entry["mean"] = float(mean[k])
                if noised:
                    entry["noise_scale_in_column_units"] = {
                        f"{s:g}": float(s * scale[k]) for s in sigmas}
                out.append(entry)
        if self.text_pipe_ is not None:
            encoder = self.text_pipe_[-1]
            for k, j in enumerate(self.text_):
                out.append({
                    "name": self.names_[j], "kind": "text", "noised": False,
                    "missing_in_file": int(sum(v is None for v in data.columns[j])),
                    "imputed_with": self.MISSING_CATEGORY,
                    "one_hot_categories": [str(c) for c in encoder.categories_[k]],
                })
        return out

    def n_imputed(self, data):
        """Missing cells per feature column over every row used (train and test)."""
        counts = {}
        for j, (name, kind) in enumerate(zip(data.names, data.kinds)):
            col = data.columns[j]
            n = int(np.isnan(col).sum()) if kind == "numeric" else int(sum(v is None for v in col))
            if n:
                counts[name] = n
        return counts


def breast_cancer():
    """scikit-learn's breast-cancer data as a :class:`Dataset` (ids: 1-based row numbers)."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    n, d = bunch.data.shape
    return Dataset(
        "breast-cancer (scikit-learn)", list(bunch.feature_names),
        ["numeric"] * d, [bunch.data[:, j].copy() for j in range(d)],
        bunch.target, np.array([str(i + 1) for i in range(n)], dtype=object),
        "row number in sklearn.datasets.load_breast_cancer (1 = the first)", n,
    )


def uses_closed_form(estimator, method):
    """Whether the fitted smoothed estimator certifies in closed form under ``--method``.

    Read from its public ``certification_``; ``--method exact`` where none
    applies is a one-line error saying why.
    """
    estimator.set_params(method=method)
    try:
        path = estimator.certification_
    except ValueError as exc:
        raise UserError(f"--method exact: {str(exc).splitlines()[0]}") from None
    if method == "exact" and path == "monte_carlo":
        raise UserError("--method exact: no closed form applies here; use --method auto")
    return path != "monte_carlo"
