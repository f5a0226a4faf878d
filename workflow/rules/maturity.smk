rule compute_maturity:
    input:
        table="results/decontam/table.biom",
        taxonomy="results/taxonomy/taxonomy.tsv",
        samples=SAMPLE_SHEET,
    output:
        scores=report(
            "results/maturity/maturity.tsv",
            caption="../report/maturity.rst",
            category="Maturity",
        ),
        importances="results/maturity/importances.tsv",
    log:
        "logs/compute_maturity.log",
    benchmark:
        "logs/benchmark/compute_maturity.tsv"
    conda:
        "../envs/gutlung.yaml"
    threads: config["threads"]
    params:
        m=config["maturity"],
        edges=" ".join(str(e) for e in config["maturity"]["bin_edges"]),
        seed=config["seed"],
    shell:
        "gutlung maturity --table {input.table:q} --metadata {input.samples:q}"
        " --taxonomy {input.taxonomy:q} --mode {params.m[mode]} --rank {params.m[rank]}"
        " --body-site {params.m[body_site]:q} --age-column {params.m[age_column]:q}"
        " --max-age {params.m[max_age]} --bin-edges {params.edges}"
        " --subject-column {params.m[subject_column]:q}"
        " --group-by {params.m[reference_column]:q} --control {params.m[reference_value]:q}"
        " --method {params.m[method]} --n-estimators {params.m[n_estimators]} --n-selected {params.m[n_selected]}"
        " --folds {params.m[folds]} --min-per-bin {params.m[min_per_bin]}"
        " --seed {params.seed} --threads {threads}"
        " --output {output.scores:q} --importances {output.importances:q} > {log:q} 2>&1"
