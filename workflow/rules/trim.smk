if PAIRED:

    rule trim_primers:
        input:
            unpack(get_fastq),
        output:
            r1=temp("results/work/trimmed/{sample}_R1.fastq.gz"),
            r2=temp("results/work/trimmed/{sample}_R2.fastq.gz"),
            stats="results/work/stats/{sample}/trim.json",
            qc=temp(directory("results/work/qc/{sample}")),
        log:
            "logs/trim_primers/{sample}.log",
        benchmark:
            "logs/benchmark/trim_primers/{sample}.tsv"
        conda:
            "../envs/gutlung.yaml"
        threads: config["threads"]
        params:
            fwd=config["primers"]["forward"],
            rev=config["primers"]["reverse"],
            error_rate=config["primers"]["error_rate"],
            in_reads="" if config["primers"]["in_reads"] else "--primers-not-in-reads",
        shell:
            "gutlung trim-primers --sample {wildcards.sample:q}"
            " --fq1 {input.fq1:q} --fq2 {input.fq2:q}"
            " --out1 {output.r1:q} --out2 {output.r2:q} --stats {output.stats:q}"
            " --forward {params.fwd:q} --reverse {params.rev:q}"
            " --error-rate {params.error_rate} {params.in_reads}"
            " --threads {threads} --qc-dir {output.qc:q} > {log:q} 2>&1"

else:

    rule trim_primers:
        input:
            unpack(get_fastq),
        output:
            r1=temp("results/work/trimmed/{sample}_R1.fastq.gz"),
            stats="results/work/stats/{sample}/trim.json",
            qc=temp(directory("results/work/qc/{sample}")),
        log:
            "logs/trim_primers/{sample}.log",
        benchmark:
            "logs/benchmark/trim_primers/{sample}.tsv"
        conda:
            "../envs/gutlung.yaml"
        threads: config["threads"]
        params:
            fwd=config["primers"]["forward"],
            rev=config["primers"]["reverse"],
            error_rate=config["primers"]["error_rate"],
            in_reads="" if config["primers"]["in_reads"] else "--primers-not-in-reads",
        shell:
            "gutlung trim-primers --sample {wildcards.sample:q} --fq1 {input.fq1:q}"
            " --out1 {output.r1:q} --stats {output.stats:q}"
            " --forward {params.fwd:q} --reverse {params.rev:q}"
            " --error-rate {params.error_rate} {params.in_reads}"
            " --threads {threads} --qc-dir {output.qc:q} > {log:q} 2>&1"
