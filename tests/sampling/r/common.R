# Shared by golden.R and live.R: the R side of the comparison with sampling.estimation.
# Everything goes through survey's own functions: svydesign(ids=~1, strata=, fpc=[, weights=]),
# subset() for domains, svymean, confint(df = degf()), svyciprop(method = "logit").
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "fail")

num <- function(x) {
  # 17 significant digits: every double survives the round trip to Python exactly.
  ifelse(is.finite(x), sprintf("%.17g", x), "null")
}

estimate_rows <- function(design, domain_label, level) {
  df <- degf(design)
  m <- svymean(~y, design)
  ci <- confint(m, df = df, level = level)
  p <- svymean(~b, design)
  pe <- coef(p)[[1]]
  pse <- SE(p)[[1]]
  tq <- qt((1 + level) / 2, df)
  closed <- if (!(df >= 1)) {
    c(NA, NA) # no t quantile without degrees of freedom: no interval (qt gives NaN)
  } else if (pe > 0 && pe < 1) {
    plogis(qlogis(pe) + c(-1, 1) * tq * pse / (pe * (1 - pe)))
  } else {
    c(pe, pe)
  }
  fitted <- if (pe > 0 && pe < 1) {
    attr(svyciprop(~b, design, method = "logit", level = level), "ci")
  } else {
    c(NA, NA)
  }
  data.frame(
    domain = domain_label, level = level, df = df, n = nrow(design$variables),
    mean = coef(m)[[1]], se = SE(m)[[1]], ci_low = ci[1, 1], ci_high = ci[1, 2],
    p = pe, p_se = pse, closed_low = closed[1], closed_high = closed[2],
    svyciprop_low = fitted[[1]], svyciprop_high = fitted[[2]]
  )
}

design_results <- function(d, level) {
  des <- if ("w" %in% names(d) && !all(is.na(d$w))) {
    svydesign(ids = ~1, strata = ~h, fpc = ~N, weights = ~w, data = d)
  } else {
    svydesign(ids = ~1, strata = ~h, fpc = ~N, data = d)
  }
  rows <- estimate_rows(des, "all", level)
  if ("dom" %in% names(d)) {
    rows <- rbind(rows, estimate_rows(subset(des, dom), "domain", level))
  }
  rows
}

rows_json <- function(rows) {
  fields <- names(rows)
  items <- vapply(seq_len(nrow(rows)), function(i) {
    parts <- vapply(fields, function(f) {
      v <- rows[[f]][[i]]
      value <- if (is.character(v)) sprintf('"%s"', v) else num(v)
      sprintf('"%s": %s', f, value)
    }, "")
    paste0("{", paste(parts, collapse = ", "), "}")
  }, "")
  paste0("[", paste(items, collapse = ",\n  "), "]")
}
