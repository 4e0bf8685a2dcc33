# Usage: Rscript live.R data.csv results.json [level]
# data.csv columns: y, b, h, N, dom, and optionally w (given weights). Writes a JSON list of rows.
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "common.R"))
files <- commandArgs(trailingOnly = TRUE)
level <- if (length(files) >= 3) as.numeric(files[[3]]) else 0.95
d <- read.csv(files[[1]], stringsAsFactors = FALSE, colClasses = c(h = "character"))
d$dom <- as.logical(d$dom)
writeLines(rows_json(design_results(d, level)), files[[2]])
