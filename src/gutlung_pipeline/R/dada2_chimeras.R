# DADA2's removeBimeraDenovo on the sequence table of all groups together.
#
# Usage: Rscript dada2_chimeras.R <out.tsv> <method> <threads> <seqtab.tsv>...
#   each seqtab in long form (sample_id, sequence, count); method: consensus,
#   pooled or per-sample. Writes the chimera-free table in the same long form.
suppressPackageStartupMessages(library(dada2))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 4) stop("usage: dada2_chimeras.R out method threads seqtab...")
parts <- lapply(args[-(1:3)], function(p)
  read.delim(p, colClasses = c("character", "character", "integer"),
             na.strings = character(0), check.names = FALSE))
long <- do.call(rbind, parts)
out <- data.frame(sample_id = character(0), sequence = character(0), count = integer(0))
if (nrow(long) > 0) {
  samples <- unique(long$sample_id)
  seqs <- unique(long$sequence)
  tab <- matrix(0L, nrow = length(samples), ncol = length(seqs),
                dimnames = list(samples, seqs))
  tab[cbind(match(long$sample_id, samples), match(long$sequence, seqs))] <- long$count
  # abundance order, as makeSequenceTable gives
  tab <- tab[, order(-colSums(tab)), drop = FALSE]
  nochim <- removeBimeraDenovo(tab, method = args[2], multithread = as.integer(args[3]))
  nz <- which(nochim > 0, arr.ind = TRUE)
  if (nrow(nz) > 0) {
    out <- data.frame(sample_id = rownames(nochim)[nz[, 1]],
                      sequence = colnames(nochim)[nz[, 2]],
                      count = as.integer(nochim[nz]))
  }
}
write.table(out, args[1], sep = "\t", quote = FALSE, row.names = FALSE)
