#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_tcp_shutdown.sh — SIGTERM while 100 connections are moving data: the
# stack server stops accepting, gives its flows the drain budget (2 s), then
# resets what is left, stops the port and exits 0 with its summary. The
# Linux client must see every connection end (reset), none hang.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=${LABLIB:-$HERE/../../tools/lab}
source "$LIB/netns.sh"
source "$LIB/tcplab.sh"

tcplab_setup tshut
log=$(lab_tmpfile)
clog=$(lab_tmpfile)
tcplab_start_server "$log" --listen 7 --service echo --stats
lab_bg lnx "$clog" timeout 60 "$TCPKERN" --client --connect "$TCPLAB_DP_IP:7" \
	--conns 100 --bytes 1073741824 --time 50
cpid=$LAB_LAST_PID
sleep 2
t0=$(date +%s.%N)
kill -TERM "$TCPLAB_SRV_PID"
src=0
wait "$TCPLAB_SRV_PID" || src=$?
t1=$(date +%s.%N)
TCPLAB_SRV_JSON=$(grep '^{' "$log" || true)
crc=0
wait "$cpid" || crc=$?
res=$(grep '^{' "$clog" || true)
echo "server (exit $src after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s): ${TCPLAB_SRV_JSON:0:400}"
echo "client (exit $crc): $res"
aborted=$(echo "$TCPLAB_SRV_JSON" | grep -o '"aborted":[0-9]*' | head -1 | cut -d: -f2)
accepted=$(json_get "$TCPLAB_SRV_JSON" accepted 2>/dev/null || echo 0)
closed=$(json_get "$TCPLAB_SRV_JSON" closed 2>/dev/null || echo 0)
failed=$(json_get "$res" failed 2>/dev/null || echo 0)
if [ "$src" -ne 0 ] || [ "$accepted" -ne 100 ] || [ "$closed" -ne 100 ] ||
	[ "${aborted:-0}" -eq 0 ] || [ "$failed" -ne 100 ] ||
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a > 10) }'; then
	echo "FAIL: shutdown: exit $src, accepted $accepted, closed $closed, aborted $aborted, client failures $failed" >&2
	exit 1
fi
echo "PASS: SIGTERM drained then reset $aborted flows, exit 0; the client saw all $failed end"
