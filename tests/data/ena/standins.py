"""Write the ENA stand-ins of the shipped study configs (config/studies/).

This machine cannot reach ENA, so these are NOT recorded answers: they are
files in the exact format the workflow keeps in its cache (the portal API's
filereport TSV, and the sample attributes table it builds from ENA's sample
XML), with made-up runs (ERR9..., SRR9...), sample accessions and md5 sums,
and attribute names and values as the studies' metadata uses them. They let
`snakemake -n` plan each study offline (tests/workflow/test_studies.py).
Regenerate with `python tests/data/ena/standins.py`.
"""

import hashlib
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
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


def fake_md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def write(study, runs, attributes, *, layout, prefix):
    rows = []
    for k, alias in enumerate(runs):
        run = f"{prefix}RR9{int(fake_md5(study)[:4], 16) % 100:02d}{k:04d}"
        sample = f"SAMEA9{int(fake_md5(study)[:4], 16) % 100:02d}{k:04d}"
        mates = ["_1", "_2"] if layout == "PAIRED" else [""]
        files = [
            f"ftp.sra.ebi.ac.uk/vol1/fastq/{run[:6]}/{run}/{run}{m}.fastq.gz"
            for m in mates
        ]
        rows.append(
            [
                run,
                sample,
                ";".join(files),
                ";".join(fake_md5(f) for f in files),
                ";".join("1000000" for _ in files),
                layout,
                "Illumina MiSeq",
                study,
                alias,
            ]
        )
        attributes[k]["sample_accession"] = sample
        attributes[k]["sample_alias"] = alias
    report = pd.DataFrame(rows, columns=FIELDS)
    (HERE / "filereport").mkdir(exist_ok=True)
    (HERE / "attributes").mkdir(exist_ok=True)
    report.to_csv(HERE / "filereport" / f"{study}.tsv", sep="\t", index=False)
    attrs = pd.DataFrame(attributes)
    first = ["sample_accession", "sample_alias"]
    attrs[first + [c for c in attrs.columns if c not in first]].to_csv(
        HERE / "attributes" / f"{study}.tsv", sep="\t", index=False
    )


def american_gut():
    aliases, attrs = [], []
    answers = [
        "I do not have this condition",
        "Diagnosed by a medical professional (doctor, physician assistant)",
        "Self-diagnosed",
        "Not provided",
    ]
    for k in range(10):
        aliases.append(f"10317.00004{k:04d}")
        attrs.append(
            {
                "host_subject_id": f"agp{k:03d}",
                "sample_type": "Stool",
                "body_habitat": "UBERON:feces",
                "age_years": str(20 + 4 * k),
                "sex": ["female", "male"][k % 2],
                "lung_disease": answers[k % 4],
                "antibiotic_history": [
                    "I have not taken antibiotics in the past year.",
                    "Month",
                    "6 months",
                    "Year",
                ][k % 4],
            }
        )
    attrs[9].update(sample_type="Skin", body_habitat="UBERON:skin")
    for k in range(2):
        aliases.append(f"10317.BLANK.{k + 1}")
        attrs.append(
            {
                "host_subject_id": "not applicable",
                "sample_type": "control blank",
                "body_habitat": "not applicable",
                "age_years": "not applicable",
                "sex": "not applicable",
                "lung_disease": "not applicable",
                "antibiotic_history": "not applicable",
            }
        )
    write("PRJEB11419", aliases, attrs, layout="SINGLE", prefix="E")


def ecam():
    aliases, attrs = [], []
    months = [0, 1, 2, 3, 4, 6, 9, 12, 18, 24]
    for child in range(12):
        for m in months:
            aliases.append(f"10249.C{child:03d}.{m}")
            attrs.append(
                {
                    "host_subject_id": f"C{child:03d}",
                    "mom_child": "C",
                    "sample_type": "Stool",
                    "month": str(m),
                    "sex": ["Female", "Male"][child % 2],
                    "delivery": ["Vaginal", "Cesarean"][child % 3 == 0],
                    "antiexposedall": "y" if child % 4 == 0 else "n",
                }
            )
    for mom in range(2):
        aliases.append(f"10249.M{mom:03d}")
        attrs.append(
            {
                "host_subject_id": f"M{mom:03d}",
                "mom_child": "M",
                "sample_type": "Stool",
                "month": "not applicable",
                "sex": "Female",
                "delivery": "not applicable",
                "antiexposedall": "n",
            }
        )
    write("ERP016173", aliases, attrs, layout="SINGLE", prefix="E")


def chile_asthma():
    aliases, attrs = [], []
    for k in range(16):
        site = ["nasopharynx", "oropharynx"][k % 2]
        aliases.append(f"{'NS' if k % 2 == 0 else 'OS'}{k // 2:02d}")
        attrs.append(
            {
                "host_subject_id": f"child{k // 2:02d}",
                "isolation_source": site,
                "host_disease": "asthma" if (k // 2) % 2 == 0 else "healthy",
                "host_age": str(6 + (k // 2) % 8),
                "host_sex": ["female", "male"][(k // 2) % 2],
            }
        )
    write("PRJNA446042", aliases, attrs, layout="PAIRED", prefix="S")


def copd_sputum(out: Path) -> list[str]:
    """One filereport and one attributes file a run of the COPD sputum config.

    Written where a test asks (181 runs, not kept here). The run accessions
    are the config's (real); their samples, files, md5 sums and attributes
    are made up, in ENA's formats.
    """
    import yaml

    mapping = yaml.safe_load(
        (HERE.parents[2] / "config/studies/copd_sputum/mapping.yaml").read_text()
    )
    runs = mapping["columns"]["run"]["values"]
    for kind in ("filereport", "attributes"):
        (out / kind).mkdir(parents=True, exist_ok=True)
    for k, (run, cohort) in enumerate(runs.items()):
        sample = f"SAMN9{k:07d}"
        files = [
            f"ftp.sra.ebi.ac.uk/vol1/fastq/{run[:6]}/00{run[-1]}/{run}/{run}{m}.fastq.gz"
            for m in ("_1", "_2")
        ]
        row = [
            run,
            sample,
            ";".join(files),
            ";".join(fake_md5(f) for f in files),
            "1000000;1000000",
            "PAIRED",
            "Illumina MiSeq",
            "SRP102000",
            f"{cohort}_{run}",
        ]
        pd.DataFrame([row], columns=FIELDS).to_csv(
            out / "filereport" / f"{run}.tsv", sep="\t", index=False
        )
        pd.DataFrame(
            [
                {
                    "sample_accession": sample,
                    "sample_alias": f"{cohort}_{run}",
                    "isolation_source": "sputum",
                }
            ]
        ).to_csv(out / "attributes" / f"{run}.tsv", sep="\t", index=False)
    return list(runs)


if __name__ == "__main__":
    american_gut()
    ecam()
    chile_asthma()
