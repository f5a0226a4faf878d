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
    conda:
        "../envs/gutlung.yaml"
    params:
        maturity=get_claims_maturity_arg(),
        permutations=config["stats"]["permutations"],
        reps=config["claims"]["power_reps"],
        seed=config["seed"],
    shell:
        "gutlung claims --samples {input.samples:q} --catalogue {input.catalogue:q}"
        " --alpha {input.alpha:q} --table {input.table:q} --taxonomy {input.taxonomy:q}"
        " --distance {input.distance:q} {params.maturity}"
        " --permutations {params.permutations} --power-reps {params.reps}"
        " --seed {params.seed}"
        " --output {output:q} > {log:q} 2>&1"
