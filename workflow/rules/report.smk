rule make_report:
    input:
        tracking="results/decontam/read_tracking.tsv",
        table="results/decontam/table.biom",
        taxonomy="results/taxonomy/taxonomy.tsv",
        samples=SAMPLE_SHEET,
        alpha="results/diversity/alpha.tsv",
        rarefaction="results/diversity/rarefaction_summary.tsv",
        curves="results/diversity/rarefaction_curves_by_group.tsv",
        pcoa=expand("results/diversity/pcoa/{metric}.txt", metric=BETA_METRICS),
        maturity=get_maturity_outputs(),
        stats=get_stats_outputs(),
        contaminants="results/decontam/contaminants.tsv",
        filtered="results/decontam/filtered_features.tsv",
        signal="results/decontam/signal.tsv",
        mock="results/decontam/mock.tsv",
        mock_taxa="results/decontam/mock_taxa.tsv",
        claims=get_claims_outputs(),
        acquisition=get_acquisition_outputs(),
        studies=["results/combined/studies.tsv"] if STUDIES else [],
    output:
        html=report(
            "results/report/report.html",
            caption="../report/report.rst",
            category="Report",
        ),
        figures=report(
            expand("results/report/figures/{figure}.svg", figure=get_report_figures()),
            caption="../report/figures.rst",
            category="Figures",
        ),
    log:
        "logs/make_report.log",
    benchmark:
        "logs/benchmark/make_report.tsv"
    conda:
        "../envs/gutlung.yaml"
    params:
        group=config["diversity"]["group_column"],
        title=config["report"]["title"],
        maturity=get_report_maturity_args(),
        stats=get_report_stats_args(),
        rarefactions=get_alpha_iterations(),
        claims=get_report_claims_arg(),
        acquisition=get_report_acquisition_args(),
        studies="--studies results/combined/studies.tsv" if STUDIES else "",
    shell:
        "gutlung report --tracking {input.tracking:q} --table {input.table:q}"
        " --taxonomy {input.taxonomy:q} --samples {input.samples:q}"
        " --alpha {input.alpha:q} --rarefaction {input.rarefaction:q}"
        " --pcoa {input.pcoa:q} --group-column {params.group:q}"
        " --title {params.title:q} --output {output.html:q} {params.maturity}"
        " --curves {input.curves:q} --rarefactions {params.rarefactions} {params.stats}"
        " --contaminants {input.contaminants:q} --filtered-features {input.filtered:q}"
        " --signal {input.signal:q} --mock {input.mock:q} --mock-taxa {input.mock_taxa:q}"
        " {params.claims} {params.acquisition} {params.studies}"
        " --figures-dir results/report/figures > {log:q} 2>&1"
