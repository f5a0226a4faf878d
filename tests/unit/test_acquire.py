"""ENA acquisition against a local HTTP server on 127.0.0.1 that answers like
the ENA portal API and serves FASTQ files: a good paired run, a single-end
run, a run with a wrong md5, a run whose connection drops mid-file (resumed
with a Range request), a 500 that recovers, and a hostile file path."""

import gzip
from pathlib import Path

import pytest
from ena_stub import ENAStub, serving

from gutlung_pipeline.inputs.ena import (
    DownloadError,
    accession_kind,
    fetch_filereport,
    fetch_runs,
    filereport_url,
    parse_filereport,
)

HEADER = (
    "run_accession\tsample_accession\tfastq_ftp\tfastq_md5\tfastq_bytes\t"
    "library_layout\tinstrument_model"
)


def fastq_gz(name: str, n: int) -> bytes:
    records = "".join(f"@{name}.{i}\n{'ACGT' * 30}\n+\n{'I' * 120}\n" for i in range(n))
    return gzip.compress(records.encode(), mtime=0)


def files(run, *paths):
    return {p: fastq_gz(f"{run}.{k}", 400) for k, p in enumerate(paths)}


@pytest.fixture
def ena():
    state = ENAStub()
    v = "/vol1/ERR000000"
    state.add_run(
        "ERR0000001",
        "PAIRED",
        files(
            "ERR0000001", f"{v}1/ERR0000001_1.fastq.gz", f"{v}1/ERR0000001_2.fastq.gz"
        ),
    )
    state.add_run(
        "ERR0000002", "SINGLE", files("ERR0000002", f"{v}2/ERR0000002.fastq.gz")
    )
    state.add_run(
        "ERR0000003",
        "SINGLE",
        files("ERR0000003", f"{v}3/ERR0000003.fastq.gz"),
        wrong_md5=True,
    )
    state.add_run(
        "ERR0000004",
        "PAIRED",
        files(
            "ERR0000004", f"{v}4/ERR0000004_1.fastq.gz", f"{v}4/ERR0000004_2.fastq.gz"
        ),
    )
    state.add_run(
        "ERR0000005", "SINGLE", files("ERR0000005", f"{v}5/ERR0000005.fastq.gz")
    )
    # a path that tries to climb out of the cache
    state.add_run(
        "ERR0000006",
        "SINGLE",
        files("ERR0000006", "/vol1/../../../../tmp/pwned_x.fastq.gz"),
    )
    state.failures_left = {f"{v}5/ERR0000005.fastq.gz": 1}
    state.drop_once = {f"{v}4/ERR0000004_1.fastq.gz"}
    with serving(state) as url:
        state.base = f"{url}/ena/portal/api"
        yield state


def test_accessions_are_checked_before_any_url():
    assert accession_kind("PRJEB11419") == "study"
    assert accession_kind("ERP016173") == "study"
    assert accession_kind("SRR1234567") == "run"
    for bad in ("PRJEB1; rm -rf /", "ERR12a", "../ERR1", "", "prjeb11419"):
        with pytest.raises(ValueError, match="is not a study"):
            filereport_url(bad)
    url = filereport_url("PRJNA446042")
    assert url.startswith("https://www.ebi.ac.uk/ena/portal/api/filereport?")
    assert "result=read_run" in url and "fastq_md5" in url


def test_fetch_study_every_case(ena, tmp_path, caplog):
    caplog.set_level("INFO", logger="gutlung_pipeline.inputs.ena")
    cache = tmp_path / "cache"
    out = fetch_runs(
        ["PRJEB00001"], cache, base_url=ena.base, scheme="http", retries=2, backoff=0.01
    ).set_index("run_accession")
    ok = out[out["status"] == "ok"]
    assert set(ok.index) == {
        "ERR0000001",
        "ERR0000002",
        "ERR0000004",
        "ERR0000005",
        "ERR0000006",
    }
    good = out.loc["ERR0000001"]
    assert good["library_layout"] == "paired"
    assert Path(good["fq1"]) == cache / "ERR0000001" / "ERR0000001_1.fastq.gz"
    assert (
        Path(good["fq2"]).read_bytes()
        == ena.files["/vol1/ERR0000001/ERR0000001_2.fastq.gz"]
    )
    single = out.loc["ERR0000002"]
    assert single["library_layout"] == "single" and single["fq2"] == ""
    # wrong md5: retried, then reported and excluded, nothing left behind
    bad = out.loc["ERR0000003"]
    assert bad["status"] == "failed" and "is not the published" in bad["reason"]
    assert not list((cache / "ERR0000003").glob("*"))
    tries = [r for r in ena.requests if r[0].endswith("ERR0000003.fastq.gz")]
    assert len(tries) == 3  # first try + 2 retries
    # the dropped connection resumed with a Range request from the cut
    dropped = "/vol1/ERR0000004/ERR0000004_1.fastq.gz"
    ranges = [r[1] for r in ena.requests if r[0] == dropped]
    assert ranges[0] is None and ranges[1] == f"bytes={len(ena.files[dropped]) // 2}-"
    assert Path(out.loc["ERR0000004", "fq1"]).read_bytes() == ena.files[dropped]
    # the 500 recovered
    assert out.loc["ERR0000005", "status"] == "ok"
    # the hostile path: named from the accession, inside the cache
    hostile = Path(out.loc["ERR0000006", "fq1"])
    assert hostile == cache / "ERR0000006" / "ERR0000006.fastq.gz"
    assert not Path("/tmp/pwned_x.fastq.gz").exists()
    assert not list(cache.rglob("*.part"))
    # progress in the log: the size, each tenth, the resume point, the check
    lines = caplog.messages
    size = len(ena.files["/vol1/ERR0000001/ERR0000001_1.fastq.gz"])
    kb = f"{size / 1e3:.1f} kB"
    assert any(
        m.startswith("ERR0000001_1.fastq.gz (http://")
        and m.endswith(f"downloading {kb}")
        for m in lines
    ), lines
    assert f"ERR0000001_1.fastq.gz: {kb} of {kb} (100%)" in "\n".join(lines)
    half = len(ena.files[dropped]) // 2
    assert half < 1000  # 644 B
    assert any(m.endswith(f"downloading {kb}, resuming at {half} B") for m in lines)
    assert f"ERR0000001_1.fastq.gz: {kb}, md5 as published" in lines
    # the cache is reused: nothing is downloaded again
    before = len(ena.requests)
    again = fetch_runs(["ERR0000001"], cache, base_url=ena.base, scheme="http")
    assert again.loc[0, "status"] == "ok"
    assert [r[0] for r in ena.requests[before:]] == ["/ena/portal/api/filereport"]
    assert "ERR0000001_1.fastq.gz: in the cache, md5 as published" in caplog.messages


def test_filereport_errors(ena):
    with pytest.raises(DownloadError, match="HTTP 400"):
        fetch_filereport("PRJEB99999", base_url=ena.base, retries=0)
    with pytest.raises(ValueError, match="'ERR1;ls' is not a study"):
        parse_filereport(HEADER + "\nERR1;ls\tS\t\t\t\tSINGLE\tX\n")
    with pytest.raises(ValueError, match="'PRJEB1' is not a run"):
        parse_filereport(HEADER + "\nPRJEB1\tS\t\t\t\tSINGLE\tX\n")
    with pytest.raises(ValueError, match="ERR1: no column sample_accession, fastq_md5"):
        parse_filereport("run_accession\tfastq_ftp\nERR1\tx\n", accession="ERR1")
    report = parse_filereport(HEADER + "\nSRR5\tS\t\t\t\tSINGLE\tX\n")
    assert report.loc[0, "files"] == []  # no FASTQ at ENA: fasterq-dump's turn


def test_no_fastq_and_no_fasterq_dump_is_reported(ena, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    ena.add_run("SRR0000007", "SINGLE", {})
    out = fetch_runs(["SRR0000007"], tmp_path, base_url=ena.base, scheme="http")
    assert out.loc[0, "status"] == "failed"
    assert "fasterq-dump is not installed" in out.loc[0, "reason"]


def test_fetch_runs_command(ena, tmp_path):
    import pandas as pd

    from gutlung_pipeline.cli import main

    out = tmp_path / "runs.tsv"
    args = [
        "fetch-runs",
        "--accession",
        "ERR0000002",
        "ERR0000003",
        "--cache",
        str(tmp_path / "cache"),
        "--output",
        str(out),
        "--base-url",
        ena.base,
        "--scheme",
        "http",
        "--retries",
        "1",
        "--backoff",
        "0.01",
    ]
    assert main(args) == 0
    runs = pd.read_csv(out, sep="\t", keep_default_na=False)
    assert list(runs["status"]) == ["ok", "failed"]
    assert runs.loc[0, "fq1"].endswith("ERR0000002/ERR0000002.fastq.gz")
    assert main([*args[:2], "SRR12;x", *args[4:]]) == 1
