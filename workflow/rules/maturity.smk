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
        settings=json.dumps(config["maturity"], sort_keys=True),
        seed=config["seed"],
    shell:
        "gutlung maturity --table {input.table:q} --metadata {input.samples:q}"
        " --taxonomy {input.taxonomy:q} --settings {params.settings:q}"
        " --seed {params.seed} --threads {threads}"
        " --output {output.scores:q} --importances {output.importances:q} > {log:q} 2>&1"
