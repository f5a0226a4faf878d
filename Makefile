# The README's two commands: `make demo` and `make test`. Both set up
# everything on a fresh Debian machine (venv, package, system tools).
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
CORES ?= 2
export PATH := $(BIN):$(PATH)

# The demo cohort (tests check that config/samples.tsv is what this writes).
DEMO_ARGS := --n-subjects 12 --n-controls 6 --n-mocks 1 --n-infants 12 --reads 2000 --seed 42
DEMO_READS := resources/demo/reads/.done

.PHONY: demo test test-slurm install system-tools r-tools slurm-tools browser-tools qiime-tools multiqc-tools peer-python demo-data lint unit workflow-tests clean

# The package's bytecode is written here, once: with PYTHONDONTWRITEBYTECODE
# set (as in many container images) every job would compile the modules it
# imports again (the 72 modules take about 0.2 s). Up-to-date files are skipped.
install: $(VENV)/.installed system-tools
	@$(PY) -m compileall -q src/gutlung_pipeline

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

# vsearch, MAFFT and FastTree from Debian (cutadapt comes from PyPI).
system-tools:
	@missing=""; \
	for tool in vsearch mafft FastTree; do \
	  command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system tools:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq vsearch mafft fasttree >/dev/null; \
	fi

# R with vegan, nlme, survival and metafor, for the tests that run the reference
# implementations live, and DADA2 for the DADA2 engine (denoise.engine: dada2)
# and its tests; phyloseq for its published GlobalPatterns table and tree
# (tests/workflow/test_real_data.py) and to import the workflow's export
# (rhdf5 reads HDF5 BIOM). The default engine never calls R.
R_PACKAGES := vegan nlme survival metafor dada2 phyloseq rhdf5
R_DEBS := r-base-core r-cran-vegan r-cran-nlme r-cran-survival r-cran-metafor r-bioc-dada2 r-bioc-phyloseq r-bioc-rhdf5
r-tools:
	@if ! Rscript -e 'for (p in commandArgs(TRUE)) library(p, character.only = TRUE)' \
	    $(R_PACKAGES) >/dev/null 2>&1; then \
	  echo "installing R and $(R_PACKAGES)"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    $(R_DEBS) >/dev/null; \
	fi

# Slurm and munge for the test cluster (tests/slurm_cluster.py starts its own
# daemons; nothing is enabled as a service).
slurm-tools:
	@if ! command -v slurmd >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then \
	  echo "installing slurm-wlm and munge"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    slurm-wlm munge >/dev/null; \
	fi

# Debian's headless Chromium, for the tests that open the report and the
# evidence ladder as a reader would (overflow, printing to PDF).
browser-tools:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "installing chromium"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    chromium >/dev/null; \
	fi

# Debian's QIIME 2 framework (the qiime package, in the system Python), for
# the test that loads results/metadata.tsv with QIIME 2's own Metadata.
qiime-tools:
	@if ! /usr/bin/python3 -c "import qiime2" >/dev/null 2>&1; then \
	  echo "installing qiime (QIIME 2)"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    qiime >/dev/null; \
	fi

# MultiQC in its own venv (its plotting stack is not the workflow's), for the
# test that reads results/qc with it as users of nf-core pipelines do.
MULTIQC := .venv-multiqc/bin/multiqc
multiqc-tools: $(MULTIQC)
$(MULTIQC):
	python3 -m venv .venv-multiqc
	.venv-multiqc/bin/pip install --quiet multiqc==1.35

# gemelli's OptSpace, the peer of our robust Aitchison distance in the tests.
# --no-deps: its other dependencies (iow, tax2tree) do not build here and the
# tests import only gemelli.optspace (numpy and scipy).
peer-python: $(VENV)/.installed
	@$(PY) -c "import gemelli.optspace" 2>/dev/null || \
	  $(PY) -m pip install --quiet --no-deps gemelli==0.0.13

$(DEMO_READS): $(VENV)/.installed resources/reference/gg_13_8_v4.sintax.fasta.gz \
  $(wildcard src/gutlung_pipeline/simulate/*.py) Makefile
	$(BIN)/gutlung simulate --reference resources/reference/gg_13_8_v4.sintax.fasta.gz \
	  --out-dir resources/demo --sample-sheet config/samples.tsv \
	  --truth resources/demo/truth.tsv $(DEMO_ARGS)
	touch $@

# The second demo run: two table-stage birth cohorts of 400 children, for the
# infant claims (resources/demo/cohorts/config/config.yaml is its config).
COHORTS := resources/demo/cohorts
COHORT_ARGS := --studies cohort_a cohort_b --n-infants 400 --depth 5000 --seed 42
COHORT_DATA := $(COHORTS)/data/samples.tsv

$(COHORT_DATA): $(VENV)/.installed resources/reference/gg_13_8_v4.sintax.fasta.gz \
  $(wildcard src/gutlung_pipeline/simulate/*.py) Makefile
	$(BIN)/gutlung simulate-table --reference resources/reference/gg_13_8_v4.sintax.fasta.gz \
	  --out-dir $(COHORTS)/data $(COHORT_ARGS)

demo-data: $(DEMO_READS) $(COHORT_DATA)

demo: install demo-data
	$(BIN)/snakemake --profile workflow/profiles/default --cores $(CORES)
	$(BIN)/snakemake --profile workflow/profiles/default --cores $(CORES) \
	  --snakefile Snakefile --directory $(COHORTS)
	@echo "report: results/report/report.html"
	@echo "infant claims (two simulated cohorts): $(COHORTS)/results/report/report.html"

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/snakefmt --check Snakefile workflow
	@! grep -rn --include="*.py" "fmt: skip" src tests benchmarks || { echo "the formatter is not overruled: drop the fmt: skip above"; exit 1; }
	$(BIN)/snakemake --lint --cores 1

test: install r-tools slurm-tools browser-tools qiime-tools multiqc-tools peer-python demo-data lint
	$(BIN)/pytest -ra

# The workflow on a real single-node Slurm through workflow/profiles/slurm
# (needs root: slurmd starts the jobs).
test-slurm: install slurm-tools
	$(BIN)/pytest -ra tests/workflow/test_slurm.py

clean:
	rm -rf results logs .snakemake resources/demo/reads resources/demo/truth.tsv
	rm -rf $(COHORTS)/data $(COHORTS)/results $(COHORTS)/logs $(COHORTS)/.snakemake
