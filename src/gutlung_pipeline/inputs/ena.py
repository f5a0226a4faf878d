"""Public reads in: ENA accessions to verified local FASTQ files.

* Accessions are checked against their patterns before any URL is built
  (:func:`accession_kind`).
* The ENA portal API's ``filereport`` (``result=read_run``) lists a study's or
  a run's runs with ``fastq_ftp``, ``fastq_md5``, ``fastq_bytes``,
  ``library_layout``, ``instrument_model`` and ``sample_accession``
  (:func:`fetch_filereport`, :func:`parse_filereport`).
* Each file is downloaded over HTTP(S) to ``<cache>/<run>/<run>_1.fastq.gz``
  (``_2`` for the mate, none for single-end): the name comes from the
  validated run accession, never from the server's path. A download resumes
  from its ``.part`` file with a Range request, retries with exponential
  backoff, is checked against the md5 and byte count, and is renamed into
  place only then (:func:`download`). A file whose md5 still fails after the
  retries is reported and its run excluded, never used.
* Where ENA has no FASTQ, ``fasterq-dump`` (sra-toolkit) is the fallback.

Only the standard library's HTTP client is used. Tests point ``base_url`` at
a local server on 127.0.0.1 that serves recorded ENA responses.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import logging
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..io import atomic_path, write_tsv

log = logging.getLogger(__name__)

ENA_PORTAL = "https://www.ebi.ac.uk/ena/portal/api"
ENA_BROWSER = "https://www.ebi.ac.uk/ena/browser/api"
FIELDS = (
    "run_accession",
    "sample_accession",
    "fastq_ftp",
    "fastq_md5",
    "fastq_bytes",
    "library_layout",
    "instrument_model",
)
#: Asked for too and kept when the report has them (metadata joins use them).
EXTRA_FIELDS = (
    "study_accession",
    "secondary_sample_accession",
    "sample_alias",
    "sample_title",
)
PATTERNS = {
    "study": re.compile(r"^(PRJ[EDN][A-Z][0-9]+|[EDS]RP[0-9]+)$"),
    "run": re.compile(r"^[EDS]RR[0-9]+$"),
}
SAMPLE_PATTERN = re.compile(r"^(SAM[EDN][A-Z]?[0-9]+|[EDS]RS[0-9]+)$")
CHUNK = 1 << 20


class DownloadError(Exception):
    """A file could not be fetched intact; the message says which and why."""


def accession_kind(accession: str) -> str:
    """``study`` (PRJEB/PRJNA/PRJDB, ERP/SRP/DRP) or ``run`` (ERR/SRR/DRR).

    Raises ValueError for anything else, before any URL is built.
    """
    for kind, pattern in PATTERNS.items():
        if pattern.match(str(accession)):
            return kind
    raise ValueError(
        f"accession {accession!r} is not a study (PRJEB/PRJNA/PRJDB..., ERP/SRP/"
        "DRP...) or run (ERR/SRR/DRR...) accession; check it"
    )


def filereport_url(accession: str, *, base_url: str = ENA_PORTAL) -> str:
    """Build the portal API URL listing ``accession``'s runs (accession checked)."""
    accession_kind(accession)
    query = urllib.parse.urlencode(
        {
            "accession": accession,
            "result": "read_run",
            "fields": ",".join(FIELDS + EXTRA_FIELDS),
            "format": "tsv",
            "download": "false",
        }
    )
    return f"{base_url.rstrip('/')}/filereport?{query}"


def _open(url: str, *, timeout: float, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310


def _with_retries(what: str, action, *, retries: int, backoff: float):
    """Run ``action()``, retrying network errors with backoff.

    Run ``action()``; on a network error or HTTP 5xx wait backoff x 2^k and
    try again, ``retries`` times.
    """
    for attempt in range(retries + 1):
        try:
            return action()
        except urllib.error.HTTPError as err:
            if err.code < 500 or attempt == retries:
                raise DownloadError(f"{what}: HTTP {err.code} {err.reason}") from err
            reason = f"HTTP {err.code}"
        except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
            if attempt == retries:
                raise DownloadError(f"{what}: {err}") from err
            reason = str(err)
        wait = backoff * 2**attempt
        log.warning("%s: %s; retrying in %.1f s", what, reason, wait)
        time.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def fetch_filereport(accession: str, **options) -> pd.DataFrame:
    """Fetch and parse ``accession``'s runs from the ENA portal API.

    ``accession``'s runs from the ENA portal API, parsed (options as
    :func:`fetch_filereport_text`; see :func:`parse_filereport`).
    """
    return parse_filereport(
        fetch_filereport_text(accession, **options), accession=accession
    )


def fetch_filereport_text(
    accession: str,
    *,
    base_url: str = ENA_PORTAL,
    retries: int = 4,
    backoff: float = 1.0,
    timeout: float = 60.0,
) -> str:
    """Fetch the portal API's TSV answer for ``accession``, as text."""
    url = filereport_url(accession, base_url=base_url)

    def get():
        with _open(url, timeout=timeout) as response:
            return response.read().decode()

    return _with_retries(
        f"ENA filereport for {accession}", get, retries=retries, backoff=backoff
    )


def cached_filereport(
    accession: str, cache: str | os.PathLike, *, refresh: bool = False, **fetch_options
) -> Path:
    """Return ``accession``'s filereport, fetched once and kept in the cache.

    ``<cache>/filereport/<accession>.tsv``: the ENA answer, fetched once and
    kept (checked before it is written), so a run plans offline and the run
    list it used stays on record. ``refresh`` asks ENA again.
    """
    accession_kind(accession)
    cache = Path(cache)
    path = _inside(cache, cache / "filereport" / f"{accession}.tsv")
    if path.is_file() and not refresh:
        return path
    text = fetch_filereport_text(accession, **fetch_options)
    parse_filereport(text, accession=accession)
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return path


def read_filereport(path: str | os.PathLike) -> pd.DataFrame:
    """Read and parse a saved filereport (see :func:`cached_filereport`)."""
    path = Path(path)
    return parse_filereport(path.read_text(), accession=path.stem)


def sample_attributes_xml(text: str) -> pd.DataFrame:
    """Parse ENA sample XML into one row per sample.

    ENA sample XML (``SAMPLE_SET``) to one row per sample: sample_accession,
    sample_alias, sample_title and one column per attribute tag (strings).
    Python's expat refuses entity-expansion attacks; no DTD is fetched.
    """
    import xml.etree.ElementTree as ET

    rows = []
    for sample in ET.fromstring(text).iter("SAMPLE"):
        row = {
            "sample_accession": sample.get("accession", ""),
            "sample_alias": sample.get("alias", ""),
            "sample_title": (sample.findtext("TITLE") or "").strip(),
        }
        for attr in sample.iter("SAMPLE_ATTRIBUTE"):
            tag = (attr.findtext("TAG") or "").strip()
            if tag and tag not in row:
                row[tag] = (attr.findtext("VALUE") or "").strip()
        rows.append(row)
    return pd.DataFrame(rows).fillna("")


def fetch_sample_attributes(
    samples: list[str],
    *,
    base_url: str = ENA_BROWSER,
    batch: int = 100,
    retries: int = 4,
    backoff: float = 1.0,
    timeout: float = 60.0,
) -> pd.DataFrame:
    """Fetch every sample's attributes from the ENA browser API.

    Every sample's attributes from the ENA browser API's XML, ``batch``
    accessions per request (see :func:`sample_attributes_xml`).
    """
    for acc in samples:
        if not SAMPLE_PATTERN.match(acc):
            raise ValueError(f"{acc!r} is not a sample accession (SAMEA/SAMN/ERS...)")
    parts = []
    for start in range(0, len(samples), batch):
        chunk = samples[start : start + batch]
        url = f"{base_url.rstrip('/')}/xml/{','.join(chunk)}"

        def get(url=url):
            with _open(url, timeout=timeout) as response:
                return response.read().decode()

        text = _with_retries(
            f"ENA sample XML for {chunk[0]}...", get, retries=retries, backoff=backoff
        )
        parts.append(sample_attributes_xml(text))
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return table.fillna("")


def cached_sample_attributes(
    accession: str,
    samples: list[str],
    cache: str | os.PathLike,
    *,
    refresh: bool = False,
    **fetch_options,
) -> Path:
    """Return the study's sample attributes, fetched once and kept.

    ``<cache>/attributes/<accession>.tsv``: the study's sample attributes
    from ENA, fetched once and kept (like :func:`cached_filereport`).
    """
    accession_kind(accession)
    cache = Path(cache)
    path = _inside(cache, cache / "attributes" / f"{accession}.tsv")
    if path.is_file() and not refresh:
        return path
    table = fetch_sample_attributes(sorted(set(samples)), **fetch_options)
    write_tsv(table, path, index=False)
    return path


@dataclass(frozen=True)
class RemoteFile:
    """One FASTQ of a run: where it is, what it must be, where it goes."""

    url: str
    md5: str
    size: int
    mate: str  # "1", "2" or "" (single-end)
    name: str  # local file name, from the run accession


def _mate(name: str) -> str:
    """Return a FASTQ name's mate: 1 for ``..._1.fastq.gz``, 2 for ``_2``, else ''."""
    for mate in ("1", "2"):
        if str(name).endswith(f"_{mate}.fastq.gz"):
            return mate
    return ""


def parse_filereport(text: str, *, accession: str = "") -> pd.DataFrame:
    """Parse a filereport into one row per run.

    One row per run: run_accession, sample_accession, library_layout,
    instrument_model and ``files`` (:class:`RemoteFile` list; empty where ENA
    has no FASTQ). Run accessions are checked; a paired run's unpaired extra
    file (``ERRx.fastq.gz`` beside ``_1``/``_2``) is left out.
    """
    df = pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False)
    missing = [f for f in FIELDS if f not in df.columns]
    if missing:
        raise ValueError(
            f"ENA filereport for {accession}: no column {', '.join(missing)}; the "
            "portal API answered something else"
        )
    rows = []
    for _, r in df.iterrows():
        run = r["run_accession"]
        if accession_kind(run) != "run":
            raise ValueError(f"ENA filereport for {accession}: {run!r} is not a run")
        layout = r["library_layout"].strip().lower()
        urls = [u for u in r["fastq_ftp"].split(";") if u]
        md5s = r["fastq_md5"].split(";") if r["fastq_md5"] else []
        sizes = r["fastq_bytes"].split(";") if r["fastq_bytes"] else []
        if not (len(urls) == len(md5s) == len(sizes)):
            raise ValueError(
                f"ENA filereport for {accession}: run {run} lists {len(urls)} files, "
                f"{len(md5s)} md5 sums and {len(sizes)} sizes"
            )
        files = []
        for url, md5, size in zip(urls, md5s, sizes, strict=True):
            mate = _mate(url)
            if layout == "paired" and not mate:
                continue  # unpaired leftovers of a paired run
            name = f"{run}_{mate}.fastq.gz" if mate else f"{run}.fastq.gz"
            if not re.fullmatch(r"[0-9a-fA-F]{32}", md5):
                raise ValueError(f"run {run}: {md5!r} is not an md5 sum")
            files.append(RemoteFile(url, md5.lower(), int(size), mate, name))
        if layout == "paired" and files and {f.mate for f in files} != {"1", "2"}:
            raise ValueError(f"run {run} is paired but ENA lists {len(files)} mates")
        rows.append(
            {
                "run_accession": run,
                "sample_accession": r["sample_accession"],
                "library_layout": layout,
                "instrument_model": r["instrument_model"],
                "files": files,
                **{f: r[f] for f in EXTRA_FIELDS if f in df.columns},
            }
        )
    return pd.DataFrame(rows)


def _inside(cache: Path, path: Path) -> Path:
    path = path.resolve()
    if not path.is_relative_to(cache.resolve()):
        raise ValueError(f"{path} is outside the download cache {cache}")
    return path


def _md5(path: Path) -> str:
    digest = hashlib.md5()  # noqa: S324 - ENA publishes md5
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    remote: RemoteFile,
    dest: Path,
    *,
    cache: Path,
    scheme: str = "https",
    retries: int = 4,
    backoff: float = 1.0,
    timeout: float = 60.0,
) -> Path:
    """Download ``remote`` to ``dest``, resuming, retrying and checking it.

    Fetch ``remote`` to ``dest`` (inside ``cache``), resuming, retrying and
    checking size and md5; ``dest`` appears only when it is intact.

    An existing ``dest`` with the right md5 is kept (the cache is shared across
    studies). Raises :class:`DownloadError` when the file cannot be fetched
    intact after ``retries`` attempts; the partial file is then removed.
    """
    dest = _inside(cache, dest)
    if dest.exists() and _md5(dest) == remote.md5:
        log.info("%s: in the cache, md5 as published", dest.name)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    url = remote.url if "://" in remote.url else f"{scheme}://{remote.url}"
    what = f"{dest.name} ({url})"

    def fetch():
        have = part.stat().st_size if part.exists() else 0
        if have > remote.size:
            part.unlink()
            have = 0
        if have < remote.size:
            headers = {"Range": f"bytes={have}-"} if have else {}
            with _open(url, timeout=timeout, headers=headers) as response:
                mode = "ab" if have and response.status == 206 else "wb"
                start = have if mode == "ab" else 0
                log.info(
                    "%s: downloading %s%s",
                    what,
                    _size(remote.size),
                    f", resuming at {_size(start)}" if start else "",
                )
                with open(part, mode) as out:
                    _copy_with_progress(response, out, dest.name, start, remote.size)
        got = part.stat().st_size
        if got != remote.size:
            raise ConnectionError(f"got {got} of {remote.size} bytes")
        digest = _md5(part)
        if digest != remote.md5:
            part.unlink()
            raise ConnectionError(f"md5 {digest} is not the published {remote.md5}")

    try:
        _with_retries(what, fetch, retries=retries, backoff=backoff)
    except DownloadError:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, dest)
    log.info("%s: %s, md5 as published", dest.name, _size(remote.size))
    return dest


def _size(n: int) -> str:
    """Bytes as people read them: ``512 B``, ``3.4 MB``, ``1.2 GB``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _copy_with_progress(source, out, name: str, start: int, total: int) -> None:
    """Copy a response to a file in CHUNK blocks, logging each tenth of it.

    Progress lines name the file, the bytes so far of ``total``, the share
    and the rate since the start of this request.
    """
    import time

    began, done, step = time.monotonic(), start, max(total // 10, 1)
    mark = start + step
    while block := source.read(CHUNK):
        out.write(block)
        done += len(block)
        if done >= mark or done == total:
            rate = (done - start) / max(time.monotonic() - began, 1e-6)
            log.info(
                "%s: %s of %s (%d%%), %s/s",
                name,
                _size(done),
                _size(total),
                100 * done // max(total, 1),
                _size(int(rate)),
            )
            mark = done + step


def fasterq_dump(
    run: str, out_dir: Path, *, cache: Path, threads: int = 1
) -> list[Path]:
    """Fetch a run without FASTQ at ENA with sra-toolkit's ``fasterq-dump``.

    Fallback for runs without FASTQ at ENA: sra-toolkit's ``fasterq-dump``
    (split files, gzipped here). Raises DownloadError when it is missing or
    fails.
    """
    if accession_kind(run) != "run":
        raise ValueError(f"{run!r} is not a run accession")
    out_dir = _inside(cache, out_dir)
    exe = shutil.which("fasterq-dump")
    if exe is None:
        raise DownloadError(
            f"{run}: ENA has no FASTQ and fasterq-dump is not installed; install "
            "sra-toolkit (apt-get install sra-toolkit, or bioconda)"
        )
    tmp = out_dir / f"{run}.tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [
            exe,
            run,
            "--split-files",
            "--outdir",
            str(tmp),
            "--temp",
            str(tmp),
            "--threads",
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DownloadError(f"{run}: fasterq-dump failed: {proc.stderr.strip()[-300:]}")
    import gzip

    written = []
    for raw in sorted(tmp.glob(f"{run}*.fastq")):
        target = out_dir / f"{raw.stem}.fastq.gz"
        with atomic_path(target) as tmp, open(raw, "rb") as src:
            with gzip.open(tmp, "wb") as gz:
                shutil.copyfileobj(src, gz, CHUNK)
        written.append(target)
    shutil.rmtree(tmp, ignore_errors=True)
    return written


def fetch_runs(
    accessions: list[str],
    cache: str | os.PathLike,
    *,
    base_url: str = ENA_PORTAL,
    scheme: str = "https",
    retries: int = 4,
    backoff: float = 1.0,
    timeout: float = 60.0,
) -> pd.DataFrame:
    """Download every run of ``accessions`` into ``cache``.

    Download every run of ``accessions`` into ``cache``; one row per run:
    run_accession, sample_accession, library_layout, instrument_model, fq1,
    fq2 (empty for single-end), status (``ok`` or ``failed``) and reason.
    Failed runs are listed, never used.
    """
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    options = dict(scheme=scheme, retries=retries, backoff=backoff, timeout=timeout)
    rows = []
    for accession in accessions:
        report = fetch_filereport(
            accession,
            base_url=base_url,
            retries=retries,
            backoff=backoff,
            timeout=timeout,
        )
        for _, run in report.iterrows():
            rows.append(fetch_run(run, cache, **options))
    return pd.DataFrame(rows)


def fetch_run(
    run: pd.Series,
    cache: str | os.PathLike,
    *,
    scheme: str = "https",
    retries: int = 4,
    backoff: float = 1.0,
    timeout: float = 60.0,
    threads: int = 1,
) -> dict:
    """Download one filereport row's files into ``cache``.

    Download one filereport row's files into ``cache`` (fasterq-dump where
    ENA lists none). Returns run_accession, sample_accession, library_layout,
    instrument_model, fq1, fq2 ('' for single-end), status (``ok`` or
    ``failed``) and reason; a failure is returned, not raised.
    """
    cache = Path(cache)
    rid = run["run_accession"]
    row = {k: run[k] for k in FIELDS if k in run.index}
    row.update(fq1="", fq2="", status="ok", reason="")
    try:
        if run["files"]:
            paths = {
                f.mate: download(
                    f,
                    cache / rid / f.name,
                    cache=cache,
                    scheme=scheme,
                    retries=retries,
                    backoff=backoff,
                    timeout=timeout,
                )
                for f in run["files"]
            }
        else:
            dumped = fasterq_dump(rid, cache / rid, cache=cache, threads=threads)
            paths = {_mate(p.name): p for p in dumped}
        if run["library_layout"] == "paired":
            if set(paths) != {"1", "2"}:
                raise DownloadError(f"{rid}: paired, but got mates {sorted(paths)}")
            row.update(fq1=str(paths["1"]), fq2=str(paths["2"]))
        else:
            row.update(fq1=str(next(iter(paths.values()))))
    except DownloadError as err:
        row.update(status="failed", reason=str(err))
        log.error("%s excluded: %s", rid, err)
    return row
