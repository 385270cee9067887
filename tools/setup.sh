#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# setup.sh — install the Debian 12 packages smtpdlp builds, tests and runs
# with, when missing. Idempotent; needs root (it is a no-op when everything
# is present). Used by tools/main-job.sh, tools/test.sh and .ci/run.
set -euo pipefail

PKGS=(
	# build
	build-essential meson ninja-build pkg-config clang llvm libclang-rt-14-dev
	# libraries
	libdpdk-dev dpdk libhyperscan-dev libmbedtls-dev libconfig-dev check
	libsqlite3-dev libmicrohttpd-dev zlib1g-dev libarchive-dev libpcap-dev
	libcurl4-openssl-dev
	# lab and real peers
	iproute2 ethtool iputils-ping procps psmisc openssl curl python3
	swaks postfix
	# debugging
	valgrind gdb
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if ((${#missing[@]})); then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup.sh: missing packages: ${missing[*]} (run as root to install)" >&2
		exit 1
	fi
	echo "setup.sh: installing ${missing[*]}"
	# Postfix asks questions on install; the lab writes its own main.cf.
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	export DEBIAN_FRONTEND=noninteractive
	apt_q=(-y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
	if ! apt-get install "${apt_q[@]}" "${missing[@]}"; then
		apt-get update -qq
		apt-get install "${apt_q[@]}" "${missing[@]}"
	fi
fi
exit 0
