#!/usr/bin/env bash
# Installs what a command needs, if any of it is missing (Debian packages need root or sudo):
#   build  the libraries verifyd builds and links against (libcurl, SQLite, libphonenumber, RE2, libpq) and
#          what `make demo` checks its reports with (python3);
#   test   those, plus the PostgreSQL server whose throwaway clusters the store tests start
#          (Tests/VerifyRunnerTests/Support/PostgresServer.swift), the headless Chromium the page tests
#          render with (scripts/render-html.sh), and the Python environment with the official API clients
#          the sandbox tests run (scripts/client-venv.sh).
# Usage: scripts/install-deps.sh [--list] build|test   (--list prints the packages and installs nothing)
set -euo pipefail
list=false
if [ "${1:-}" = --list ]; then
    list=true
    shift
fi
profile=${1:-test}
packages=(libcurl4-openssl-dev libsqlite3-dev libphonenumber-dev libprotobuf-dev libre2-dev libpq-dev pkg-config openssl
    python3)
case $profile in
build) ;;
test) packages+=(python3-venv chromium postgresql) ;;
*)
    echo "usage: $0 [--list] build|test" >&2
    exit 64
    ;;
esac
if $list; then
    printf '%s\n' "${packages[@]}"
    exit 0
fi
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
if [ "$profile" = test ]; then "$(dirname "$0")/client-venv.sh"; fi
