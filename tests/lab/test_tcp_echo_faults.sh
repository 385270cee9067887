#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_tcp_echo_faults.sh — the concurrent echo test with 2% drop, 1%
# duplicate and 2% reorder injected by dp_fault on the stack's port, in both
# directions (RX and TX), so both TCPs see loss, duplicates and reordering.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export TCP_FAULT=${TCP_FAULT:-0.02,0.01,0.02}
exec "$HERE/test_tcp_echo_concurrent.sh"
