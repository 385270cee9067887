#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-tcp.sh — throughput and connections/s of the userspace TCP stack next
# to the Linux kernel, measured in one run on the same machine:
#
#   memif     smtpdlp-tcpecho client -> smtpdlp-tcpecho server over net_memif
#             (two DPDK processes, one lcore each, no kernel in the path; the
#             server polls on CPU 0, the client on CPU $BENCH_MEMIF_CLIENT_CPU
#             [1]: two busy-polling processes on one CPU take turns by
#             scheduler slices, and every exchange then waits for a slice);
#             bulk twice: tcp_send_copy() (a copy, like send(2)) and
#             --zero-copy (tcp_send() of mbufs the client fills)
#   afpacket  Linux client (smtpdlp-tcpkern, ns lnx) -> stack server on
#             net_af_packet (ns dp) over a veth pair
#   kernel    the same Linux client -> smtpdlp-tcpkern server in ns dp, over
#             the same veth pair, the same bytes and the same pattern
#
# Bulk: BENCH_CONNS connections x BENCH_BYTES bytes, sink mode (the server
# verifies a CRC). Short: BENCH_SHORT echo connections of 64 bytes, 16 at a
# time. "per core" = rate / (cpu seconds / wall seconds), with two CPU
# figures for each path, both the sum of client and server:
#   process  user+system seconds of the whole processes (/proc and time(1)),
#            start-up included (a DPDK process maps and touches its memory
#            in EAL init; the server polls meanwhile);
#   window   CPU of each process from its first connection to the moment
#            its last one closed (CLOCK_PROCESS_CPUTIME_ID, reported by the
#            tools: "window_cpu_s"), i.e. what moving the bytes cost.
# Busy-polling processes use their whole core in either case;
# BENCH_IDLE_US > 0 makes the DPDK loops sleep when idle.
# The Linux client runs with net.ipv4.tcp_tw_reuse = BENCH_TW_REUSE [1] in
# its namespace: the stack client closes with --msl-ms 200 (TIME_WAIT
# 400 ms); with Linux's default (2: loopback only) its 60 s TIME_WAIT
# fills the port range after ~14,000 connections and every connect() then
# searches it (7 s of system time for 20,000 connections).
# Prints Markdown tables and keeps the raw JSON in $BENCH_OUT (default
# /tmp/bench-tcp.json).
# Needs root (namespaces). Usage: tools/bench-tcp.sh [BUILD_DIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-${BUILD:-$HERE/../build-dp}}
export BUILD
source "$HERE/lab/netns.sh"
source "$HERE/lab/tcplab.sh"

CONNS=${BENCH_CONNS:-8}
BYTES=${BENCH_BYTES:-134217728}
SHORT=${BENCH_SHORT:-20000}
OUT=${BENCH_OUT:-/tmp/bench-tcp.json}
TCPLAB_IDLE_US=${BENCH_IDLE_US:-0}
TICK=$(getconf CLK_TCK)
MEMIF_CLIENT_CPU=${BENCH_MEMIF_CLIENT_CPU:-1}
TW_REUSE=${BENCH_TW_REUSE:-1}
: >"$OUT"

tcplab_setup btcp
lab_ns lnx sysctl -q -w net.ipv4.tcp_tw_reuse="$TW_REUSE"

cpu_of() { # utime+stime of a pid, seconds
	awk -v t="$TICK" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# run_client NAME NS-or-"" cmd...: runs a client, records JSON + cpu.
declare -A R_GBPS R_CPS R_CPU R_WALL R_WCPU R_CRES
run_client() {
	local name=$1 ns=$2 spid=$3
	shift 3
	local s0 s1 tf res
	tf=$(lab_tmpfile)
	s0=$(cpu_of "$spid")
	if [ -n "$ns" ]; then
		res=$(ip netns exec "$(lab_ns_name "$ns")" /usr/bin/time -f "%U %S" -o "$tf" "$@")
	else
		res=$(/usr/bin/time -f "%U %S" -o "$tf" "$@")
	fi
	s1=$(cpu_of "$spid")
	echo "{\"bench\":\"$name\",\"result\":$res}" >>"$OUT"
	local ccpu
	ccpu=$(awk '{ print $1 + $2 }' "$tf")
	R_GBPS[$name]=$(json_get "$res" gbps)
	R_CPS[$name]=$(json_get "$res" conns_per_s)
	R_WALL[$name]=$(json_get "$res" seconds)
	R_CPU[$name]=$(awk -v a="$ccpu" -v b="$s0" -v c="$s1" 'BEGIN { printf "%.3f", a + c - b }')
	R_CRES[$name]=$res
	echo "bench $name: $res (cpu ${R_CPU[$name]} s)" >&2
}

# server_done NAME LOG: after the server exited, adds its busy-window CPU
# to the client's (R_WCPU).
server_done() {
	local name=$1 log=$2 sres
	sres=$(grep '^{"tool"' "$log" | tail -1)
	echo "{\"bench\":\"${name}_server\",\"result\":$sres}" >>"$OUT"
	R_WCPU[$name]=$(awk -v a="$(json_get "${R_CRES[$name]}" window_cpu_s)" \
		-v b="$(json_get "$sres" window_cpu_s)" 'BEGIN { printf "%.3f", a + b }')
	echo "bench $name: window cpu ${R_WCPU[$name]} s (server $sres)" >&2
}

# ---- memif: stack <-> stack
# memif_phase N: a fresh socket per server (a client could otherwise
# reach the previous server's socket file before the new one replaced it)
memif_phase() {
	local sock=/tmp/${LAB_PREFIX}.memif$1.sock
	LAB_FILES+=("$sock")
	sdev="net_memif0,role=server,socket=$sock,id=0,rsize=14"
	cdev="net_memif0,role=client,socket=$sock,id=0,rsize=14"
}
# memif_bulk NAME PHASE PREFIX [CLIENT OPTION...]: a sink server and a bulk
# client over a fresh memif socket
memif_bulk() {
	local name=$1 phase=$2 pre=$3
	shift 3
	memif_phase "$phase"
	# shellcheck disable=SC2046
	"$TCPECHO" $(tcplab_eal "${pre}s" "$sdev") -- --dev "$sdev" --ip 198.51.100.10/24 \
		--server --listen 9 --service sink --buf 1048576 \
		--idle-sleep-us "$TCPLAB_IDLE_US" --max-conns 65536 >"$slog" 2>&1 &
	spid=$!
	LAB_PIDS+=("$spid")
	lab_wait_log "$slog" ready 30
	# shellcheck disable=SC2046
	run_client "$name" "" "$spid" timeout 120 "$TCPECHO" \
		$(TCPLAB_LCORES=$MEMIF_CLIENT_CPU tcplab_eal "${pre}c" "$cdev") -- \
		--dev "$cdev" --ip 198.51.100.20/24 --client --connect 198.51.100.10:9 \
		--service sink --conns "$CONNS" --bytes "$BYTES" --buf 1048576 \
		--idle-sleep-us "$TCPLAB_IDLE_US" "$@"
	kill -INT "$spid"; wait "$spid" || true
	server_done "$name" "$slog"
}
slog=$(lab_tmpfile)
memif_bulk memif_bulk 1 bm
# the same with the stack's zero-copy send (tcp_send of mbufs the client
# fills with the pattern; tcp_send_copy above, like send(2) on Linux)
memif_bulk memifzc_bulk 2 bmz --zero-copy
memif_phase 3
# shellcheck disable=SC2046
"$TCPECHO" $(tcplab_eal bms2 "$sdev") -- --dev "$sdev" --ip 198.51.100.10/24 --server \
	--listen 7 --service echo --idle-sleep-us "$TCPLAB_IDLE_US" --max-conns 65536 \
	>"$slog" 2>&1 &
spid=$!
LAB_PIDS+=("$spid")
lab_wait_log "$slog" ready 30
# shellcheck disable=SC2046
run_client memif_short "" "$spid" timeout 120 "$TCPECHO" $(TCPLAB_LCORES=$MEMIF_CLIENT_CPU tcplab_eal bmc2 "$cdev") -- \
	--dev "$cdev" --ip 198.51.100.20/24 --client --connect 198.51.100.10:7 --service echo \
	--conns 16 --total "$SHORT" --bytes 64 --msl-ms 200 --max-conns 65536 \
	--idle-sleep-us "$TCPLAB_IDLE_US"
CONN_STATE=$(json_get "${R_CRES[memif_short]}" conn_state_bytes)
kill -INT "$spid"; wait "$spid" || true
server_done memif_short "$slog"

# ---- af_packet: Linux client -> stack
alog=$(lab_tmpfile)
lab_bg dp "$alog" "$TCPECHO" $(tcplab_eal bas "$(tcplab_afp_dev)") -- \
	--dev "$(tcplab_afp_dev)" --ip "$TCPLAB_DP_IP/24" --server --listen 9 --service sink \
	--buf 1048576 --idle-sleep-us "$TCPLAB_IDLE_US"
apid=$LAB_LAST_PID
lab_wait_log "$alog" ready 30
run_client afpacket_bulk lnx "$apid" timeout 120 "$TCPKERN" --client \
	--connect "$TCPLAB_DP_IP:9" --service sink --conns "$CONNS" --bytes "$BYTES"
kill -INT "$apid"; wait "$apid" || true
server_done afpacket_bulk "$alog"
lab_bg dp "$alog" "$TCPECHO" $(tcplab_eal bas2 "$(tcplab_afp_dev)") -- \
	--dev "$(tcplab_afp_dev)" --ip "$TCPLAB_DP_IP/24" --server --listen 7 --service echo \
	--idle-sleep-us "$TCPLAB_IDLE_US"
apid=$LAB_LAST_PID
lab_wait_log "$alog" ready 30
run_client afpacket_short lnx "$apid" timeout 120 "$TCPKERN" --client \
	--connect "$TCPLAB_DP_IP:7" --service echo --conns 16 --total "$SHORT" --bytes 64
kill -INT "$apid"; wait "$apid" || true
server_done afpacket_short "$alog"

# ---- kernel: the same veth, the kernel on both ends
lab_ns dp ip addr add 192.0.2.20/24 dev td0
klog=$(lab_tmpfile)
lab_bg dp "$klog" "$TCPKERN" --server --listen 192.0.2.20:9 --service sink
kpid=$LAB_LAST_PID
lab_wait_log "$klog" listening 10
run_client kernel_bulk lnx "$kpid" timeout 120 "$TCPKERN" --client --connect 192.0.2.20:9 \
	--service sink --conns "$CONNS" --bytes "$BYTES"
lab_stop "$kpid" 2 || true
server_done kernel_bulk "$klog"
lab_bg dp "$klog" "$TCPKERN" --server --listen 192.0.2.20:7 --service echo
kpid=$LAB_LAST_PID
lab_wait_log "$klog" listening 10
run_client kernel_short lnx "$kpid" timeout 120 "$TCPKERN" --client --connect 192.0.2.20:7 \
	--service echo --conns 16 --total "$SHORT" --bytes 64
lab_stop "$kpid" 2 || true
server_done kernel_short "$klog"

percore() { awk -v r="$1" -v c="$2" -v w="$3" 'BEGIN { if (c > 0 && w > 0) printf "%.3f", r / (c / w); else print "n/a" }'; }
table() { # table R_CPU|R_WCPU
	local -n cpu=$1
	local p b s
	echo "| path | bulk Gbps | bulk CPU s | bulk Gbps/core | short conns/s | short CPU s | conns/s/core |"
	echo "|---|---|---|---|---|---|---|"
	for p in memif memifzc afpacket kernel; do
		b=${p}_bulk s=${p}_short
		if [ "$p" = memifzc ]; then
			echo "| memif, zero-copy send | ${R_GBPS[$b]} | ${cpu[$b]} | $(percore "${R_GBPS[$b]}" "${cpu[$b]}" "${R_WALL[$b]}") | | | |"
			continue
		fi
		echo "| $p | ${R_GBPS[$b]} | ${cpu[$b]} | $(percore "${R_GBPS[$b]}" "${cpu[$b]}" "${R_WALL[$b]}") | ${R_CPS[$s]} | ${cpu[$s]} | $(percore "${R_CPS[$s]}" "${cpu[$s]}" "${R_WALL[$s]}") |"
	done
}
ratios() { # ratios R_CPU|R_WCPU: memif / kernel per core
	local -n cpu=$1
	awk -v mb="$(percore "${R_GBPS[memif_bulk]}" "${cpu[memif_bulk]}" "${R_WALL[memif_bulk]}")" \
		-v kb="$(percore "${R_GBPS[kernel_bulk]}" "${cpu[kernel_bulk]}" "${R_WALL[kernel_bulk]}")" \
		-v ms="$(percore "${R_CPS[memif_short]}" "${cpu[memif_short]}" "${R_WALL[memif_short]}")" \
		-v ks="$(percore "${R_CPS[kernel_short]}" "${cpu[kernel_short]}" "${R_WALL[kernel_short]}")" \
		-v zb="$(percore "${R_GBPS[memifzc_bulk]}" "${cpu[memifzc_bulk]}" "${R_WALL[memifzc_bulk]}")" \
		'BEGIN { if (kb > 0 && ks > 0) printf "ratio memif/kernel per core: bytes %.2fx (zero-copy send %.2fx), conns %.2fx\n", mb / kb, zb / kb, ms / ks }'
}
echo
echo "CPU of the whole processes (start-up included):"
echo
table R_CPU
echo
ratios R_CPU
echo
echo "CPU of the busy windows (first connection to last close):"
echo
table R_WCPU
echo
ratios R_WCPU
echo
echo "bulk: $CONNS connections x $BYTES bytes (sink, CRC verified); short: $SHORT echo connections of 64 bytes, 16 concurrent"
echo "idle sleep: ${TCPLAB_IDLE_US} us; Linux client tcp_tw_reuse=$TW_REUSE; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "stack state per connection (sizeof struct tcp_conn): $CONN_STATE bytes, buffers: sndbuf/rcvbuf as configured"
awk -v m="${R_GBPS[memif_bulk]}" -v k="${R_GBPS[kernel_bulk]}" -v mc="${R_CPS[memif_short]}" -v kc="${R_CPS[kernel_short]}" \
	'BEGIN { if (k > 0 && kc > 0) printf "ratio memif/kernel raw: bytes/s %.2fx, conns/s %.2fx\n", m / k, mc / kc }'
