# The default engine (denoise.engine: unoise). The samples' read steps run a
# few samples a job (denoise.samples_per_job); the ASVs are found in the pooled
# uniques plus each sample's own UNOISE centroids; one search then counts every
# sample's reads.


rule sample_reads:
    input:
        unpack(get_batch_fastq),
    output:
        derep=temp("results/work/derep/{batch}.fasta"),
        mapping=temp("results/work/mappable/{batch}.fasta"),
        candidates=temp("results/work/candidates/{batch}.fasta"),
        stats="results/work/stats/{batch}/reads.json",
        qc=temp(directory("results/work/qc/{batch}")),
    log:
        "logs/sample_reads/{batch}.log",
    benchmark:
        "logs/benchmark/sample_reads/{batch}.tsv"
    conda:
        "../envs/gutlung.yaml"
    # one thread a job, threads jobs side by side (sample_batches): each job's
    # start and end (Python, its modules, the joined outputs) overlap the
    # other jobs' samples, where a job on every thread left the others idle
    threads: 1
    params:
        samples=lambda w: sample_batches()[w.batch],
        fq2=get_fq2_arg,
        primers=get_primer_args(),
        reads=get_read_filter_args(),
        min_size=config["denoise"]["sample_min_size"],
        alpha=config["denoise"]["unoise_alpha"],
        search=config["denoise"]["unoise_search"],
    shell:
        "gutlung sample-reads --samples {params.samples:q} --fq1 {input.fq1:q}"
        " {params.fq2} {params.primers} {params.reads}"
        " --derep {output.derep:q} --mapping {output.mapping:q}"
        " --candidates {output.candidates:q} --candidate-min-size {params.min_size}"
        " --alpha {params.alpha} --unoise-search {params.search:q}"
        " --threads {threads} --stats {output.stats:q}"
        " --qc-dir {output.qc:q} > {log:q} 2>&1"


rule pool_uniques:
    input:
        derep=batch_files("results/work/derep/{batch}.fasta"),
        stats=batch_files("results/work/stats/{batch}/reads.json"),
    output:
        temp("results/work/pooled_uniques.fasta"),
    log:
        "logs/pool_uniques.log",
    benchmark:
        "logs/benchmark/pool_uniques.tsv"
    # the path to the table: before the read QC and the side jobs, which
    # would hold a core while this waits for every thread
    priority: 2
    conda:
        "../envs/gutlung.yaml"
    threads: config["threads"]
    params:
        min_size=config["denoise"]["min_size"],
        per_million=config["denoise"]["min_per_million"],
    shell:
        "gutlung pool-uniques --inputs {input.derep:q} --output {output:q}"
        " --min-size {params.min_size} --min-per-million {params.per_million}"
        " --stats {input.stats:q} --threads {threads} > {log:q} 2>&1"


rule denoise_uniques:
    input:
        pooled="results/work/pooled_uniques.fasta",
        candidates=batch_files("results/work/candidates/{batch}.fasta"),
    output:
        "results/work/unoise.fasta",
    log:
        "logs/denoise_uniques.log",
    benchmark:
        "logs/benchmark/denoise_uniques.tsv"
    # the path to the table (pool_uniques)
    priority: 2
    conda:
        "../envs/gutlung.yaml"
    threads: config["threads"]
    params:
        min_size=config["denoise"]["min_size"],
        neighbour_min_size=config["denoise"]["neighbour_min_size"],
        alpha=config["denoise"]["unoise_alpha"],
        all_lengths="" if config["denoise"]["by_length"] else "--all-lengths",
        search=config["denoise"]["unoise_search"],
    shell:
        "gutlung denoise --input {input.pooled:q} --output {output:q}"
        " --candidates {input.candidates:q} --min-size {params.min_size}"
        " --neighbour-min-size {params.neighbour_min_size}"
        " --alpha {params.alpha} {params.all_lengths}"
        " --unoise-search {params.search:q} --threads {threads} > {log:q} 2>&1"


rule remove_chimeras:
    input:
        asvs="results/work/unoise.fasta",
        reference=get_chimera_reference,
    output:
        "results/work/nonchimeric.fasta",
    log:
        "logs/remove_chimeras.log",
    benchmark:
        "logs/benchmark/remove_chimeras.tsv"
    # the path to the table (pool_uniques)
    priority: 2
    conda:
        "../envs/gutlung.yaml"
    # vsearch's de novo check runs on one thread; the reference steps on all
    threads: config["threads"] if get_chimera_reference() else 1
    params:
        abskew=config["denoise"]["chimera_abskew"],
        bimera_fold=config["denoise"]["bimera_fold"],
        reference=get_chimera_reference_arg,
    shell:
        "gutlung remove-chimeras --input {input.asvs:q} --output {output:q}"
        " --abskew {params.abskew} --bimera-fold {params.bimera_fold}"
        " {params.reference} --threads {threads}"
        " > {log:q} 2>&1"


rule map_reads:
    input:
        reads=batch_files("results/work/mappable/{batch}.fasta"),
        asvs="results/work/nonchimeric.fasta",
    output:
        temp("results/work/mapped.tsv"),
    log:
        "logs/map_reads.log",
    benchmark:
        "logs/benchmark/map_reads.tsv"
    # the path to the table (pool_uniques)
    priority: 2
    conda:
        "../envs/gutlung.yaml"
    threads: config["threads"]
    params:
        identity=config["denoise"]["map_identity"],
        overhang=(
            "none"
            if config["denoise"]["map_overhang"] is None
            else config["denoise"]["map_overhang"]
        ),
    shell:
        "gutlung map-samples --mapping {input.reads:q} --asvs {input.asvs:q}"
        " --output {output:q} --identity {params.identity}"
        " --overhang {params.overhang} --threads {threads} > {log:q} 2>&1"


rule build_asv_table:
    input:
        asvs="results/work/nonchimeric.fasta",
        mapped="results/work/mapped.tsv",
        stats=get_step_stats,
    output:
        biom="results/asv/asv_table.biom",
        tsv="results/asv/asv_table.tsv",
        fasta="results/asv/asv_seqs.fasta",
        tracking=report(
            "results/asv/read_tracking.tsv",
            caption="../report/read_tracking.rst",
            category="Reads to ASVs",
        ),
    log:
        "logs/build_asv_table.log",
    benchmark:
        "logs/benchmark/build_asv_table.tsv"
    # the path to the table (pool_uniques)
    priority: 2
    conda:
        "../envs/gutlung.yaml"
    params:
        samples=get_samples,
        min_kept=config["qc"]["min_kept"],
        sample_min_kept=config["qc"]["sample_min_kept"],
        sample_min_reads=config["qc"]["sample_min_reads"],
        min_merged=config["qc"]["min_merged"],
        consensus_fold=config["denoise"]["consensus_fold"],
        consensus_min_fraction=config["denoise"]["consensus_min_fraction"],
    shell:
        "gutlung build-table --asvs {input.asvs:q} --samples {params.samples:q}"
        " --consensus-fold {params.consensus_fold}"
        " --consensus-min-fraction {params.consensus_min_fraction}"
        " --otutab {input.mapped:q} --stats {input.stats:q} --min-kept {params.min_kept}"
        " --sample-min-kept {params.sample_min_kept}"
        " --sample-min-reads {params.sample_min_reads}"
        " --min-merged {params.min_merged}"
        " --biom {output.biom:q} --tsv {output.tsv:q} --fasta {output.fasta:q}"
        " --tracking {output.tracking:q} > {log:q} 2>&1"
