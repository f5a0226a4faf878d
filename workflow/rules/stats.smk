# every metric in one job: a job a metric spent a second starting Python and
# its modules for a fraction of a second of permutations (48 samples)
rule permanova:
    input:
        distance=expand("results/diversity/beta/{metric}.tsv", metric=BETA_METRICS),
        samples=SAMPLE_SHEET,
    output:
        expand("results/stats/permanova/{metric}.tsv", metric=BETA_METRICS),
    log:
        "logs/permanova.log",
    benchmark:
        "logs/benchmark/permanova.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        settings=json.dumps(config["stats"], sort_keys=True),
        seed=config["seed"],
        metrics=BETA_METRICS,
    shell:
        "gutlung permanova --distance {input.distance:q} --metadata {input.samples:q}"
        " --settings {params.settings:q} --metric {params.metrics:q}"
        " --seed {params.seed} --output {output:q} > {log:q} 2>&1"


rule differential_abundance:
    input:
        table="results/decontam/table.biom",
        taxonomy="results/taxonomy/taxonomy.tsv",
        samples=SAMPLE_SHEET,
    output:
        report(
            "results/stats/differential_abundance.tsv",
            caption="../report/differential.rst",
            category="Statistics",
        ),
    log:
        "logs/differential_abundance.log",
    benchmark:
        "logs/benchmark/differential_abundance.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        settings=json.dumps(config["stats"], sort_keys=True),
        seed=config["seed"],
    shell:
        "gutlung differential --table {input.table:q} --taxonomy {input.taxonomy:q}"
        " --metadata {input.samples:q} --settings {params.settings:q}"
        " --seed {params.seed} --output {output:q} > {log:q} 2>&1"


rule alpha_mixed_models:
    input:
        alpha="results/diversity/alpha.tsv",
        samples=SAMPLE_SHEET,
    output:
        "results/stats/alpha_mixed_models.tsv",
    log:
        "logs/alpha_mixed_models.log",
    benchmark:
        "logs/benchmark/alpha_mixed_models.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        settings=json.dumps(config["stats"], sort_keys=True),
    shell:
        "gutlung alpha-lme --alpha {input.alpha:q} --metadata {input.samples:q}"
        " --settings {params.settings:q} --output {output:q} > {log:q} 2>&1"


rule paired_gut_lung:
    input:
        table="results/decontam/table.biom",
        distance=f"results/diversity/beta/{config['stats']['paired']['metric']}.tsv",
        samples=SAMPLE_SHEET,
    output:
        tests="results/stats/paired_gut_lung.tsv",
        per_sample="results/stats/paired_lung_samples.tsv",
    log:
        "logs/paired_gut_lung.log",
    benchmark:
        "logs/benchmark/paired_gut_lung.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        settings=json.dumps(config["stats"], sort_keys=True),
        seed=config["seed"],
    shell:
        "gutlung paired --table {input.table:q} --distance {input.distance:q}"
        " --metadata {input.samples:q} --settings {params.settings:q}"
        " --seed {params.seed}"
        " --output {output.tests:q} --per-sample {output.per_sample:q} > {log:q} 2>&1"
