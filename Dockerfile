# The whole workflow in one image: Debian 12's vsearch, MAFFT and FastTree,
# and the package with the tested set of Python packages (constraints.txt),
# installed by the same `make install` the README's set-up runs. git reads
# the checkout's commit for results/provenance.
#
#   docker build -t gutlung-pipeline .
#   docker run --rm -v "$PWD":/data gutlung-pipeline --cores 8 --configfile config.yaml
#
# Apptainer/Singularity: apptainer build gutlung.sif docker-daemon://gutlung-pipeline:latest
# The DADA2 engine needs R: build with --build-arg WITH_DADA2=1.
FROM debian:bookworm-slim

ARG WITH_DADA2=0
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      make python3 python3-venv vsearch mafft fasttree git ca-certificates \
 && if [ "$WITH_DADA2" = "1" ]; then \
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        r-base-core r-bioc-dada2; \
    fi \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/gutlung-pipeline
COPY . .
RUN make install && rm -rf /root/.cache/pip

ENV PATH=/opt/gutlung-pipeline/.venv/bin:$PATH
# The user's project (sheet, config, reads) is mounted here; results/ and
# logs/ are written beside it. Configs name the shipped reference as
# /opt/gutlung-pipeline/resources/reference/gg_13_8_97_v4.sintax.fasta.gz.
WORKDIR /data
ENTRYPOINT ["snakemake", "--snakefile", "/opt/gutlung-pipeline/Snakefile"]
CMD ["--help"]
