rule make_report:
    input:
        unpack(get_report_inputs),
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
        tables=directory("results/report/tables"),
        ladder=get_ladder_outputs(),
    log:
        "logs/make_report.log",
    benchmark:
        "logs/benchmark/make_report.tsv"
    conda:
        "../envs/gutlung.yaml"
    # the figures rendered side by side (the last job: nothing else runs then)
    threads: config["threads"]
    params:
        manifest=get_report_manifest,
        ladder=get_ladder_arg,
    shell:
        "gutlung report --manifest {params.manifest:q} --output {output.html:q}"
        " --threads {threads}"
        " --figures-dir results/report/figures --tables-dir {output.tables:q}"
        " {params.ladder} > {log:q} 2>&1"
