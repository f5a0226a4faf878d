"""Write the Qiita stand-ins of the Subramanian config (config/studies/subramanian).

This machine cannot reach Qiita, so these are NOT the study's files: they are
a sample-information file and a deblur-style BIOM table (feature IDs are
150 nt V4 sequences: the first 150 nt of one reference sequence per genus of
the shipped demo reference) in Qiita's export formats, with made-up samples
and counts, and column names and values as the study's metadata uses them
(12 healthy children and 6 with severe acute malnutrition, monthly stool).
They let `snakemake -n` plan the study offline (tests/workflow/test_studies.py).
Regenerate with `python tests/data/qiita/standins.py`.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from gutlung_pipeline.io import write_biom
from gutlung_pipeline.simulate import load_reference

HERE = Path(__file__).parent / "1454"
REFERENCE = HERE.parents[3] / "resources/reference/gg_13_8_v4.sintax.fasta.gz"
MONTHS = [1, 2, 3, 4, 6, 9, 12, 15, 18, 24]


def main():
    rng = np.random.default_rng(1454)
    rows = []
    for k in range(18):
        status = "healthy" if k < 12 else "SAM"
        for month in MONTHS if status == "healthy" else MONTHS[3:9]:
            rows.append(
                {
                    "sample_name": f"1454.BGD{k + 1:02d}.m{month:02d}",
                    "host_subject_id": f"BGD{k + 1:02d}",
                    "sample_type": "stool",
                    "age_months": str(month),
                    "sex": "female" if k % 2 else "male",
                    "health_status": status,
                    "country": "Bangladesh",
                }
            )
    info = pd.DataFrame(rows)
    reference = load_reference(REFERENCE).drop_duplicates("genus").head(20)
    seqs = [s[:150] for s in reference["sequence"]]
    counts = rng.poisson(80, size=(len(seqs), len(info)))
    table = pd.DataFrame(counts, index=seqs, columns=info["sample_name"])
    HERE.mkdir(exist_ok=True)
    info.to_csv(HERE / "sample_information.tsv", sep="\t", index=False)
    write_biom(table, HERE / "table.biom")


if __name__ == "__main__":
    main()
