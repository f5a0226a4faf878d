# The DADA2 engine (denoise.engine: dada2): after cutadapt's primer trimming,
# DADA2's standard steps per error-model group (a run, or all samples), then
# chimera removal on the whole table; the same outputs as the default engine.


rule dada2_denoise:
    input:
        unpack(get_dada2_reads),
    output:
        seqtab="results/work/dada2/{group}/seqtab.tsv",
        track="results/work/dada2/{group}/track.tsv",
    log:
        "logs/dada2_denoise/{group}.log",
    benchmark:
        "logs/benchmark/dada2_denoise/{group}.tsv"
    conda:
        "../envs/dada2.yaml"
    threads: config["threads"]
    params:
        samples=lambda w: dada2_groups()[w.group],
        fq2=get_dada2_fq2_arg,
        options=get_dada2_args(),
        seed=config["seed"],
    shell:
        "gutlung dada2-denoise --samples {params.samples:q} --fq1 {input.r1:q}"
        " {params.fq2} {params.options} --seed {params.seed} --threads {threads}"
        " --seqtab {output.seqtab:q} --track {output.track:q} > {log:q} 2>&1"


rule dada2_table:
    input:
        seqtabs=lambda w: expand(
            "results/work/dada2/{group}/seqtab.tsv", group=dada2_groups()
        ),
        tracks=lambda w: expand(
            "results/work/dada2/{group}/track.tsv", group=dada2_groups()
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
        "logs/dada2_table.log",
    benchmark:
        "logs/benchmark/dada2_table.tsv"
    conda:
        "../envs/dada2.yaml"
    threads: config["threads"]
    params:
        samples=get_samples,
        method=config["denoise"]["dada2"]["chimera_method"],
        min_kept=config["qc"]["min_kept"],
        sample_min_kept=config["qc"]["sample_min_kept"],
        sample_min_reads=config["qc"]["sample_min_reads"],
        min_merged=config["qc"]["min_merged"],
    shell:
        "gutlung dada2-table --seqtabs {input.seqtabs:q} --tracks {input.tracks:q}"
        " --samples {params.samples:q} --stats {input.stats:q} --min-kept {params.min_kept}"
        " --sample-min-kept {params.sample_min_kept}"
        " --sample-min-reads {params.sample_min_reads}"
        " --min-merged {params.min_merged}"
        " --chimera-method {params.method} --threads {threads}"
        " --biom {output.biom:q} --tsv {output.tsv:q} --fasta {output.fasta:q}"
        " --tracking {output.tracking:q} > {log:q} 2>&1"
