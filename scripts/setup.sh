#!/usr/bin/env bash
# Prepares a machine for FedActors: the .NET 10 SDK, the libstdc++ that TorchSharp's native
# shim needs, the Fashion-MNIST Debian package, a font for the plots, and the NuGet restore.
# Idempotent: each step checks first and does nothing when its need is already met,
# so a second run takes seconds. Needs root only for what is actually missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dataset_dir=/usr/share/datasets/fashion-mnist
say() { printf '[setup] %s\n' "$*"; }

libstdcxx_path() {
  ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}'
}

# TorchSharp's LibTorchSharp.so needs a symbol of GLIBCXX_3.4.32 (GCC 13+). Judge by the
# symbol versions the library exports, never by the OS name.
needs_libstdcxx() {
  local lib; lib=$(libstdcxx_path)
  [ -z "$lib" ] && return 0
  ! grep -aq 'GLIBCXX_3\.4\.32' "$lib"
}

needs_dataset() {
  local f
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [ -e "$dataset_dir/$f.gz" ] || [ -e "$dataset_dir/$f" ] || return 0
  done
  return 1
}

needs_font() {
  ! { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list 2>/dev/null | head -n 1)" ]; } \
    && ! ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1
}

# The .NET 10 SDK: present when `dotnet --list-sdks` lists a 10.x SDK.
needs_dotnet() {
  ! { command -v dotnet >/dev/null 2>&1 && dotnet --list-sdks 2>/dev/null | grep -q '^10\.'; }
}

# The SDK is the one prerequisite no package registry of ours serves: say so and stop.
if needs_dotnet; then
  say "the .NET 10 SDK is missing ('dotnet --list-sdks' lists no 10.x SDK)."
  say "Install it from Microsoft's Linux packages or installer (https://learn.microsoft.com/dotnet/core/install/linux), then run this again."
  exit 1
fi

missing=()
needs_libstdcxx && missing+=("libstdc++6 (GLIBCXX_3.4.32, from Debian 13 'trixie')")
needs_dataset && missing+=("dataset-fashion-mnist")
needs_font && missing+=("fonts-dejavu-core")

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "FedActors needs these system packages, and installing them needs root:"
    for m in "${missing[@]}"; do say "  - $m"; done
    say "Run 'sudo $0' once, or install them yourself (see README.md, 'Prerequisites')."
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_updated=0
  apt_update() { [ $apt_updated -eq 1 ] || { apt-get update -qq; apt_updated=1; }; }

  if needs_libstdcxx; then
    say "libstdc++ lacks GLIBCXX_3.4.32: installing Debian 13's libstdc++6, pinned low so other packages stay on this release"
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
    cat > /etc/apt/sources.list.d/fedactors-trixie.sources <<SRC
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    cat > /etc/apt/preferences.d/fedactors-trixie <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
    apt_update
    apt-get install -y -qq -t trixie libstdc++6 >/dev/null
    ldconfig
    needs_libstdcxx && { say "libstdc++ still lacks GLIBCXX_3.4.32 after the install"; exit 1; }
  fi
  if needs_dataset; then
    say "installing dataset-fashion-mnist (the Fashion-MNIST IDX files)"
    apt_update
    apt-get install -y -qq dataset-fashion-mnist >/dev/null
  fi
  if needs_font; then
    say "installing fonts-dejavu-core (plots lose all text without a font)"
    apt_update
    apt-get install -y -qq fonts-dejavu-core fontconfig >/dev/null
  fi
fi
say "system prerequisites present"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ -f "$here/FedActors.sln" ]; then
  dotnet restore "$here/FedActors.sln" --verbosity quiet
  say "NuGet packages restored"
fi
