"""All file reading and writing: FASTA, tables (BIOM/TSV), sample sheets, YAML.

Science modules never touch files; they take and return pandas, numpy and
scikit-bio objects. Functions here do the conversion at the boundary.
"""

from __future__ import annotations

import glob
import gzip
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas and yaml are imported where used: per-sample jobs stay light
    import numpy as np
    import pandas as pd


def open_text(path: str | os.PathLike, mode: str = "rt", *, gz: bool | None = None):
    """Open a plain or gzip-compressed text file.

    ``gz`` defaults to whether the name ends in ``.gz``. Written gzip files have
    mtime 0, so the same content gives the same bytes.
    """
    path = Path(path)
    if gz is None:
        gz = path.suffix == ".gz"
    if gz:
        if "w" in mode:
            # mtime=0 keeps gzip output byte-identical between runs
            raw = open(path, mode.replace("t", "") + "b")  # noqa: SIM115
            gz = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="")
            return _GzipTextWriter(gz, raw)
        return gzip.open(path, mode)
    return open(path, mode)  # noqa: SIM115


class _GzipTextWriter:
    """Text wrapper around a GzipFile that also closes the underlying file."""

    def __init__(self, gz: gzip.GzipFile, raw):
        import io as _io

        self._gz = gz
        self._raw = raw
        self._text = _io.TextIOWrapper(gz, encoding="ascii", newline="\n")

    def write(self, s: str) -> int:
        return self._text.write(s)

    def close(self) -> None:
        self._text.close()
        self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place on success.

    A failure leaves no file at ``path``, so nothing half written looks complete.
    A write error raised through a file handle (which names no file) is raised
    again naming ``path``, so the one-line error can say which folder is full.
    A temporary file of an earlier writer of ``path`` that was killed before it
    could clean up (kill -9, a lost node) is removed first: one writer per path,
    as Snakemake runs one job per output.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a process killed mid-write (kill -9, a node lost) left its temporary file;
    # mkstemp's random part is 8 characters, so another file's temporaries
    # (".<name>.x.<8>.tmp") never match
    for stale in path.parent.glob(f".{glob.escape(path.name)}.{'?' * 8}.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as err:
        if err.filename is None:  # a write through a handle names no file
            raise OSError(err.errno, err.strerror, str(path)) from err
        raise
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def line_bounds(data: bytes):
    """Return ``(data, starts, ends)``: where each line of ``data`` starts and ends.

    ``ends`` are the positions of the newlines (numpy, no loop over lines); a
    missing last newline is added to the returned ``data``. For the record
    files read whole in numpy (a sample's FASTQ, its uniques).
    """
    import numpy as np

    if data and not data.endswith(b"\n"):
        data += b"\n"
    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    starts = np.empty_like(ends)
    if len(ends):
        starts[0], starts[1:] = 0, ends[:-1] + 1
    return data, starts, ends


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path``; a write error names the file.

    ``data``: bytes, or any bytes-like object (a numpy byte array, written
    without a copy).

    ``Path.write_bytes`` raises a full disk's error through its handle, which
    names no file; the one-line error then could not say which folder is full.
    """
    try:
        Path(path).write_bytes(data)
    except OSError as err:
        if err.filename is None:
            raise OSError(err.errno, err.strerror, str(path)) from err
        raise


def read_fasta(path: str | os.PathLike) -> dict[str, str]:
    """Read a (small) FASTA file into ``{label: sequence}``, keeping file order.

    Used for ASV and reference sequences, never for reads.
    """
    records: dict[str, str] = {}
    label = None
    chunks: list[str] = []
    with open_text(path) as handle:
        for line in handle:
            line = line.rstrip("\r\n")
            if line.startswith(">"):
                if label is not None:
                    records[label] = "".join(chunks)
                label = line[1:].strip()
                if label in records:
                    raise ValueError(f"{path}: duplicate FASTA label {label!r}")
                chunks = []
            elif line:
                if label is None:
                    raise ValueError(
                        f"{path}: not FASTA (sequence before any '>' line)"
                    )
                chunks.append(line.strip())
    if label is not None:
        records[label] = "".join(chunks)
    return records


def write_fasta(records: Iterable[tuple[str, str]], path: str | os.PathLike) -> None:
    """Write ``(label, sequence)`` pairs as unwrapped FASTA, atomically."""
    gz = Path(path).suffix == ".gz"
    with atomic_path(path) as tmp, open_text(tmp, "wt", gz=gz) as out:
        for label, seq in records:
            out.write(f">{label}\n{seq}\n")


def read_yaml(path: str | os.PathLike) -> dict:
    """Read a YAML file with the safe loader."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C one if built
    with open(path) as handle:
        data = yaml.load(handle, Loader=loader)
    return {} if data is None else data


def write_tsv(df: pd.DataFrame, path: str | os.PathLike, *, index: bool = True) -> None:
    """Write a table as TSV with fixed float formatting, atomically."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=index, float_format="%.10g", lineterminator="\n")


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a feature table (features x samples).

    Read a feature table (features x samples) from BIOM (HDF5 or JSON), TSV,
    or a QIIME 2 ``FeatureTable[Frequency]`` artifact (``.qza``).

    TSV tables may start with the biom-format comment line
    ``# Constructed from biom file``; the first column holds feature IDs.

    Raises
    ------
    ValueError
        A sample or feature ID appears twice, or a count is not a whole,
        non-negative number (relative abundances are not reads); the line
        names the file, both places or the cell, and the fix.
    """
    import numpy as np
    import pandas as pd

    path = Path(path)
    if path.suffix == ".qza":
        return _read_qza_table(path)
    if path.suffix == ".biom":
        return _load_biom(path).to_dataframe(dense=True).astype("int64")
    with open(path, encoding="utf-8", errors="replace") as handle:
        first = handle.readline()
        skip = 1 if first.startswith("# Constructed") else 0
        header = handle.readline() if skip else first
    columns = header.rstrip("\r\n").split("\t")
    _refuse_duplicates(path, columns[1:], "sample column", "columns", offset=2)
    df = pd.read_csv(path, sep="\t", skiprows=skip, index_col=0, dtype={0: str})
    df.index = df.index.astype(str)
    _refuse_duplicates(path, list(df.index), "feature ID", "lines", offset=skip + 2)
    # text columns only go through to_numeric; the check itself is one array
    text = df.select_dtypes(exclude="number").columns
    values = df.assign(**{c: pd.to_numeric(df[c], errors="coerce") for c in text})
    counts = values.to_numpy(float)
    with np.errstate(invalid="ignore"):
        # relative abundances or averaged counts are not reads
        bad = np.isnan(counts) | (counts < 0) | (counts != np.floor(counts))
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{path}: line {row + skip + 2} (feature {df.index[row]}), column "
            f"{df.columns[col]}: {_cell(df.iat[row, col])} is not a count; give a "
            "whole number of reads (0 for none)"
        )
    df.index.name = "#OTU ID"
    return df


def _cell(value) -> str:
    """Show a table cell as the user typed it (text quoted, numbers plain)."""
    import pandas as pd

    if isinstance(value, str):
        return repr(value)
    if pd.isna(value):
        return "an empty cell"
    return format(value.item() if hasattr(value, "item") else value, "g")


def _refuse_duplicates(path, names: list, what: str, unit: str, offset: int) -> None:
    """Stop on the first name that appears twice, naming both places."""
    seen: dict = {}
    for k, name in enumerate(names):
        if name in seen:
            raise ValueError(
                f"{path}: {what} {name!r} appears twice ({unit} {seen[name] + offset} "
                f"and {k + offset}); keep one or give each its own ID"
            )
        seen[name] = k


def _load_biom(path: Path):
    """Load a BIOM table; IDs that repeat stop with one line naming them."""
    import biom
    from biom.exception import TableException

    try:
        return biom.load_table(str(path))
    except TableException as err:
        if "uplicate" not in str(err):
            raise ValueError(f"{path}: not a readable BIOM table ({err})") from None
        for axis, what in (("sample", "sample ID"), ("observation", "feature ID")):
            ids = _biom_ids(path, axis)
            _refuse_duplicates(path, ids, what, f"{what}s", offset=1)
        raise ValueError(f"{path}: {err}; make every ID unique") from None


def _hdf5_ids(path: Path, axis: str) -> list[str] | None:
    """Return the sample or observation IDs of an HDF5 BIOM (None if not HDF5)."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            return [
                x.decode() if isinstance(x, bytes) else str(x)
                for x in handle[f"{axis}/ids"][:]
            ]
    except OSError:
        return None


def _biom_ids(path: Path, axis: str) -> list[str]:
    """Return the sample or observation IDs of a BIOM file (HDF5 or JSON)."""
    import json

    ids = _hdf5_ids(path, axis)
    if ids is not None:
        return ids
    with open(path) as handle:
        doc = json.load(handle)
    key = "columns" if axis == "sample" else "rows"
    return [entry["id"] for entry in doc[key]]


def read_table_subset(path: str | os.PathLike, samples: list[str]) -> pd.DataFrame:
    """Read only ``samples``' columns of a feature table.

    Only ``samples``' columns of a feature table (features absent from them
    dropped): a BIOM is filtered while sparse, so a study-wide export (tens of
    thousands of samples) never becomes dense. Missing samples are left out.
    """
    path = Path(path)
    if path.suffix == ".biom":
        table = _load_biom(path)
        keep = [s for s in samples if table.exists(s, axis="sample")]
        table = table.filter(keep, axis="sample", inplace=False)
        table.remove_empty(axis="observation", inplace=True)
        return table.to_dataframe(dense=True).astype("int64")
    table = read_table(path)
    return table[[s for s in samples if s in table.columns]]


def table_sample_ids(path: str | os.PathLike) -> list[str] | None:
    """Read a feature table's sample IDs without its counts.

    A feature table's sample IDs without reading its counts (HDF5 BIOM, TSV);
    None where that is not cheap (JSON BIOM, .qza).
    """
    path = Path(path)
    if path.suffix == ".biom":
        return _hdf5_ids(path, "sample")
    if path.suffix == ".qza":
        return None
    with open(path) as handle:
        line = handle.readline()
        if line.startswith("# Constructed"):
            line = handle.readline()
    return [c.strip() for c in line.rstrip("\n").split("\t")[1:]]


def table_feature_ids(path: str | os.PathLike) -> list[str] | None:
    """Read a feature table's feature IDs without its counts.

    HDF5 or JSON BIOM, TSV (first column); None for a .qza (read at job time).
    """
    path = Path(path)
    if path.suffix == ".biom":
        return _biom_ids(path, "observation")
    if path.suffix == ".qza":
        return None
    ids = []
    with open(path) as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            ids.append(line.split("\t", 1)[0].strip())
    return ids


def write_biom(
    df: pd.DataFrame,
    path: str | os.PathLike,
    *,
    observation_metadata: list[dict] | None = None,
    sample_metadata: list[dict] | None = None,
) -> None:
    """Write a features x samples count table as HDF5 BIOM 2.1, atomically.

    The table's type is ``OTU table`` (``biom validate-table`` requires one);
    the metadata, one dict per feature and per sample in the table's order,
    are kept (phyloseq's ``import_biom`` reads ``taxonomy`` and the samples'
    columns). The creation date is fixed so identical tables give identical
    files.
    """
    import datetime

    import biom
    import h5py

    table = biom.Table(
        df.to_numpy(),
        observation_ids=list(df.index),
        sample_ids=list(df.columns),
        observation_metadata=observation_metadata,
        sample_metadata=sample_metadata,
        table_id="gutlung-pipeline",
        type="OTU table",
    )
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as handle:
        table.to_hdf5(
            handle,
            generated_by="gutlung-pipeline",
            creation_date=datetime.datetime(2000, 1, 1),
        )


def write_table_tsv(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a features x samples table as TSV with the ``#OTU ID`` header."""
    out = df.copy()
    out.index.name = "#OTU ID"
    write_tsv(out, path)


def write_gzip_bytes(data: bytes, path: str | os.PathLike) -> None:
    """Write bytes gzip-compressed (mtime 0, so output is reproducible), atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
            gz.write(data)


def write_json(data: dict, path: str | os.PathLike) -> None:
    """Write a small JSON document (sorted keys), atomically."""
    import json

    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def read_json(path: str | os.PathLike) -> dict:
    """Read a JSON document."""
    import json

    with open(path) as handle:
        return json.load(handle)


def _read_qza_table(path: Path) -> pd.DataFrame:
    """Read the BIOM table inside a QIIME 2 artifact (a zip with ``*/data/*.biom``)."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.endswith(".biom") and "/data/" in n]
        if len(names) != 1:
            raise ValueError(
                f"{path}: not a QIIME 2 feature-table artifact (found {len(names)} "
                "BIOM files in data/); export the table with qiime tools export"
            )
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(archive.extract(names[0], tmp))
            return read_table(target)


@contextmanager
def qza_member(path: str | os.PathLike, name: str, kind: str) -> Iterator[Path]:
    """Yield ``data/<name>`` of a QIIME 2 artifact, extracted to a temporary folder.

    ``kind`` names the artifact type for the error (``FeatureData[Sequence]``).

    Raises
    ------
    ValueError
        Not a zip, or no ``data/<name>`` inside: the line gives the
        ``qiime tools export`` fix.
    """
    import zipfile

    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ValueError(
            f"{path}: not a QIIME 2 artifact (not a zip file); give the {kind} "
            "artifact, or export it with qiime tools export"
        ) from None
    with archive:
        names = [n for n in archive.namelist() if n.endswith(f"/data/{name}")]
        if len(names) != 1:
            raise ValueError(
                f"{path}: not a {kind} artifact (no data/{name} inside); export "
                f"it with qiime tools export --input-path {path} --output-path "
                "DIR and give DIR's file"
            )
        with tempfile.TemporaryDirectory() as tmp:
            yield Path(archive.extract(names[0], tmp))


def read_fasta_or_qza(path: str | os.PathLike) -> dict[str, str]:
    """Read a FASTA file, or the one a ``FeatureData[Sequence]`` artifact holds."""
    if str(path).endswith(".qza"):
        with qza_member(path, "dna-sequences.fasta", "FeatureData[Sequence]") as member:
            return read_fasta(member)
    return read_fasta(path)


def read_metadata(path: str | os.PathLike) -> pd.DataFrame:
    """Read sample metadata (QIIME 2 style TSV; first column = sample ID).

    Lines starting with ``#q2:`` (QIIME 2 type directives) are skipped; IDs are
    kept as strings.
    """
    import io as _io

    with open(path) as handle:
        text = "".join(ln for ln in handle if not ln.startswith("#q2:"))
    df = read_tsv(_io.StringIO(text))
    df.index.name = "sample_id"
    return df


def read_tsv(path) -> pd.DataFrame:
    """Read a TSV written by this package, indexed by its first column.

    The index stays text, so IDs such as ``0012`` are not turned into numbers.
    """
    import pandas as pd

    df = pd.read_csv(path, sep="\t", dtype={0: str})
    df = df.set_index(df.columns[0])
    df.index = df.index.astype(str)
    return df


def read_ordination(path: str | os.PathLike) -> Ordination:
    """Read the sample coordinates and proportions explained of a PCoA file.

    The file is scikit-bio's ordination format (what ``gutlung pcoa`` and
    ``gutlung beta-diversity --pcoa-output`` write): the same ``samples``
    (axes numbered from 0) and ``proportion_explained`` as
    ``skbio.OrdinationResults.read``, checked in ``tests/unit/test_io.py``,
    without importing scikit-bio (about a second) in a job that only draws
    them.

    Raises
    ------
    ValueError
        The file lacks the ``Proportion explained`` or ``Site`` section, or a
        section holds other than the number of values its header says.
    """
    import numpy as np
    import pandas as pd

    sections: dict[str, tuple[list[int], list[str]]] = {}
    lines = Path(path).read_text().split("\n")
    k = 0
    while k < len(lines):
        if not lines[k].strip():
            k += 1
            continue
        head = lines[k].split("\t")
        name, sizes = head[0], [int(n) for n in head[1:]]
        rows = sizes[0] if name not in ("Eigvals", "Proportion explained") else 1
        rows = rows if sizes[0] else 0
        sections[name] = (sizes, lines[k + 1 : k + 1 + rows])
        k += 1 + rows
    for needed in ("Proportion explained", "Site"):
        if needed not in sections:
            raise ValueError(
                f"{path}: no {needed!r} section; write it with gutlung pcoa"
            )
    (n_axes,), rows = sections["Proportion explained"]
    values = rows[0].split("\t") if n_axes else []
    (n_samples, n_cols), site = sections["Site"]
    cells = [row.split("\t") for row in site]
    if len(values) != n_axes or any(len(c) != n_cols + 1 for c in cells):
        raise ValueError(
            f"{path}: a section holds other than its header's number of values; "
            "write it again with gutlung pcoa"
        )
    samples = pd.DataFrame(
        np.array([c[1:] for c in cells], dtype=float).reshape(len(cells), n_cols),
        index=pd.Index([c[0] for c in cells], dtype=object),
        columns=pd.RangeIndex(n_cols),
    )
    proportion = pd.Series(np.array(values, dtype=float), index=pd.RangeIndex(n_axes))
    return Ordination(samples=samples, proportion_explained=proportion)


@dataclass
class Ordination:
    """The parts of a PCoA that the report draws (:func:`read_ordination`)."""

    samples: pd.DataFrame
    proportion_explained: pd.Series


def read_taxonomy_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a taxonomy TSV (or ``FeatureData[Taxonomy]`` ``.qza``) whole."""
    if str(path).endswith(".qza"):
        with qza_member(path, "taxonomy.tsv", "FeatureData[Taxonomy]") as member:
            return read_tsv(member)
    return read_tsv(path)


def read_taxonomy(path: str | os.PathLike) -> pd.Series:
    """Read the ``Taxon`` column of a QIIME 2 style taxonomy TSV, by feature ID.

    A ``FeatureData[Taxonomy]`` artifact (``.qza``) is read from its
    ``data/taxonomy.tsv``.
    """
    df = read_taxonomy_table(path)
    if "Taxon" not in df.columns:
        raise ValueError(
            f"{path}: no Taxon column; give a taxonomy.tsv (Feature ID, Taxon)"
        )
    return df["Taxon"]


@dataclass(frozen=True)
class Distances:
    """A distance matrix read by :func:`read_distance_matrix`.

    ``ids`` and the square ``data`` in their order; :meth:`filter` as
    ``skbio.DistanceMatrix.filter``, which is all the PERMANOVA needs.
    """

    ids: tuple[str, ...]
    data: np.ndarray

    def filter(self, ids) -> Distances:
        """Return the matrix of ``ids`` only, in their order (each must be in it)."""
        import numpy as np

        index = {name: k for k, name in enumerate(self.ids)}
        missing = [name for name in ids if name not in index]
        if missing:
            raise ValueError(
                f"{len(missing)} IDs are not in the distance matrix (first: "
                f"{missing[0]})"
            )
        pos = [index[name] for name in ids]
        return Distances(tuple(ids), self.data[np.ix_(pos, pos)])


def read_distance_matrix(path: str | os.PathLike) -> Distances:
    """Read a distance matrix TSV as scikit-bio writes it, without scikit-bio.

    The layout of ``DistanceMatrix.write`` (``gutlung beta-diversity``'s
    matrices): an empty corner, the IDs along the first row and down the
    first column. It is checked as ``skbio.DistanceMatrix.read`` checks it:
    square, the same unique IDs in the same order on both sides, symmetric
    and with zeros on the diagonal, and no missing value; the same IDs and
    values as scikit-bio reads (``tests/unit/test_io.py``). A job that only
    reads the matrices (``gutlung permanova``) then does not import
    scikit-bio (about a second).

    Raises
    ------
    ValueError
        One line naming the file and what is wrong with it.
    """
    import numpy as np

    lines = [ln for ln in Path(path).read_text().split("\n") if ln.strip()]
    if not lines:
        raise ValueError(f"{path}: empty; write it with gutlung beta-diversity")
    ids = tuple(lines[0].split("\t")[1:])
    rows = [ln.split("\t") for ln in lines[1:]]
    fix = "write it again with gutlung beta-diversity"
    if not ids or len(rows) != len(ids) or any(len(r) != len(ids) + 1 for r in rows):
        raise ValueError(
            f"{path}: not a square distance matrix ({len(ids)} IDs in the header, "
            f"{len(rows)} rows); {fix}"
        )
    if tuple(r[0] for r in rows) != ids:
        raise ValueError(f"{path}: the rows' IDs are not the header's; {fix}")
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ValueError(f"{path}: ID {dup!r} appears twice; {fix}")
    try:
        data = np.array([r[1:] for r in rows], dtype=float)
    except ValueError:
        raise ValueError(f"{path}: a distance is not a number; {fix}") from None
    if np.isnan(data).any():
        raise ValueError(f"{path}: missing distances (NaN); {fix}")
    if not (data == data.T).all() or (np.diag(data) != 0).any():
        raise ValueError(f"{path}: not symmetric with zeros on the diagonal; {fix}")
    return Distances(ids, data)
