#!/usr/bin/env bash
# Prepares a machine for FedActors: the .NET 10 SDK, the libstdc++ that TorchSharp's native
# shim needs, the Fashion-MNIST Debian package, a font for the plots, PostgreSQL (for the
# failover tests), and the NuGet restore.
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

# Where the libstdc++ fix keeps its apt sources and pins.
trixie_src=/etc/apt/sources.list.d/fedactors-trixie.sources
trixie_pin=/etc/apt/preferences.d/fedactors-trixie
security_src=/etc/apt/sources.list.d/fedactors-trixie-security.sources
security_pin=/etc/apt/preferences.d/fedactors-trixie-security

# The fix was applied (its trixie source exists) by an older version of this script, which
# did not add trixie-security: the Debian 13 libc6 it installed then gets no security fixes.
needs_trixie_security() {
  [ -e "$trixie_src" ] && { [ ! -e "$security_src" ] || [ ! -e "$security_pin" ]; }
}

# The security mirror of debian.sources' "-security" entry, else Debian's own.
security_mirror() {
  local uri
  uri=$(awk '/^[ \t]*$/ {u = ""; s = 0; next}
             /^URIs:/ {u = $2}
             /^Suites:/ && /-security/ {s = 1}
             s && u != "" {print u; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  printf '%s\n' "${uri:-http://security.debian.org/debian-security}"
}

# trixie-security gets the same low pin as trixie (its Release file's Codename is
# "trixie-security", so n=trixie does not cover it; unpinned it would get 500 and replace
# Debian 12's packages with any that have a Debian 13 security update).
# What priority 100 does (apt_preferences(5): 100 is the priority of the installed version):
# - a package from Debian 12 has a Debian 12 version at 500 (the installed one, or a newer
#   update), Debian 13's at 100: its candidate stays Debian 12's, and so do new installs;
# - a package installed from Debian 13 by the fix (libc6, dpkg, ...) is in no Debian 12
#   archive at that version, so its installed version is at 100 only, and Debian 12's older
#   one never wins (below 1000 apt does not downgrade): among the equal 100s the newest
#   wins, so "apt upgrade" takes trixie-security's and trixie's fixes for those packages.
# Checked on a Debian 12 machine with the fix applied: 'apt-cache policy libc6' keeps the
# installed 2.41 (100) over bookworm's 2.36 (500); zstd's candidate became trixie-security's,
# openssl's stayed bookworm-security's.
write_trixie_security_source() {
  cat > "$security_src" <<SRC
Types: deb
URIs: $(security_mirror)
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  cat > "$security_pin" <<PIN
Package: *
Pin: release n=trixie-security
Pin-Priority: 100
PIN
}

needs_dataset() {
  local f
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [ -e "$dataset_dir/$f.gz" ] || [ -e "$dataset_dir/$f" ] || return 0
  done
  return 1
}

needs_postgres() { ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; }

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
if needs_libstdcxx; then
  missing+=("libstdc++6 (GLIBCXX_3.4.32, from Debian 13 'trixie')")
elif needs_trixie_security; then
  missing+=("the trixie-security apt source (security fixes for the Debian 13 libc6 that came with libstdc++6)")
fi
needs_dataset && missing+=("dataset-fashion-mnist")
needs_font && missing+=("fonts-dejavu-core")
needs_postgres && missing+=("postgresql (the failover tests run a private PostgreSQL on loopback)")

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "FedActors needs these system packages, and installing them needs root:"
    for m in "${missing[@]}"; do say "  - $m"; done
    say "Run 'sudo $0' once, or install them yourself (see README.md, 'Prerequisites')."
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Wait for a busy dpkg lock, and keep changed conffiles without asking (no standard input).
  apt_opts=(-o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  apt_updated=0
  # apt-get update takes only /var/lib/apt/lists/lock, which DPkg::Lock::Timeout does not
  # cover (apt 2.6 fails at once when it is held): retry for up to 120 s then.
  apt_update() {
    [ $apt_updated -eq 0 ] || return 0
    local waited=0 err
    until err=$(LC_ALL=C apt-get "${apt_opts[@]}" update -qq 2>&1); do
      if [ $waited -ge 120 ] || ! grep -q 'Could not get lock' <<<"$err"; then
        printf '%s\n' "$err" >&2
        return 1
      fi
      sleep 5
      waited=$((waited + 5))
    done
    [ -z "$err" ] || printf '%s\n' "$err" >&2
    apt_updated=1
  }

  if needs_libstdcxx; then
    say "libstdc++ lacks GLIBCXX_3.4.32: installing Debian 13's libstdc++6, pinned low so later installs stay on this release"
    say "  (this also upgrades libc6, dpkg, base-files and the GCC runtime libraries to Debian 13's; see README.md)"
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
    cat > "$trixie_src" <<SRC
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    cat > "$trixie_pin" <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
    write_trixie_security_source
    apt_update
    # -t trixie lifts trixie to 990 for this one command, so what libstdc++6 pulls along comes
    # from Debian 13 too: it needs libc6 >= 2.38, libc6 2.41 breaks base-files << 13.3 (so
    # /etc/os-release then says trixie), and their siblings follow (libc-bin, locales, dpkg,
    # the GCC 14 runtime libraries): about 27 base packages.
    apt-get install -y -qq "${apt_opts[@]}" -t trixie libstdc++6 >/dev/null
    ldconfig
    needs_libstdcxx && { say "libstdc++ still lacks GLIBCXX_3.4.32 after the install"; exit 1; }
  elif needs_trixie_security; then
    say "adding the trixie-security apt source, pinned low like trixie, so 'apt upgrade' brings security fixes to the Debian 13 libc6"
    write_trixie_security_source
    apt_update
  fi
  if needs_dataset; then
    say "installing dataset-fashion-mnist (the Fashion-MNIST IDX files)"
    apt_update
    apt-get install -y -qq "${apt_opts[@]}" dataset-fashion-mnist >/dev/null
  fi
  if needs_font; then
    say "installing fonts-dejavu-core (plots lose all text without a font)"
    apt_update
    apt-get install -y -qq "${apt_opts[@]}" fonts-dejavu-core fontconfig >/dev/null
  fi
  # For the tests of the database checkpoint store with two server nodes; its install starts no
  # machine-wide server (scripts/postgres.sh runs a private one per test, and none is left running).
  if needs_postgres; then
    bash "$here/scripts/postgres.sh" install
  fi
fi
say "system prerequisites present"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ -f "$here/FedActors.sln" ]; then
  dotnet restore "$here/FedActors.sln" --verbosity quiet
  say "NuGet packages restored"
fi
