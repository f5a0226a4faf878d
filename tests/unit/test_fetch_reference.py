"""Reference downloads: a local HTTP server on 127.0.0.1 stands in for SILVA/GTDB."""

import gzip
import hashlib
import http.server
import threading
from functools import partial

import pytest
import yaml

from gutlung_pipeline.cli import main
from gutlung_pipeline.io import read_fasta
from gutlung_pipeline.reference import (
    fetch_reference,
    gtdb_to_sintax,
    silva_to_sintax,
)

SILVA = (
    ">AB1.1.100 Bacteria;Firmicutes;Bacilli;Lactobacillales;Streptococcaceae;"
    "Streptococcus;Streptococcus mitis\nACGUACGU\nAAUU\n"
    ">EU2.1.50 Eukaryota;Archaeplastida;Chloroplastida\nGGGG\n"
    ">AR3.1.90 Archaea;Euryarchaeota\nccgg\n"
)


def test_silva_header_conversion():
    assert silva_to_sintax(
        "AB1.1.100 Bacteria;Firmicutes;Bacilli;Lactobacillales;Streptococcaceae;"
        "Streptococcus;Streptococcus mitis"
    ) == (
        "AB1.1.100;tax=d:Bacteria,p:Firmicutes,c:Bacilli,o:Lactobacillales,"
        "f:Streptococcaceae,g:Streptococcus,s:Streptococcus_mitis;"
    )
    assert silva_to_sintax("X Eukaryota;Opisthokonta") is None


def test_gtdb_header_conversion():
    header = (
        "RS_GCF_1~NZ_1 d__Bacteria;p__Bacillota;c__Bacilli;o__Lactobacillales;"
        "f__Streptococcaceae;g__Streptococcus;s__Streptococcus mitis "
        "[location=1..1500] [ssu_len=1500]"
    )
    assert gtdb_to_sintax(header) == (
        "RS_GCF_1~NZ_1;tax=d:Bacteria,p:Bacillota,c:Bacilli,o:Lactobacillales,"
        "f:Streptococcaceae,g:Streptococcus,s:Streptococcus_mitis;"
    )


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    with gzip.GzipFile(root / "silva.fasta.gz", "wb", mtime=0) as handle:
        handle.write(SILVA.encode())
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/silva.fasta.gz"
    sha = hashlib.sha256((root / "silva.fasta.gz").read_bytes()).hexdigest()
    yield url, sha
    httpd.shutdown()
    httpd.server_close()


def entry(url, sha):
    return {"format": "silva", "files": [{"url": url, "sha256": sha}]}


def test_pinned_download_is_checked_and_converted(server, tmp_path):
    url, sha = server
    out = tmp_path / "ref.sintax.fasta.gz"
    n = fetch_reference(entry(url, sha), out, name="silva", workdir=tmp_path / "dl")
    assert n == 2
    assert read_fasta(out) == {
        "AB1.1.100;tax=d:Bacteria,p:Firmicutes,c:Bacilli,o:Lactobacillales,"
        "f:Streptococcaceae,g:Streptococcus,s:Streptococcus_mitis;": "ACGTACGTAATT",
        "AR3.1.90;tax=d:Archaea,p:Euryarchaeota;": "CCGG",
    }


def test_wrong_checksum_stops_and_keeps_nothing(server, tmp_path):
    url, _ = server
    out = tmp_path / "ref.sintax.fasta.gz"
    with pytest.raises(ValueError, match="expected 0000.*corrupt or the file changed"):
        fetch_reference(
            entry(url, "0" * 64), out, name="silva", workdir=tmp_path / "dl"
        )
    assert not out.exists()
    assert not (tmp_path / "dl" / "silva.fasta.gz").exists()


def test_unpinned_download_reports_its_checksum(server, tmp_path):
    url, sha = server
    with pytest.raises(
        ValueError, match=f"has no pinned sha256; the download has sha256 {sha}"
    ):
        fetch_reference(entry(url, None), tmp_path / "o.gz", name="s", workdir=tmp_path)
    n = fetch_reference(
        entry(url, None), tmp_path / "o.gz", name="s", workdir=tmp_path, sha256=[sha]
    )
    assert n == 2


def test_fetch_reference_cli(server, tmp_path, capsys):
    url, sha = server
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(yaml.safe_dump({"mini": entry(url, sha)}))
    args = [
        "fetch-reference",
        "--manifest",
        str(manifest),
        "--output",
        str(tmp_path / "m.gz"),
        "--download-dir",
        str(tmp_path / "dl"),
    ]
    assert main([*args, "--name", "mini"]) == 0
    assert len(read_fasta(tmp_path / "m.gz")) == 2
    assert main([*args, "--name", "nope"]) == 1
    assert "no entry 'nope'; use one of mini" in capsys.readouterr().err


def test_shipped_manifest_is_well_formed():
    from conftest import REPO

    manifest = yaml.safe_load((REPO / "resources/reference/manifest.yaml").read_text())
    assert {"silva-138.2", "gtdb-r220"} <= set(manifest)
    for name, item in manifest.items():
        assert item["format"] in ("silva", "gtdb", "sintax"), name
        assert item["files"] and all(
            f["url"].startswith("https://") for f in item["files"]
        )
