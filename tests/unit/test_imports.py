"""Per-sample steps run once per sample: their modules must not load pandas,
numpy or scikit-bio (about 0.5 s and 60 MB per job). Not a timing test: it
checks which modules are imported."""

import subprocess
import sys


def test_per_sample_steps_import_no_heavy_libraries():
    code = (
        "import sys\n"
        "import gutlung_pipeline.cli, gutlung_pipeline.reads, gutlung_pipeline.denoise\n"
        "import gutlung_pipeline.io, gutlung_pipeline.tools, gutlung_pipeline.errors\n"
        "heavy = [m for m in ('pandas', 'numpy', 'skbio', 'yaml', 'biom') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
