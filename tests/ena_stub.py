"""A stand-in for ENA on 127.0.0.1: the portal API's filereport, the browser
API's sample XML and the FASTQ files, with the faults a real download meets
(a 500 that recovers, a connection dropped half-way, a wrong published md5).

Used by the acquisition unit tests and the accession-to-report workflow test;
tests never reach the internet.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape, quoteattr

FIELDS = [
    "run_accession",
    "sample_accession",
    "fastq_ftp",
    "fastq_md5",
    "fastq_bytes",
    "library_layout",
    "instrument_model",
    "study_accession",
    "sample_alias",
]


class ENAStub:
    """The server's state: files by path, runs, studies, samples, requests."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.published_md5: dict[str, str] = {}
        self.runs: dict[str, dict] = {}
        self.studies: dict[str, list[str]] = {}
        self.samples: dict[str, dict] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.failures_left: dict[str, int] = {}
        self.drop_once: set[str] = set()
        self.host = ""

    def add_run(
        self,
        run,
        layout,
        files,
        *,
        study="PRJEB00001",
        sample=None,
        alias="",
        wrong_md5=False,
    ):
        """``files``: {url path: bytes}, one (single) or two (paired) files."""
        for path, data in files.items():
            self.files[path] = data
            md5 = hashlib.md5(data).hexdigest()
            self.published_md5[path] = ("0" * 32) if wrong_md5 else md5
        sample = sample or f"SAMEA{run[3:]}"
        self.runs[run] = {
            "layout": layout,
            "paths": list(files),
            "sample": sample,
            "study": study,
            "alias": alias,
        }
        self.studies.setdefault(study, []).append(run)

    def add_sample(self, accession, alias, attributes: dict):
        self.samples[accession] = {"alias": alias, "attributes": attributes}

    def report(self, runs) -> str:
        lines = ["\t".join(FIELDS)]
        for run in runs:
            r = self.runs[run]
            lines.append(
                "\t".join(
                    [
                        run,
                        r["sample"],
                        ";".join(f"{self.host}{p}" for p in r["paths"]),
                        ";".join(self.published_md5[p] for p in r["paths"]),
                        ";".join(str(len(self.files[p])) for p in r["paths"]),
                        r["layout"],
                        "Illumina MiSeq",
                        r["study"],
                        r["alias"],
                    ]
                )
            )
        return "\n".join(lines) + "\n"

    def sample_xml(self, accessions) -> str:
        parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<SAMPLE_SET>']
        for acc in accessions:
            s = self.samples[acc]
            attrs = "".join(
                f"<SAMPLE_ATTRIBUTE><TAG>{escape(k)}</TAG><VALUE>{escape(str(v))}"
                "</VALUE></SAMPLE_ATTRIBUTE>"
                for k, v in s["attributes"].items()
            )
            parts.append(
                f"<SAMPLE alias={quoteattr(s['alias'])} accession={quoteattr(acc)}>"
                f"<TITLE>{escape(s['alias'])}</TITLE>"
                f"<SAMPLE_ATTRIBUTES>{attrs}</SAMPLE_ATTRIBUTES></SAMPLE>"
            )
        return "".join(parts) + "</SAMPLE_SET>\n"


def _handler(state: ENAStub):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            url = urllib.parse.urlsplit(self.path)
            state.requests.append((url.path, self.headers.get("Range")))
            if url.path == "/ena/portal/api/filereport":
                acc = urllib.parse.parse_qs(url.query)["accession"][0]
                runs = state.studies.get(acc) or ([acc] if acc in state.runs else None)
                if runs is None:
                    self.send_error(400, "Invalid accession")
                    return
                self._send(200, state.report(runs).encode())
                return
            if url.path.startswith("/ena/browser/api/xml/"):
                accs = url.path.rsplit("/", 1)[1].split(",")
                if not all(a in state.samples for a in accs):
                    self.send_error(404)
                    return
                self._send(200, state.sample_xml(accs).encode())
                return
            data = state.files.get(url.path)
            if data is None:
                self.send_error(404)
                return
            if state.failures_left.get(url.path, 0):
                state.failures_left[url.path] -= 1
                self.send_error(500, "Internal Server Error")
                return
            rng = self.headers.get("Range")
            start = int(rng.split("=")[1].split("-")[0]) if rng else 0
            if url.path in state.drop_once and not rng:
                state.drop_once.discard(url.path)
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self._send(206 if rng else 200, data[start:], start=start, total=len(data))

        def _send(self, code, body, *, start=0, total=None):
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            if code == 206:
                self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextlib.contextmanager
def serving(state: ENAStub):
    """Serve ``state`` on 127.0.0.1 (a free port); yields the base URL
    ``http://127.0.0.1:<port>``; portal API under /ena/portal/api, browser
    API under /ena/browser/api, files under /vol1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.host = f"127.0.0.1:{server.server_port}"
    try:
        yield f"http://{state.host}"
    finally:
        server.shutdown()
        server.server_close()
