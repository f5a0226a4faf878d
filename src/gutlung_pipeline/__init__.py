"""gutlung-pipeline: 16S rRNA amplicon workflow for the gut-lung axis."""

__version__ = "0.1.0"
