#!/usr/bin/env bash
# @vscode/ripgrep (a code-server dependency) downloads `rg` from GitHub in its postinstall, which
# this offline machine cannot reach. Seed its download cache with Debian's ripgrep instead.
set -euo pipefail
rg_bin=$(command -v rg) || { echo "ripgrep is not installed (apt-get install ripgrep)" >&2; exit 1; }
cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
tarball="$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -s "$tarball" ]; then
  mkdir -p "$cache"
  staging=$(mktemp -d)
  cp "$rg_bin" "$staging/rg"
  tar -czf "$tarball" -C "$staging" rg
  rm -rf "$staging"
fi
echo "ripgrep cache seeded: $tarball"
