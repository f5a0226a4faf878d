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


rule build_tree:
    input:
        "results/phylogeny/asv_aligned.fasta",
    output:
        temp("results/phylogeny/unrooted.nwk"),
    log:
        "logs/build_tree.log",
    benchmark:
        "logs/benchmark/build_tree.tsv"
    # on the critical path after the table (with assign_taxonomy, beta_diversity)
    priority: 1
    conda:
        "../envs/fasttree.yaml"
    params:
        # FastTree's seed must be positive: the config's seed, plus one
        seed=config["seed"] + 1,
    shell:
        "FastTree -nt -gtr -seed {params.seed} {input:q} > {output:q} 2> {log:q}"


rule root_tree:
    input:
        "results/phylogeny/unrooted.nwk",
    output:
        "results/phylogeny/tree.nwk",
    log:
        "logs/root_tree.log",
    benchmark:
        "logs/benchmark/root_tree.tsv"
    # on the critical path after the table (with assign_taxonomy, beta_diversity)
    priority: 1
    conda:
        "../envs/gutlung.yaml"
    shell:
        "gutlung root-tree --input {input:q} --output {output:q} > {log:q} 2>&1"
