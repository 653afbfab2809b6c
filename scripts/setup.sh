#!/usr/bin/env bash
# npm run setup: npm dependencies (`npm ci`, exactly package-lock.json) plus, on Debian/Ubuntu, the system packages kick needs:
#   chromium                      browser tests (playwright-core drives /usr/bin/chromium)
#   libvulkan1 + mesa-vulkan-drivers (lavapipe >= 23, from bookworm-backports on bookworm)
#                                 software WebGPU for the kernels where no GPU driver exists
# Idempotent: skips what is already present. Set KICK_SKIP_APT=1 to skip system packages.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }
SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"

# (No `cmd | grep -q` here: with pipefail, grep's early exit can SIGPIPE the writer and fail the test.)
installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == *"ok installed"* ]]; }
need_apt=0
command -v chromium >/dev/null || need_apt=1
installed fonts-dejavu-core || need_apt=1
lavapipe_ok() {
  # Dawn rejects Mesa < 23 (missing *ArrayDynamicIndexing); bookworm's stock 22.3 is too old.
  local v; v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 23
}
have_gpu_icd() { [ -e /usr/share/vulkan/icd.d/nvidia_icd.json ] || [ -e /etc/vulkan/icd.d/nvidia_icd.json ]; }
if ! have_gpu_icd && ! lavapipe_ok; then need_apt=1; fi
installed libvulkan1 || need_apt=1

# `npm run data` fetches pinned Debian packages with `apt-get download`, which needs current lists.
command -v apt-get >/dev/null && [[ "$(apt-cache policy sword-text-web 2>/dev/null)" != *"Candidate: "[0-9]* ]] && need_apt=1

if [ "${KICK_SKIP_APT:-0}" != 1 ] && [ "$need_apt" = 1 ]; then
  if ! command -v apt-get >/dev/null; then
    log "not Debian/Ubuntu: install Chromium and a Vulkan driver (Mesa >= 23 lavapipe, or your GPU's) yourself"
  else
    . /etc/os-release
    if [ "${VERSION_CODENAME:-}" = bookworm ] && ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
      log "adding bookworm-backports to apt sources (for mesa-vulkan-drivers >= 23)"
      printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        | $SUDO tee /etc/apt/sources.list.d/kick-backports.sources >/dev/null
    fi
    log "apt-get update"
    $SUDO apt-get update -qq
    export DEBIAN_FRONTEND=noninteractive
    pkgs="chromium fonts-dejavu-core libvulkan1 xz-utils"
    log "installing $pkgs"
    $SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
    if ! have_gpu_icd && ! lavapipe_ok; then
      if [ "${VERSION_CODENAME:-}" = bookworm ]; then
        log "installing mesa-vulkan-drivers from bookworm-backports"
        $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers >/dev/null
      else
        $SUDO apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers >/dev/null
      fi
    fi
  fi
fi

# `npm ci` installs exactly package-lock.json and fails when it disagrees with package.json, so a drifting
# lock fails CI. It wipes node_modules first, so it runs only when the install is older than the lock or
# package.json (npm's own hidden lock, node_modules/.package-lock.json, records the last install), and never
# through a node_modules symlink (a shared install, e.g. a git worktree's: npm ci would empty its target).
if [ -L node_modules ]; then
  log "node_modules is a symlink to $(readlink node_modules): not reinstalling a shared install"
elif [ node_modules/.package-lock.json -nt package-lock.json ] && [ node_modules/.package-lock.json -nt package.json ]; then
  log "node_modules is current with package-lock.json"
else
  log "npm ci"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
# The site build calibrates the playground's 4-bit model on kick's corpus, which is built, not committed.
if [ ! -f data/corpus/train-000.txt ] || [ ! -d data/tokens ]; then
  log "building data/ (npm run data, about 1.5 min)"
  npm run data --silent
fi
log "done"
