# Shared by scripts/demo and scripts/test: a .venv with the pinned requirements, reinstalled
# only when a requirements file or setup.cfg changed since the last install.
# shellcheck shell=bash

ensure_venv() {
  local requirements="$1"
  local python="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    echo "==> Création de l’environnement Python (.venv)"
    "$python" -m venv .venv
  fi
  local stamp=.venv/.barometre-installed
  local wanted
  wanted=$(cat requirements.txt "$requirements" setup.cfg pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "==> Installation des dépendances ($requirements)"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r "$requirements"
    .venv/bin/python -m pip install --quiet --no-deps -e .
    echo "$wanted" > "$stamp"
  fi
}

is_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
  # Installs Debian packages when we are root; returns non-zero otherwise.
  is_root || return 1
  if [ -z "${_APT_UPDATED:-}" ]; then
    apt-get update -qq
    _APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
