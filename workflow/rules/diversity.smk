rule rarefy_table:
    input:
        "results/asv/asv_table.biom",
    output:
        table="results/diversity/rarefied_table.biom",
        summary="results/diversity/rarefaction_summary.tsv",
    log:
        "logs/rarefy_table.log",
    conda:
        "../envs/gutlung.yaml"
    params:
        depth=config["diversity"]["rarefaction_depth"],
        seed=config["seed"],
    shell:
        "gutlung rarefy --table {input:q} --depth {params.depth} --seed {params.seed}"
        " --output {output.table:q} --summary {output.summary:q} > {log:q} 2>&1"


rule alpha_diversity:
    input:
        table="results/diversity/rarefied_table.biom",
        tree="results/phylogeny/tree.nwk",
    output:
        report(
            "results/diversity/alpha.tsv",
            caption="../report/alpha.rst",
            category="Diversity",
        ),
    log:
        "logs/alpha_diversity.log",
    conda:
        "../envs/gutlung.yaml"
    shell:
        "gutlung alpha-diversity --table {input.table:q} --tree {input.tree:q}"
        " --output {output:q} > {log:q} 2>&1"


rule beta_diversity:
    input:
        table="results/diversity/rarefied_table.biom",
        tree="results/phylogeny/tree.nwk",
    output:
        "results/diversity/beta/{metric}.tsv",
    log:
        "logs/beta_diversity/{metric}.log",
    conda:
        "../envs/gutlung.yaml"
    shell:
        "gutlung beta-diversity --table {input.table:q} --tree {input.tree:q}"
        " --metric {wildcards.metric} --output {output:q} > {log:q} 2>&1"


rule run_pcoa:
    input:
        "results/diversity/beta/{metric}.tsv",
    output:
        "results/diversity/pcoa/{metric}.txt",
    log:
        "logs/run_pcoa/{metric}.log",
    conda:
        "../envs/gutlung.yaml"
    shell:
        "gutlung pcoa --input {input:q} --output {output:q} > {log:q} 2>&1"
