# Sourced by bench/run.sh and scripts/build-pgo.sh: installs the load generator wrk (Debian
# package) when it is missing.
ensure_wrk() {
  command -v wrk >/dev/null 2>&1 && return 0
  echo "installing wrk (Debian package)…" >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else
    sudo apt-get install -y -qq wrk >/dev/null
  fi
}
