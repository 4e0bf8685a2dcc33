# Writes tests/sampling/r/golden.json: designs with their data and R survey's results.
# Run from the repository root:  Rscript tests/sampling/r/golden.R
# The JSON is committed; test_estimation_golden.py reads it (R is not needed to run the tests).
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "common.R"))
set.seed(20240611)

make_design <- function(N, n, weighted = FALSE, domain_share = 0.4) {
  h <- rep(names(N), times = n)
  y <- round(pmin(10, pmax(0, rnorm(length(h), mean = 6.5 + seq_along(N)[match(h, names(N))] / 3,
                                    sd = 1.6))), 2)
  d <- data.frame(
    y = y, b = as.integer(y >= 7), h = h, N = unname(N[h]),
    dom = runif(length(h)) < domain_share
  )
  d$dom[1] <- TRUE
  if (weighted) d$w <- d$N / unname(n[h]) * runif(length(h), 0.8, 1.25)
  d
}

designs <- list(
  unequal_with_certainty = make_design(
    c(Prefecture = 120, SIP = 45, Tribunal = 300, Rectorat = 8),
    c(Prefecture = 10, SIP = 5, Tribunal = 20, Rectorat = 8)
  ),
  given_weights = make_design(
    c(A = 60, B = 25, C = 200), c(A = 6, B = 4, C = 15), weighted = TRUE
  ),
  single_site_stratum_whole = make_design(
    c(Capitale = 1, Nord = 40, Sud = 33), c(Capitale = 1, Nord = 7, Sud = 6)
  ),
  many_small_strata = make_design(
    setNames(c(12, 15, 9, 30, 22, 5, 18, 40), paste("Reseau", LETTERS[1:8])),
    setNames(c(3, 3, 2, 5, 4, 2, 3, 6), paste("Reseau", LETTERS[1:8])),
    domain_share = 0.3
  )
)
designs$many_small_strata$dom <- designs$many_small_strata$h %in% c("Reseau A", "Reseau D") |
  designs$many_small_strata$y > 8

vec <- function(x) {
  if (is.character(x)) paste0("[", paste(sprintf('"%s"', x), collapse = ", "), "]")
  else if (is.logical(x)) paste0("[", paste(tolower(as.character(x)), collapse = ", "), "]")
  else paste0("[", paste(num(x), collapse = ", "), "]")
}

design_json <- function(name, d) {
  levels <- c(0.95, 0.9)
  rows <- do.call(rbind, lapply(levels, function(l) design_results(d, l)))
  population <- unique(d[, c("h", "N")])
  paste0(
    '{"name": "', name, '",\n "data": {',
    '"y": ', vec(d$y), ', "b": ', vec(d$b), ', "h": ', vec(d$h), ', "dom": ', vec(d$dom),
    ', "w": ', if ("w" %in% names(d)) vec(d$w) else "null",
    ', "population": {', paste(sprintf('"%s": %s', population$h, num(population$N)),
                              collapse = ", "), "}},\n",
    ' "results": ', rows_json(rows), "}"
  )
}

quantiles <- expand.grid(p = c(0.9, 0.95, 0.975, 0.995), df = c(1:40, 50, 75, 100, 250, 599, 1000, 1e4, 1e5))
quantiles$q <- qt(quantiles$p, quantiles$df)

out <- paste0(
  '{"r_version": "', R.version.string, '", "survey_version": "', packageVersion("survey"), '",\n',
  '"designs": [\n', paste(mapply(design_json, names(designs), designs), collapse = ",\n"), "],\n",
  '"qt": ', rows_json(quantiles), "}\n"
)
writeLines(out, file.path(here, "golden.json"))
