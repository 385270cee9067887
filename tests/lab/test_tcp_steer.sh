#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_tcp_steer.sh — two io lcores (-l 0-1, two af_packet queue pairs): the
# kernel's fanout spreads frames over the queues with its own hash, so
# dp_steer moves every frame to the lcore owning its flow. 200 concurrent
# echo connections x 1 MiB from Linux, then active opens (source ports
# chosen so replies come back to the opening lcore). Checks that frames were
# steered and that both lcores accepted connections.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export TCPLAB_LCORES=0-1 TCP_CONNS=${TCP_CONNS:-200}
out=$("$HERE/test_tcp_echo_concurrent.sh" 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E 'PASS|client:'
steered=$(echo "$out" | grep -o '"steered_out":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
acc=$(echo "$out" | grep -o '"index":[0-9],' | wc -l)
per_lcore=$(echo "$out" | grep -o '"tcp":{"accepted":[0-9]*' | cut -d: -f3 | tr '\n' ' ')
echo "steered frames: $steered; accepted per lcore: $per_lcore"
for a in $per_lcore; do
	if [ "$a" -eq 0 ]; then
		echo "FAIL: an io lcore accepted no connection" >&2
		exit 1
	fi
done
if [ "$acc" -ne 2 ] || [ "${steered:-0}" -eq 0 ]; then
	echo "FAIL: expected 2 io lcores and steered frames" >&2
	exit 1
fi
TCP_SERVICES=echo "$HERE/test_tcp_active_open.sh"
echo "PASS: steering over two io lcores"
