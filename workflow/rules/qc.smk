rule read_qc:
    input:
        get_qc_dirs,
    output:
        directory("results/qc"),
    log:
        "logs/read_qc.log",
    benchmark:
        "logs/benchmark/read_qc.tsv"
    conda:
        "../envs/gutlung.yaml"
    shell:
        "gutlung read-qc --inputs {input:q} --output-dir {output:q} > {log:q} 2>&1"
