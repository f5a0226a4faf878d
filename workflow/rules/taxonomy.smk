rule fetch_reference:
    input:
        manifest=config["taxonomy"]["manifest"],
    output:
        "resources/databases/{name}.sintax.fasta.gz",
    log:
        "logs/fetch_reference/{name}.log",
    benchmark:
        "logs/benchmark/fetch_reference/{name}.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        sha256=config["taxonomy"].get("sha256", []),
    shell:
        "gutlung fetch-reference --manifest {input.manifest:q} --name {wildcards.name:q}"
        " --output {output:q} --download-dir resources/databases/downloads"
        " --sha256 {params.sha256:q} > {log:q} 2>&1"


# A table that enters with its own taxonomy keeps it (rule import_table).
if not TAXONOMY_GIVEN and not STUDIES:

    rule assign_taxonomy:
        input:
            asvs="results/asv/asv_seqs.fasta",
            reference=get_taxonomy_reference(),
        output:
            taxonomy="results/taxonomy/taxonomy.tsv",
            raw="results/taxonomy/sintax_predictions.tsv",
        log:
            "logs/assign_taxonomy.log",
        benchmark:
            "logs/benchmark/assign_taxonomy.tsv"
        # the critical path: decontaminate and everything after wait for it.
        # First and on every core, then the tree (one thread) beside
        # decontaminate and the side branches: 17-21 s after the table on
        # 2 cores, against 20-23 s with a core kept for the tree
        # (benchmarks/README.md)
        priority: 2
        conda:
            "../envs/gutlung.yaml"
        threads: config["threads"]
        params:
            confidence=config["taxonomy"]["confidence"],
            seed=config["seed"],
        shell:
            "gutlung assign-taxonomy --asvs {input.asvs:q} --reference {input.reference:q}"
            " --output {output.taxonomy:q} --raw {output.raw:q}"
            " --confidence {params.confidence} --seed {params.seed} --threads {threads}"
            " > {log:q} 2>&1"
