# Public runs in: one download job per ENA run into the shared cache, then one
# job that writes the analysis sheet (downloaded files filled in, runs that
# failed their md5 left out and listed).
# Both run where the network is (a rule-level flag, so the rules stay local
# when a combined run renames them <study>_fetch_run).


rule fetch_run:
    input:
        get_run_report,
    output:
        "results/acquire/runs/{run}.json",
    log:
        "logs/fetch_run/{run}.log",
    benchmark:
        "logs/benchmark/fetch_run/{run}.tsv"
    localrule: True
    conda:
        "../envs/gutlung.yaml"
    resources:
        ena_connections=1,
    params:
        options=get_fetch_args(),
    shell:
        "gutlung fetch-run --run {wildcards.run:q} --filereport {input:q}"
        " --output {output:q} {params.options} > {log:q} 2>&1"


checkpoint acquisition:
    input:
        statuses=expand("results/acquire/runs/{run}.json", run=RUNS),
        sources=PLAN.sources,
    output:
        sheet="results/acquire/samples.tsv",
        runs=report(
            "results/acquire/runs.tsv",
            caption="../report/acquisition.rst",
            category="Acquisition",
        ),
        unmapped="results/acquire/unmapped_values.tsv",
        dropped="results/acquire/dropped_samples.tsv",
    log:
        "logs/acquisition.log",
    localrule: True
    conda:
        "../envs/gutlung.yaml"
    params:
        options=get_acquisition_args(),
    shell:
        "gutlung acquisition {params.options} --status {input.statuses:q}"
        " --output-sheet {output.sheet:q} --runs {output.runs:q}"
        " --unmapped {output.unmapped:q} --dropped {output.dropped:q} > {log:q} 2>&1"
