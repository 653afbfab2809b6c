#!/usr/bin/env bash
# npm run test:slurm runs this first: installs Debian's Slurm (slurm-wlm: slurmctld, slurmd, the client
# commands) and MUNGE, which test/slurm/ starts as a private single-node cluster under a temporary directory.
# Idempotent: skips what is already present. The packages' own services are not started (a policy-rc.d that
# refuses them is put in place for the install when none exists): the test runs its own daemons and stops them.
set -euo pipefail

log() { printf '[setup-slurm] %s\n' "$*" >&2; }
SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"

# (No `cmd | grep -q` here: with pipefail, grep's early exit can SIGPIPE the writer and fail the script.)
installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == *"ok installed"* ]]; }
pkgs=()
for p in slurmctld slurmd slurm-client munge; do installed "$p" || pkgs+=("$p"); done
if [ "${#pkgs[@]}" -eq 0 ]; then
  log "slurmctld, slurmd, slurm-client and munge are installed (slurm $(dpkg-query -W -f='${Version}' slurmd))"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  log "not Debian/Ubuntu: install Slurm (slurmctld, slurmd, sbatch/squeue/scontrol) and MUNGE yourself; missing: ${pkgs[*]}"
  exit 1
fi

policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  # the packages' postinst would start system-wide munged/slurmd/slurmctld; refuse that for this install only
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi
if [[ "$(apt-cache policy slurmd 2>/dev/null)" != *"Candidate: "[0-9]* ]]; then
  log "apt-get update"
  $SUDO apt-get update -qq
fi
log "installing ${pkgs[*]}"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
log "done (slurm $(dpkg-query -W -f='${Version}' slurmd))"
