# Usage: Rscript figures.R units.csv figures.csv results.json [level] [lonely]
# The R side of the barometer's figures (tests/server/services/test_results.py).
# units.csv: one row per responding site, columns h (stratum), N (its size), w (weight), then
#   value columns (0 outside their domain) and logical domain columns.
# figures.csv: key, value (a value column), domain (a domain column, or empty for all units),
#   kind ("mean" or "share").
# For each figure: svydesign(ids = ~1, strata = ~h, fpc = ~N, weights = ~w) on the units,
# subset() to the domain, svymean, confint(df = degf(subset)); for a share, the closed-form
# logit interval of DESIGN.md §3.4 from svymean's p and se.
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "common.R"))
files <- commandArgs(trailingOnly = TRUE)
level <- if (length(files) >= 4) as.numeric(files[[4]]) else 0.95
if (length(files) >= 5) options(survey.lonely.psu = files[[5]])

units <- read.csv(files[[1]], stringsAsFactors = FALSE, colClasses = c(h = "character"))
figures <- read.csv(files[[2]], stringsAsFactors = FALSE, na.strings = character(0))
design <- svydesign(ids = ~1, strata = ~h, fpc = ~N, weights = ~w, data = units)

figure_row <- function(key, value, domain, kind) {
  des <- if (domain == "") design else eval(parse(text = sprintf("subset(design, %s)", domain)))
  df <- degf(des)
  m <- svymean(as.formula(paste0("~", value)), des)
  estimate <- coef(m)[[1]]
  se <- SE(m)[[1]]
  ci <- if (kind == "share") {
    if (!(df >= 1)) {
      c(NA, NA)
    } else if (estimate > 0 && estimate < 1) {
      plogis(qlogis(estimate) + c(-1, 1) * qt((1 + level) / 2, df) * se /
               (estimate * (1 - estimate)))
    } else {
      c(estimate, estimate)
    }
  } else {
    confint(m, df = df, level = level)[1, ]
  }
  data.frame(
    key = key, estimate = estimate, se = se, ci_low = ci[[1]], ci_high = ci[[2]],
    n = sum(weights(des, "sampling") != 0), df = df, stringsAsFactors = FALSE
  )
}

rows <- do.call(rbind, lapply(seq_len(nrow(figures)), function(i) {
  figure_row(figures$key[[i]], figures$value[[i]], figures$domain[[i]], figures$kind[[i]])
}))
writeLines(rows_json(rows), files[[3]])
