#!/usr/bin/env bash
# Installs the Debian packages verifyd builds against, the headless Chromium its page tests render with
# (scripts/render-html.sh) and the PostgreSQL its store tests start throwaway clusters of
# (Tests/VerifyRunnerTests/Support/PostgresServer.swift), if any is missing (needs root or sudo); then the
# Python environment with the official API clients the sandbox tests run (scripts/client-venv.sh).
set -euo pipefail
packages=(libcurl4-openssl-dev libsqlite3-dev libphonenumber-dev libprotobuf-dev pkg-config openssl python3 python3-venv
    chromium postgresql libpq-dev)
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
"$(dirname "$0")/client-venv.sh"
