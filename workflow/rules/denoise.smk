rule merge_pairs:
    input:
        r1="results/work/trimmed/{sample}_R1.fastq.gz",
        r2="results/work/trimmed/{sample}_R2.fastq.gz",
    output:
        merged=temp("results/work/merged/{sample}.fastq"),
        stats="results/work/stats/{sample}/merge.json",
    log:
        "logs/merge_pairs/{sample}.log",
    benchmark:
        "logs/benchmark/merge_pairs/{sample}.tsv"
    conda:
        "../envs/gutlung.yaml"
    threads: config["threads"]
    params:
        min_overlap=config["merge"]["min_overlap"],
        max_diffs=config["merge"]["max_diffs"],
    shell:
        "gutlung merge-pairs --sample {wildcards.sample:q} --r1 {input.r1:q}"
        " --r2 {input.r2:q} --output {output.merged:q} --stats {output.stats:q}"
        " --min-overlap {params.min_overlap} --max-diffs {params.max_diffs}"
        " --threads {threads} > {log:q} 2>&1"


rule filter_reads:
    input:
        get_filter_input,
    output:
        fasta=temp("results/work/filtered/{sample}.fasta"),
        stats="results/work/stats/{sample}/filter.json",
    log:
        "logs/filter_reads/{sample}.log",
    benchmark:
        "logs/benchmark/filter_reads/{sample}.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        max_ee=config["filter"]["max_ee"],
        max_ns=config["filter"]["max_ns"],
        lengths=get_filter_args(),
    shell:
        "gutlung filter-reads --sample {wildcards.sample:q} --input {input:q}"
        " --output {output.fasta:q} --stats {output.stats:q}"
        " --max-ee {params.max_ee} --max-ns {params.max_ns} {params.lengths}"
        " > {log:q} 2>&1"


rule dereplicate_sample:
    input:
        "results/work/filtered/{sample}.fasta",
    output:
        derep=temp("results/work/derep/{sample}.fasta"),
        candidates=temp("results/work/candidates/{sample}.fasta"),
    log:
        "logs/dereplicate_sample/{sample}.log",
    benchmark:
        "logs/benchmark/dereplicate_sample/{sample}.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        min_size=config["denoise"]["sample_min_size"],
        alpha=config["denoise"]["unoise_alpha"],
    shell:
        "gutlung dereplicate --sample {wildcards.sample:q} --input {input:q}"
        " --output {output.derep:q} --candidates {output.candidates:q}"
        " --candidate-min-size {params.min_size} --alpha {params.alpha}"
        " > {log:q} 2>&1"


rule pool_uniques:
    input:
        lambda w: expand("results/work/derep/{sample}.fasta", sample=get_samples()),
    output:
        temp("results/work/pooled_uniques.fasta"),
    log:
        "logs/pool_uniques.log",
    benchmark:
        "logs/benchmark/pool_uniques.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        min_size=config["denoise"]["min_size"],
    shell:
        "gutlung pool-uniques --inputs {input:q} --output {output:q}"
        " --min-size {params.min_size} > {log:q} 2>&1"


rule denoise_uniques:
    input:
        pooled="results/work/pooled_uniques.fasta",
        candidates=lambda w: expand(
            "results/work/candidates/{sample}.fasta", sample=get_samples()
        ),
    output:
        "results/work/unoise.fasta",
    log:
        "logs/denoise_uniques.log",
    benchmark:
        "logs/benchmark/denoise_uniques.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        min_size=config["denoise"]["min_size"],
        alpha=config["denoise"]["unoise_alpha"],
        all_lengths="" if config["denoise"]["by_length"] else "--all-lengths",
    shell:
        "gutlung denoise --input {input.pooled:q} --output {output:q}"
        " --candidates {input.candidates:q} --min-size {params.min_size}"
        " --alpha {params.alpha} {params.all_lengths} > {log:q} 2>&1"


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
    conda:
        "../envs/gutlung.yaml"
    threads: config["threads"]
    params:
        abskew=config["denoise"]["chimera_abskew"],
        reference=get_chimera_reference_arg,
    shell:
        "gutlung remove-chimeras --input {input.asvs:q} --output {output:q}"
        " --abskew {params.abskew} {params.reference} --threads {threads}"
        " > {log:q} 2>&1"


rule map_reads:
    input:
        reads="results/work/derep/{sample}.fasta",
        asvs="results/work/nonchimeric.fasta",
    output:
        "results/work/mapped/{sample}.tsv",
    log:
        "logs/map_reads/{sample}.log",
    benchmark:
        "logs/benchmark/map_reads/{sample}.tsv"
    conda:
        "../envs/gutlung.yaml"
    threads: config["threads"]
    params:
        identity=config["denoise"]["map_identity"],
    shell:
        "gutlung map-reads --sample {wildcards.sample:q} --reads {input.reads:q}"
        " --asvs {input.asvs:q} --output {output:q} --identity {params.identity}"
        " --threads {threads} > {log:q} 2>&1"


rule build_asv_table:
    input:
        asvs="results/work/nonchimeric.fasta",
        mapped=lambda w: expand(
            "results/work/mapped/{sample}.tsv", sample=get_samples()
        ),
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
    conda:
        "../envs/gutlung.yaml"
    params:
        samples=get_samples,
    shell:
        "gutlung build-table --asvs {input.asvs:q} --samples {params.samples:q}"
        " --mapped {input.mapped:q} --stats {input.stats:q}"
        " --biom {output.biom:q} --tsv {output.tsv:q} --fasta {output.fasta:q}"
        " --tracking {output.tracking:q} > {log:q} 2>&1"
