# Peer run of vegan on tests/data/vegan_peer: adonis2 (terms, margin, strata,
# whole-plot permutation) and betadisper (median, centroid) with permutest.
# Usage: Rscript vegan_peer.R <data dir> <out dir> <permutations>
suppressPackageStartupMessages(library(vegan))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; out <- args[2]; nperm <- as.integer(args[3])
counts <- read.delim(file.path(dir, "counts.tsv"), row.names = 1, check.names = FALSE)
md <- read.delim(file.path(dir, "metadata.tsv"), row.names = 1, stringsAsFactors = TRUE)
d <- vegdist(counts, method = "bray")
write.table(as.matrix(d), file.path(out, "bray.tsv"), sep = "\t", quote = FALSE, col.names = NA)
save <- function(x, name) {
  write.table(as.data.frame(x), file.path(out, name), sep = "\t", quote = FALSE, col.names = NA)
}
set.seed(1)
save(adonis2(d ~ group + visit + bmi, data = md, permutations = nperm, by = "terms"), "terms.tsv")
set.seed(2)
save(adonis2(d ~ group * visit + bmi, data = md, permutations = nperm, by = "margin"), "margin.tsv")
set.seed(3)
save(adonis2(d ~ visit + bmi, data = md, permutations = nperm, strata = md$subject), "strata.tsv")
set.seed(4)
ctrl <- how(nperm = nperm, plots = Plots(strata = md$subject, type = "free"),
            within = Within(type = "none"))
save(adonis2(d ~ group, data = md, permutations = ctrl), "plots.tsv")
for (type in c("median", "centroid")) {
  b <- betadisper(d, md$group, type = type)
  set.seed(5)
  pt <- permutest(b, permutations = nperm)
  a <- anova(b)
  res <- data.frame(F = a[1, "F value"], p_param = a[1, "Pr(>F)"], p_perm = pt$tab[1, "Pr(>F)"])
  save(res, paste0("betadisper_", type, ".tsv"))
  save(data.frame(distance = b$distances, row.names = rownames(md)),
       paste0("betadisper_", type, "_distances.tsv"))
}
