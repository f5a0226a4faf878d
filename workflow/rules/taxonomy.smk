rule assign_taxonomy:
    input:
        asvs="results/asv/asv_seqs.fasta",
        reference=config["taxonomy"]["reference"],
    output:
        taxonomy="results/taxonomy/taxonomy.tsv",
        raw="results/taxonomy/sintax_predictions.tsv",
    log:
        "logs/assign_taxonomy.log",
    conda:
        "../envs/gutlung.yaml"
    params:
        confidence=config["taxonomy"]["confidence"],
        seed=config["seed"],
    shell:
        "gutlung assign-taxonomy --asvs {input.asvs:q} --reference {input.reference:q}"
        " --output {output.taxonomy:q} --raw {output.raw:q}"
        " --confidence {params.confidence} --seed {params.seed} > {log:q} 2>&1"
