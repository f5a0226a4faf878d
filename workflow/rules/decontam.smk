rule decontaminate:
    input:
        unpack(get_decontam_inputs),
    output:
        table="results/decontam/table.biom",
        tsv="results/decontam/table.tsv",
        contaminants=report(
            "results/decontam/contaminants.tsv",
            caption="../report/contaminants.rst",
            category="Contamination",
        ),
        filtered="results/decontam/filtered_features.tsv",
        signal=report(
            "results/decontam/signal.tsv",
            caption="../report/signal.rst",
            category="Contamination",
        ),
        tracking="results/decontam/read_tracking.tsv",
        mock="results/decontam/mock.tsv",
        mock_taxa="results/decontam/mock_taxa.tsv",
    log:
        "logs/decontaminate.log",
    benchmark:
        "logs/benchmark/decontaminate.tsv"
    # on the critical path after the table (with assign_taxonomy, beta_diversity)
    priority: 1
    conda:
        "../envs/gutlung.yaml"
    params:
        settings=json.dumps(config["decontam"], sort_keys=True),
    shell:
        "gutlung decontaminate --table {input.table:q} --taxonomy {input.taxonomy:q}"
        " --samples {input.samples:q} --tracking {input.tracking:q}"
        " --settings {params.settings:q} --output {output.table:q}"
        " --output-tsv {output.tsv:q} --contaminants {output.contaminants:q}"
        " --filtered {output.filtered:q} --signal {output.signal:q}"
        " --tracking-output {output.tracking:q} --mock {output.mock:q}"
        " --mock-taxa {output.mock_taxa:q} > {log:q} 2>&1"
