rule test_claims:
    input:
        unpack(get_claims_inputs),
    output:
        report(
            "results/associations/claims.tsv",
            caption="../report/claims.rst",
            category="Claims",
        ),
    log:
        "logs/test_claims.log",
    benchmark:
        "logs/benchmark/test_claims.tsv"
    # the longest of the jobs that wait on the diversity (with permanova and
    # paired_gut_lung), and the report waits on it: first, so the two shorter
    # ones share the other core
    priority: 1
    conda:
        "../envs/gutlung.yaml"
    params:
        maturity=optional_input_arg("maturity", "--maturity"),
        scfa=optional_input_arg("scfa", "--scfa"),
        settings=json.dumps(config["claims"], sort_keys=True),
        permutations=config["stats"]["permutations"],
        seed=config["seed"],
    shell:
        "gutlung claims --samples {input.samples:q} --catalogue {input.catalogue:q}"
        " --alpha {input.alpha:q} --table {input.table:q} --taxonomy {input.taxonomy:q}"
        " --distance {input.distance:q} {params.maturity} {params.scfa}"
        " --settings {params.settings:q} --permutations {params.permutations}"
        " --seed {params.seed} --output {output:q} > {log:q} 2>&1"
