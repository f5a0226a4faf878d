"""Write errors are said as such: a full disk or a read-only folder is one
line naming the folder and the fix, never a traceback; a tool that reports no
space (even exiting 0) fails and leaves nothing half written."""

import contextlib
import errno
import os

import pytest

from gutlung_pipeline.cli import main
from gutlung_pipeline.tools import ToolError, mount_point, run_tool


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            errno.ENOSPC,
            "no space left on device in {disk} (writing in {folder}); free space "
            "there and rerun (finished steps are kept, nothing half written is)",
        ),
        (
            errno.EROFS,
            "cannot write in {folder} (Read-only file system); make the folder "
            "writable or run from another one",
        ),
    ],
)
def test_a_write_error_is_one_line_naming_the_folder(
    tmp_path, monkeypatch, capsys, code, message
):
    import gutlung_pipeline.io as io

    (tmp_path / "d.tsv").write_text("\ta\tb\na\t0\t1\nb\t1\t0\n")
    target = tmp_path / "out" / "p.txt"

    @contextlib.contextmanager
    def failing(path):
        raise OSError(code, os.strerror(code), str(target))
        yield  # pragma: no cover

    monkeypatch.setattr(io, "atomic_path", failing)
    args = ["pcoa", "--input", str(tmp_path / "d.tsv"), "--output", str(target)]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    from gutlung_pipeline.tools import mount_point

    disk = mount_point(tmp_path)
    assert err == "gutlung pcoa: error: " + message.format(
        folder=tmp_path / "out", disk=disk
    )
    assert not target.exists()


def test_a_tool_that_reports_no_space_fails_even_when_it_exits_0(tmp_path, monkeypatch):
    tool = tmp_path / "bin" / "faketool"
    tool.parent.mkdir()
    tool.write_text(
        "#!/bin/sh\necho 'Unable to write: No space left on device' >&2\nexit 0\n"
    )
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tool.parent}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "work" / "merged.fastq"
    out.parent.mkdir()
    out.write_text("@r\nACGT\n+\nIIII\n")  # what the tool managed to write
    with pytest.raises(ToolError) as err:
        run_tool(["faketool"], context="sample S1", outputs=[out])
    assert str(err.value) == (
        f"faketool ran out of disk space on sample S1: no space left on device in "
        f"{mount_point(out.parent)}; free space there and rerun (finished steps are "
        "kept)"
    )
    assert not out.exists()
