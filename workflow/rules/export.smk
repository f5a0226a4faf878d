# The analysis table as phyloseq and R read it: taxonomy as BIOM observation
# metadata (Greengenes prefixes, for parse_taxonomy_greengenes), the sheet as
# sample metadata, a split-rank taxonomy and relative abundances per rank.


rule export_phyloseq:
    input:
        table="results/decontam/table.biom",
        taxonomy="results/taxonomy/taxonomy.tsv",
        samples=SAMPLE_SHEET,
    output:
        biom="results/phyloseq/table.biom",
        ranks="results/phyloseq/taxonomy_ranks.tsv",
        relative=expand(
            "results/phyloseq/relative_abundance/{rank}.tsv", rank=EXPORT_RANKS
        ),
    log:
        "logs/export_phyloseq.log",
    benchmark:
        "logs/benchmark/export_phyloseq.tsv"
    conda:
        "../envs/gutlung.yaml"
    shell:
        "gutlung export-phyloseq --table {input.table:q} --taxonomy {input.taxonomy:q}"
        " --samples {input.samples:q} --biom {output.biom:q} --ranks {output.ranks:q}"
        " --relative-dir results/phyloseq/relative_abundance > {log:q} 2>&1"


# The sheet as QIIME 2 metadata (sample-id, #q2:types), for qiime's --m-*-file.
rule export_metadata:
    input:
        SAMPLE_SHEET,
    output:
        "results/metadata.tsv",
    log:
        "logs/export_metadata.log",
    # first, beside the read jobs (one thread each): later it would take a
    # core that a job on every thread (pool_uniques) waits for
    priority: 3
    conda:
        "../envs/gutlung.yaml"
    shell:
        "gutlung qiime2-metadata --samples {input:q} --output {output:q} > {log:q} 2>&1"


# What the run was made of: versions, the resolved config and seed, checksums
# of the sheet, config files and every local input, the commit, the start.
rule provenance:
    input:
        SAMPLE_SHEET,
    output:
        json="results/provenance/provenance.json",
        versions="results/provenance/versions.tsv",
        inputs="results/provenance/inputs.tsv",
        config="results/provenance/config.yaml",
    log:
        "logs/provenance.log",
    # first, beside the read jobs (export_metadata)
    priority: 3
    conda:
        "../envs/gutlung.yaml"
    params:
        config=json.dumps(config, sort_keys=True, default=str),
        files=get_provenance_files,
        repo=str(REPO_ROOT),
        dada2="--dada2" if config["denoise"]["engine"] == "dada2" else "",
        # the Snakemake running this workflow (asking one on PATH takes a second)
        snakemake=SNAKEMAKE_VERSION,
    # the files' JSON goes in on stdin through a quoted here-document (no
    # expansion): as one argument it passes Linux's 128 KiB limit at about
    # 1,000 paired-end samples ("Argument list too long")
    shell:
        "gutlung provenance --config-json {params.config:q} --files -"
        " --repo {params.repo:q} {params.dada2} --output-dir results/provenance"
        " --snakemake-version {params.snakemake:q}"
        " > {log:q} 2>&1 <<'GUTLUNG_FILES_JSON'\n{params.files}\nGUTLUNG_FILES_JSON"
