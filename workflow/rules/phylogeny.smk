rule align_asvs:
    input:
        "results/asv/asv_seqs.fasta",
    output:
        temp("results/phylogeny/asv_aligned.fasta"),
    log:
        "logs/align_asvs.log",
    benchmark:
        "logs/benchmark/align_asvs.tsv"
    # on the critical path after the table (with assign_taxonomy, beta_diversity)
    priority: 1
    conda:
        "../envs/mafft.yaml"
    # MAFFT's default strategy (FFT-NS-2) with QIIME 2's options (q2-alignment's
    # mafft: --preservecase --inputorder); --auto chose L-INS-i under 200
    # sequences (8 s for 150) and FFT-NS-i up to a few hundred (3 s for 250),
    # against 0.4-0.5 s (benchmarks/README.md). One thread: repeatable.
    shell:
        "mafft --preservecase --inputorder --thread 1 {input:q} > {output:q} 2> {log:q}"


# FastTree and the midpoint rooting in one job: scikit-bio (the rooting's
# second of import) loads while FastTree runs
rule build_tree:
    input:
        "results/phylogeny/asv_aligned.fasta",
    output:
        "results/phylogeny/tree.nwk",
    log:
        "logs/build_tree.log",
    benchmark:
        "logs/benchmark/build_tree.tsv"
    # on the critical path after the taxonomy (alpha and beta diversity wait)
    priority: 1
    conda:
        "../envs/gutlung.yaml"
    params:
        seed=config["seed"],
    shell:
        "gutlung build-tree --alignment {input:q} --output {output:q}"
        " --seed {params.seed} > {log:q} 2>&1"
