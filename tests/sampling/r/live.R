# Usage: Rscript live.R data.csv results.json [level] [lonely]
# data.csv columns: y, b, h, N, dom, and optionally w (given weights). Writes a JSON list of rows.
# lonely: the survey.lonely.psu option ("fail", common.R's default, or "adjust").
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "common.R"))
files <- commandArgs(trailingOnly = TRUE)
level <- if (length(files) >= 3) as.numeric(files[[3]]) else 0.95
if (length(files) >= 4) options(survey.lonely.psu = files[[4]])
d <- read.csv(files[[1]], stringsAsFactors = FALSE, colClasses = c(h = "character"))
d$dom <- as.logical(d$dom)
writeLines(rows_json(design_results(d, level)), files[[2]])
