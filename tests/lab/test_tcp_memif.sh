#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_tcp_memif.sh — stack to stack: two DPDK processes (smtpdlp-tcpecho
# server and client) joined by net_memif, no kernel in the path. 200
# concurrent echo connections x 1 MiB each way, all bytes verified, then
# 2,000 short connections. Rings of 16384 slots (rsize=14): with the default
# 1024, bursts of 200 windows overflow the ring while the peer sleeps.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=${LABLIB:-$HERE/../../tools/lab}
source "$LIB/netns.sh"
source "$LIB/tcplab.sh"

lab_need_root
tcplab_check_bins
lab_init tmemif
sock=/tmp/${LAB_PREFIX}.memif.sock
LAB_FILES+=("$sock")
srv_dev="net_memif0,role=server,socket=$sock,id=0,rsize=14"
cli_dev="net_memif0,role=client,socket=$sock,id=0,rsize=14"
log=$(lab_tmpfile)
# shellcheck disable=SC2046
timeout -s INT 300 "$TCPECHO" $(tcplab_eal msrv "$srv_dev") -- --dev "$srv_dev" \
	--ip 198.51.100.10/24 --server --listen 7 --service echo --stats \
	--idle-sleep-us "$TCPLAB_IDLE_US" >"$log" 2>&1 &
spid=$!
LAB_PIDS+=("$spid")
lab_wait_log "$log" ready 30
fail=0
for run in "200 200 1048576" "1 2000 100"; do
	read -r conns total bytes <<<"$run"
	rc=0
	# shellcheck disable=SC2046
	res=$(timeout 200 "$TCPECHO" $(tcplab_eal mcli "$cli_dev") -- --dev "$cli_dev" \
		--ip 198.51.100.20/24 --client --connect 198.51.100.10:7 --service echo \
		--conns "$conns" --total "$total" --bytes "$bytes" --time 180 --msl-ms 500 \
		--idle-sleep-us "$TCPLAB_IDLE_US") || rc=$?
	echo "client: $res"
	ok=$(json_get "$res" ok 2>/dev/null || echo 0)
	if [ "$rc" -ne 0 ] || [ "$ok" -ne "$total" ]; then
		echo "FAIL: memif $conns x $total x $bytes: rc $rc, $ok verified" >&2
		fail=1
	fi
done
kill -INT "$spid" 2>/dev/null || true
wait "$spid" || fail=1
grep '^{' "$log" || cat "$log"
[ "$fail" -eq 0 ] && echo "PASS: stack to stack over net_memif"
exit "$fail"
