# For tests/browser: Debian's Chromium (driven by Playwright, never a browser Playwright
# downloads) and axe-core from npm, reinstalled only when package-lock.json changed.
# Needs venv.sh (apt_install). Exports BAROMETRE_CHROMIUM, BAROMETRE_AXE and
# BAROMETRE_REQUIRE_BROWSER=1 when both are there, so a broken browser fails the suite instead
# of skipping it; without them the browser tests are skipped, with the reason.
# shellcheck shell=bash

ensure_browser_tools() {
  if ! command -v chromium >/dev/null 2>&1; then
    echo "==> Installation de Chromium (apt-get), pour les tests navigateur"
    apt_install chromium || echo "    (Chromium indisponible : lancez en root ou installez le paquet « chromium »)"
  fi

  local axe=node_modules/axe-core/axe.min.js
  local stamp=node_modules/.barometre-installed
  local wanted
  wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ ! -f "$axe" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "==> Installation de npm (apt-get), pour axe-core"
      apt_install npm || echo "    (npm indisponible : lancez en root ou installez le paquet « npm »)"
    fi
    if command -v npm >/dev/null 2>&1; then
      echo "==> Installation d’axe-core (npm ci)"
      if npm ci --no-audit --no-fund --silent; then
        echo "$wanted" > "$stamp"
      else
        echo "    (échec de npm ci : les contrôles d’accessibilité seront impossibles)"
      fi
    fi
  fi

  if command -v chromium >/dev/null 2>&1 && [ -f "$axe" ]; then
    BAROMETRE_CHROMIUM=${BAROMETRE_CHROMIUM:-$(command -v chromium)}
    BAROMETRE_AXE=${BAROMETRE_AXE:-$PWD/$axe}
    BAROMETRE_REQUIRE_BROWSER=1
    export BAROMETRE_CHROMIUM BAROMETRE_AXE BAROMETRE_REQUIRE_BROWSER
  else
    echo "    (tests navigateur ignorés : Chromium ou axe-core manquant)"
  fi
}
