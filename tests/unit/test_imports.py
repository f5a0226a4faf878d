"""Per-sample steps run once per sample: their modules must not load pandas,
numpy or scikit-bio (about 0.5 s and 60 MB per job). Not a timing test: it
checks which modules are imported. (yaml is loaded: the parser reads the
options' defaults from the config schema.)"""

import subprocess
import sys


def test_per_sample_steps_import_no_heavy_libraries():
    code = (
        "import sys\n"
        "import gutlung_pipeline.cli, gutlung_pipeline.reads, gutlung_pipeline.denoise\n"
        "import gutlung_pipeline.io, gutlung_pipeline.tools, gutlung_pipeline.errors\n"
        "gutlung_pipeline.cli.build_parser()\n"
        "heavy = [m for m in ('pandas', 'numpy', 'skbio', 'biom', 'jsonschema') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


PACKAGE = __import__("pathlib").Path(__file__).resolve().parents[2] / "src"
#: The low wings: what decides which samples exist and reads them in, the
#: schemas, and the plain table helpers. They import nothing above them.
LOW = (
    "schema",
    "errors",
    "io",
    "tables",
    "tools",
    "sequences",
    "seeds",
    "quality",
    "inputs",
)
#: What a low module may import from the package (taxonomy for its ranks).
ALLOWED_BELOW = {*LOW, "taxonomy"}


def _imports(path):
    """(module it imports, names) for every import of a package module, lazy
    ones inside functions included."""
    import ast

    rel = path.relative_to(PACKAGE / "gutlung_pipeline").with_suffix("")
    parts = list(rel.parts)
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif (node.module or "").startswith("gutlung_pipeline"):
                target = node.module.split(".")[1:]
            else:
                continue
            yield target, [a.name for a in node.names]


def test_imports_point_down_and_no_private_name_crosses_a_module():
    """schema, errors, io, tables and the inputs wing import no science,
    config, cli or report module; no module imports another's private name."""
    private, upward = [], []
    for path in sorted((PACKAGE / "gutlung_pipeline").rglob("*.py")):
        rel = path.relative_to(PACKAGE / "gutlung_pipeline")
        top = rel.parts[0].removesuffix(".py")
        for target, names in _imports(path):
            module = ".".join(target)
            for name in names:
                if name.startswith("_") and name != "__version__":
                    private.append(f"{rel}: {module}.{name}")
            if top in LOW and target and target[0] not in ALLOWED_BELOW:
                # a subpackage's own modules import each other freely
                upward.append(f"{rel} imports {module}")
    assert private == []
    assert upward == []
