# A study entering at the table stage: its feature table (with sequences and,
# optionally, taxonomy) becomes the files the read steps would have written.


rule import_table:
    input:
        unpack(get_import_inputs),
    output:
        biom="results/asv/asv_table.biom",
        tsv="results/asv/asv_table.tsv",
        fasta="results/asv/asv_seqs.fasta",
        tracking="results/asv/read_tracking.tsv",
        taxonomy=(["results/taxonomy/taxonomy.tsv"] if TAXONOMY_GIVEN else []),
        tree=(["results/phylogeny/tree.nwk"] if TREE_GIVEN else []),
    log:
        "logs/import_table.log",
    benchmark:
        "logs/benchmark/import_table.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        options=get_import_args(),
        taxonomy=get_import_taxonomy_output,
        tree=get_import_tree_args,
    shell:
        "gutlung import-table --table {input.table:q} --samples {input.samples:q}"
        " {params.options} {params.taxonomy} {params.tree}"
        " --biom {output.biom:q} --tsv {output.tsv:q}"
        " --fasta {output.fasta:q} --tracking {output.tracking:q} > {log:q} 2>&1"


# The table's samples from its metadata file (acquire.mapping and
# acquire.metadata, no accessions): the mapped sheet, as for ENA runs.
if MAPPED_TABLE:

    rule map_metadata:
        input:
            PLAN.sources,
        output:
            sheet="results/acquire/samples.tsv",
            runs="results/acquire/runs.tsv",
            unmapped="results/acquire/unmapped_values.tsv",
            dropped="results/acquire/dropped_samples.tsv",
        log:
            "logs/map_metadata.log",
        benchmark:
            "logs/benchmark/map_metadata.tsv"
        conda:
            "../envs/gutlung.yaml"
        params:
            options=get_acquisition_args(),
        shell:
            "gutlung acquisition {params.options}"
            " --output-sheet {output.sheet:q} --runs {output.runs:q}"
            " --unmapped {output.unmapped:q} --dropped {output.dropped:q} > {log:q} 2>&1"
