# the alpha diversity, the rarefied table and the rarefaction curves in one
# job (one start of Python and scikit-bio, one reading of the table and the
# tree; each drawn from its own Generator seeded with `seed`, as three jobs
# drew them): three jobs spent about 0.9 s each starting them at 48 samples
rule alpha_diversity:
    input:
        table="results/decontam/table.biom",
        tree=get_tree(),
        samples=SAMPLE_SHEET,
    output:
        mean=report(
            "results/diversity/alpha.tsv",
            caption="../report/alpha.rst",
            category="Diversity",
        ),
        sd="results/diversity/alpha_sd.tsv",
        rarefied="results/diversity/rarefied_table.biom",
        summary="results/diversity/rarefaction_summary.tsv",
        curves="results/diversity/rarefaction_curves.tsv",
        curve_groups="results/diversity/rarefaction_curves_by_group.tsv",
    log:
        "logs/alpha_diversity.log",
    benchmark:
        "logs/benchmark/alpha_diversity.tsv"
    # the claims wait on it, as on beta_diversity
    priority: 1
    conda:
        "../envs/gutlung.yaml"
    # the curves' depths side by side from 200 samples (the same curves)
    threads: parallel_threads(config["diversity"]["curve_steps"])
    params:
        settings=json.dumps(config["diversity"], sort_keys=True),
        tree=get_tree_arg,
        seed=config["seed"],
    shell:
        "gutlung alpha-diversity --table {input.table:q} {params.tree}"
        " --settings {params.settings:q} --seed {params.seed} --threads {threads}"
        " --rarefied-output {output.rarefied:q} --rarefied-summary {output.summary:q}"
        " --curves-output {output.curves:q}"
        " --curves-groups-output {output.curve_groups:q} --samples {input.samples:q}"
        " --output {output.mean:q} --sd-output {output.sd:q} > {log:q} 2>&1"


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
    threads: parallel_threads(len(BETA_METRICS))
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
