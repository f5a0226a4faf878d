# Short-chain-fatty-acid producers (resources/scfa): each sample's share of
# reads in butyrate and propionate producers, and their balances.


rule compute_scfa:
    input:
        table="results/decontam/table.biom",
        taxonomy="results/taxonomy/taxonomy.tsv",
    output:
        "results/scfa/indices.tsv",
    log:
        "logs/compute_scfa.log",
    benchmark:
        "logs/benchmark/compute_scfa.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        settings=json.dumps(config["scfa"], sort_keys=True),
    shell:
        "gutlung scfa --table {input.table:q} --taxonomy {input.taxonomy:q}"
        " --settings {params.settings:q} --output {output:q} > {log:q} 2>&1"
