rule rarefy_table:
    input:
        "results/decontam/table.biom",
    output:
        table="results/diversity/rarefied_table.biom",
        summary="results/diversity/rarefaction_summary.tsv",
    log:
        "logs/rarefy_table.log",
    benchmark:
        "logs/benchmark/rarefy_table.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        settings=json.dumps(config["diversity"], sort_keys=True),
        seed=config["seed"],
    shell:
        "gutlung rarefy --table {input:q} --settings {params.settings:q} --seed {params.seed}"
        " --output {output.table:q} --summary {output.summary:q} > {log:q} 2>&1"


rule alpha_diversity:
    input:
        table="results/decontam/table.biom",
        tree=get_tree(),
    output:
        mean=report(
            "results/diversity/alpha.tsv",
            caption="../report/alpha.rst",
            category="Diversity",
        ),
        sd="results/diversity/alpha_sd.tsv",
    log:
        "logs/alpha_diversity.log",
    benchmark:
        "logs/benchmark/alpha_diversity.tsv"
    # the claims wait on it, as on beta_diversity
    priority: 1
    conda:
        "../envs/gutlung.yaml"
    params:
        settings=json.dumps(config["diversity"], sort_keys=True),
        tree=get_tree_arg,
        seed=config["seed"],
    shell:
        "gutlung alpha-diversity --table {input.table:q} {params.tree}"
        " --settings {params.settings:q} --seed {params.seed}"
        " --output {output.mean:q} --sd-output {output.sd:q} > {log:q} 2>&1"


rule rarefaction_curves:
    input:
        table="results/decontam/table.biom",
        tree=get_tree(),
        samples=SAMPLE_SHEET,
    output:
        samples="results/diversity/rarefaction_curves.tsv",
        groups="results/diversity/rarefaction_curves_by_group.tsv",
    log:
        "logs/rarefaction_curves.log",
    benchmark:
        "logs/benchmark/rarefaction_curves.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        settings=json.dumps(config["diversity"], sort_keys=True),
        tree=get_tree_arg,
        seed=config["seed"],
    shell:
        "gutlung rarefaction-curves --table {input.table:q} {params.tree}"
        " --samples {input.samples:q} --settings {params.settings:q}"
        " --seed {params.seed}"
        " --output {output.samples:q} --groups-output {output.groups:q} > {log:q} 2>&1"


# every metric in one job, each matrix with its PCoA (from 200 samples the
# metrics side by side on the job's threads): a job a metric (and one a PCoA)
# spent a second starting Python and scikit-bio for a fraction of a second of
# work at 48 samples
rule beta_diversity:
    input:
        table="results/decontam/table.biom",
        tree=get_tree(),
    output:
        distance=expand("results/diversity/beta/{metric}.tsv", metric=BETA_METRICS),
        pcoa=expand("results/diversity/pcoa/{metric}.txt", metric=BETA_METRICS),
    log:
        "logs/beta_diversity.log",
    benchmark:
        "logs/benchmark/beta_diversity.tsv"
    # first when the table is ready: the claims, PERMANOVA and the report wait on it
    priority: 1
    conda:
        "../envs/gutlung.yaml"
    threads: beta_threads()
    params:
        settings=json.dumps(config["diversity"], sort_keys=True),
        seed=config["seed"],
        tree=get_tree_arg,
        metrics=BETA_METRICS,
    shell:
        "gutlung beta-diversity --table {input.table:q} {params.tree}"
        " --metric {params.metrics:q} --settings {params.settings:q}"
        " --seed {params.seed} --output {output.distance:q}"
        " --pcoa-output {output.pcoa:q} --threads {threads} > {log:q} 2>&1"
