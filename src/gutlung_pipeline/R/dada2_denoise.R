# DADA2's standard steps for one group of samples (one sequencing run, or all
# samples): filterAndTrim, learnErrors, dada, mergePairs (paired-end), as in
# the DADA2 tutorial (https://benjjneb.github.io/dada2/tutorial.html).
#
# Usage: Rscript dada2_denoise.R <manifest.tsv> <workdir> <seqtab.tsv> <track.tsv> key=value...
#   manifest: columns sample_id, fq1, fq2 (fq2 empty for single-end)
#   keys: trim_left=F,R trunc_len=F,R max_ee=F,R trunc_q=2 max_n=0 pool=false|true|pseudo
#         min_overlap=12 max_mismatch=0 threads=1 seed=1 min_len=20
# Writes the sequence table in long form (sample_id, sequence, count) and per
# sample: input, filtered, denoised, merged reads.
suppressPackageStartupMessages(library(dada2))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 4) stop("usage: dada2_denoise.R manifest workdir seqtab track key=value...")
opt <- list(trim_left = "0,0", trunc_len = "0,0", max_ee = "2,2", trunc_q = "2",
            max_n = "0", pool = "false", min_overlap = "12", max_mismatch = "0",
            threads = "1", seed = "1", min_len = "20")
for (kv in args[-(1:4)]) {
  key <- sub("=.*", "", kv)
  if (!key %in% names(opt)) stop("unknown option ", key)
  opt[[key]] <- sub("^[^=]*=", "", kv)
}
pair <- function(x) as.numeric(strsplit(x, ",")[[1]])
threads <- as.integer(opt$threads)
set.seed(as.integer(opt$seed))
pool <- switch(opt$pool, false = FALSE, true = TRUE, pseudo = "pseudo",
               stop("pool must be false, true or pseudo"))

manifest <- read.delim(args[1], colClasses = "character", na.strings = character(0),
                       check.names = FALSE)
workdir <- args[2]
dir.create(workdir, showWarnings = FALSE, recursive = TRUE)
paired <- "fq2" %in% names(manifest) && all(nzchar(manifest$fq2))
ids <- manifest$sample_id
n <- length(ids)
filt1 <- file.path(workdir, sprintf("s%05d_R1.fastq.gz", seq_len(n)))
filt2 <- file.path(workdir, sprintf("s%05d_R2.fastq.gz", seq_len(n)))

if (paired) {
  out <- filterAndTrim(manifest$fq1, filt1, manifest$fq2, filt2,
                       trimLeft = pair(opt$trim_left), truncLen = pair(opt$trunc_len),
                       maxN = as.numeric(opt$max_n), maxEE = pair(opt$max_ee),
                       truncQ = as.integer(opt$trunc_q), minLen = as.integer(opt$min_len),
                       rm.phix = TRUE, compress = TRUE, multithread = threads)
} else {
  out <- filterAndTrim(manifest$fq1, filt1,
                       trimLeft = pair(opt$trim_left)[1], truncLen = pair(opt$trunc_len)[1],
                       maxN = as.numeric(opt$max_n), maxEE = pair(opt$max_ee)[1],
                       truncQ = as.integer(opt$trunc_q), minLen = as.integer(opt$min_len),
                       rm.phix = TRUE, compress = TRUE, multithread = threads)
}
kept <- out[, 2] > 0
track <- data.frame(sample_id = ids, input = out[, 1], filtered = out[, 2],
                    denoised = 0L, merged = if (paired) 0L else NA_integer_,
                    check.names = FALSE)
long <- data.frame(sample_id = character(0), sequence = character(0), count = integer(0))
if (any(kept)) {
  errF <- learnErrors(filt1[kept], multithread = threads)
  ddF <- dada(filt1[kept], err = errF, pool = pool, multithread = threads)
  if (sum(kept) == 1) ddF <- list(ddF)
  if (paired) {
    errR <- learnErrors(filt2[kept], multithread = threads)
    ddR <- dada(filt2[kept], err = errR, pool = pool, multithread = threads)
    if (sum(kept) == 1) ddR <- list(ddR)
    merged <- mergePairs(ddF, filt1[kept], ddR, filt2[kept],
                         minOverlap = as.integer(opt$min_overlap),
                         maxMismatch = as.integer(opt$max_mismatch))
    if (sum(kept) == 1) merged <- list(merged)
    track$denoised[kept] <- mapply(function(f, r) min(sum(getUniques(f)), sum(getUniques(r))),
                                   ddF, ddR)
    track$merged[kept] <- vapply(merged, function(m) sum(getUniques(m)), numeric(1))
    per_sample <- merged
  } else {
    track$denoised[kept] <- vapply(ddF, function(d) sum(getUniques(d)), numeric(1))
    per_sample <- ddF
  }
  parts <- lapply(seq_along(per_sample), function(i) {
    u <- getUniques(per_sample[[i]])
    u <- u[u > 0]
    data.frame(sample_id = rep(ids[kept][i], length(u)), sequence = names(u),
               count = as.integer(u))
  })
  long <- do.call(rbind, c(list(long), parts))
}
write.table(long, args[3], sep = "\t", quote = FALSE, row.names = FALSE)
write.table(track, args[4], sep = "\t", quote = FALSE, row.names = FALSE, na = "")
