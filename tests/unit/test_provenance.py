"""Provenance: versions as the tools say them, checksums by hand, the commit."""

import hashlib
import subprocess

from gutlung_pipeline.provenance import collect, git_state, sha256, tool_version


def test_tool_version_reads_the_line_naming_the_tool(tmp_path, monkeypatch):
    tool = tmp_path / "mytool"
    # like vsearch: its paper's DOI on stdout, its version on stderr
    tool.write_text(
        "#!/bin/sh\necho 'Please cite: doi: 10.7717/peerj.2584'\n"
        "echo 'mytool v2.22.1_linux_x86_64, 8GB RAM' >&2\n"
    )
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    assert tool_version(["mytool", "--version"]) == "2.22.1"
    assert tool_version(["nosuchtool", "--version"]) == "not found"
    # a tool that reads stdin when given no file (FastTree) gets it closed, as
    # under a batch system whose stdin stays open
    reader = tmp_path / "reader"
    reader.write_text("#!/bin/sh\ncat > /dev/null\necho 'reader 1.2.3'\n")
    reader.chmod(0o755)
    assert tool_version(["reader"]) == "1.2.3"


def test_inputs_get_their_sha256_and_the_commit_its_state(tmp_path):
    data = tmp_path / "a.fastq.gz"
    data.write_bytes(b"@r\nACGT\n+\nIIII\n")
    assert sha256(data) == hashlib.sha256(data.read_bytes()).hexdigest()
    record = collect(
        {"seed": 7},
        {"reads": [str(data), str(tmp_path / "remote.fastq.gz")]},
        repo=tmp_path,
    )
    assert record["seed"] == 7
    first, missing = record["inputs"]
    assert first == {
        "role": "reads",
        "path": str(data),
        "bytes": 15,  # "@r", "ACGT", "+", "IIII", each with its newline
        "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
    }
    assert missing["sha256"] == "not a local file"
    assert record["project"]["state"] == "not a git checkout"
    names = {v["name"] for v in record["versions"]}
    assert {"vsearch", "cutadapt", "numpy", "scikit-bio", "gutlung-pipeline"} <= names
    # a version already known (the Snakemake running the workflow) is not asked
    known = collect({}, {}, repo=tmp_path, known={"snakemake": "9.9.9"})["versions"]
    tools = {v["name"]: v["version"] for v in known if v["kind"] == "tool"}
    asked = {v["name"]: v["version"] for v in record["versions"] if v["kind"] == "tool"}
    assert tools == {**asked, "snakemake": "9.9.9"}
    assert record["started"].endswith("+00:00")
    # a git checkout: its commit, clean or not
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / "f").write_text("1")
    subprocess.run([*git, "add", "f"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert git_state(repo) == {"commit": head, "state": "clean"}
    (repo / "f").write_text("2")
    assert git_state(repo)["state"] == "with local changes"


def test_the_files_of_a_thousand_samples_go_in_on_stdin(tmp_path):
    """2,400 paths of 80 characters are one 200 KB JSON, over Linux's 128 KiB
    for one argument; the workflow's rule sends it on stdin (``--files -``)
    through a quoted here-document, run here as Snakemake runs it (bash)."""
    import json
    import shutil
    import sys
    from pathlib import Path

    folder = tmp_path / ("d" * 60)
    folder.mkdir()
    reads = []
    for k in range(2400):
        path = folder / f"S{k:05d}_R1.fastq.gz"
        path.write_bytes(b"@r\nA\n+\nI\n")
        reads.append(str(path))
    files = json.dumps({"reads": reads})
    assert len(files) > 131072
    gutlung = shutil.which("gutlung") or str(Path(sys.executable).parent / "gutlung")
    script = tmp_path / "script.sh"
    script.write_text(
        f"set -euo pipefail; {gutlung} provenance --config-json '{{\"seed\": 1}}'"
        f" --files - --repo {tmp_path} --output-dir {tmp_path / 'out'}"
        f" <<'GUTLUNG_FILES_JSON'\n{files}\nGUTLUNG_FILES_JSON\n"
    )
    subprocess.run(["bash", str(script)], check=True, capture_output=True)
    record = json.loads((tmp_path / "out/provenance.json").read_text())
    assert [r["path"] for r in record["inputs"]] == reads
    assert record["inputs"][0]["bytes"] == 9
    # as one argument it cannot run at all
    argv = script.read_text().replace("--files -", f"--files '{files}'")
    script.write_text(argv.split(" <<'GUTLUNG")[0] + "\n")
    failed = subprocess.run(["bash", str(script)], capture_output=True, text=True)
    assert failed.returncode != 0 and "Argument list too long" in failed.stderr
