# Several studies in one run (config `studies`): each study's own config runs
# this same workflow as a Snakemake module, its files under
# results/studies/<study>/ and logs/studies/<study>/ and its rules named
# <study>_<rule>; only its read (or table) steps, taxonomy and decontam are
# taken (study_rules in common.smk); the reference download rule is
# this workflow's, shared by every study. The studies' decontaminated tables are then merged at
# combine.rank, and every later step runs on the merged table.
#
# A `module:` block cannot take its name from a loop variable and keep a
# <study>_ rule prefix, so the loop calls what those blocks compile to.
for _study in STUDIES.values():
    workflow.module(
        _study.name,
        snakefile=str(Path(workflow.current_basedir).parent / "Snakefile"),
        config=dict(_study.config, _config_file=_study.source),
        replace_prefix={
            "results/": f"{study_dir(_study.name)}/",
            "logs/": f"logs/studies/{_study.name}/",
        },
    )
    workflow.userule(
        rules=study_rules(_study.config),
        from_module=_study.name,
        name_modifier=f"{_study.name}_*",
    )(lambda: None)


rule combine_studies:
    input:
        unpack(get_combine_inputs),
    output:
        biom="results/decontam/table.biom",
        tsv="results/decontam/table.tsv",
        taxonomy="results/taxonomy/taxonomy.tsv",
        samples="results/combined/samples.tsv",
        summary=report(
            "results/combined/studies.tsv",
            caption="../report/studies.rst",
            category="Studies",
        ),
        tracking="results/decontam/read_tracking.tsv",
        contaminants="results/decontam/contaminants.tsv",
        filtered="results/decontam/filtered_features.tsv",
        signal="results/decontam/signal.tsv",
        mock="results/decontam/mock.tsv",
        mock_taxa="results/decontam/mock_taxa.tsv",
    log:
        "logs/combine_studies.log",
    benchmark:
        "logs/benchmark/combine_studies.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        names=list(STUDIES),
        rank=config["combine"]["rank"],
    shell:
        "gutlung combine-studies --study {params.names:q} --rank {params.rank}"
        " --table {input.table:q} --taxonomy {input.taxonomy:q}"
        " --samples {input.samples:q} --read-tracking {input.read_tracking:q}"
        " --contaminants {input.contaminants:q}"
        " --filtered-features {input.filtered_features:q}"
        " --signal {input.signal:q} --mock {input.mock:q}"
        " --mock-taxa {input.mock_taxa:q}"
        " --biom {output.biom:q} --tsv {output.tsv:q}"
        " --taxonomy-output {output.taxonomy:q} --samples-output {output.samples:q}"
        " --summary {output.summary:q} --read-tracking-output {output.tracking:q}"
        " --contaminants-output {output.contaminants:q}"
        " --filtered-features-output {output.filtered:q}"
        " --signal-output {output.signal:q} --mock-output {output.mock:q}"
        " --mock-taxa-output {output.mock_taxa:q} > {log:q} 2>&1"


# The public-data tables of the studies whose runs come from ENA, stacked for
# the report (each study's own stay in its folder).
rule stack_acquisition:
    input:
        [f"{study_dir(name)}/acquire/{{table}}.tsv" for name in REMOTE_STUDIES],
    output:
        "results/acquire/{table}.tsv",
    log:
        "logs/stack_acquisition/{table}.log",
    benchmark:
        "logs/benchmark/stack_acquisition/{table}.tsv"
    wildcard_constraints:
        table="runs|unmapped_values|dropped_samples",
    conda:
        "../envs/gutlung.yaml"
    params:
        names=REMOTE_STUDIES,
    shell:
        "gutlung stack-tables --study {params.names:q} --input {input:q}"
        " --output {output:q} > {log:q} 2>&1"
