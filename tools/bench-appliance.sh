#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench-appliance.sh — the appliance end to end: messages/s and MB/s through
# smtpdlp on DPDK next to kernel forwarding and a Postfix relay, same lab,
# same run (docs/BENCHMARKS.md "Appliance end to end").
#
#   tools/bench-appliance.sh            (as root; build first:
#                                        meson setup build-bench && ninja -C build-bench app/smtpdlp)
#
# Topology: tools/lab/appliance.sh's three namespaces. smtp-sink listens in the
# upstream namespace on 198.51.100.25:$LAB_UP_PORT; the load comes from the
# sender namespace (192.0.2.20). What sits in the middle, in the app namespace:
#   direct   the kernel as a router: dlp-in/dlp-out get 192.0.2.10/198.51.100.10,
#            ip_forward=1, the sender talks to smtp-sink itself
#   postfix  a private Postfix instance on 192.0.2.10:25 relaying everything
#            to [198.51.100.25]:2525 (measured until smtp-sink has it all)
#   smtpdlp  the lab's daemon on net_af_packet (kernel addresses removed),
#            upstream = smtp-sink; plain (smtp-source) and STARTTLS
#            (tools/bench/smtp_load.py; smtp-source has no TLS)
# Load: $BENCH_SESSIONS concurrent sessions, one message per connection unless
# the row says otherwise, 10 KB and 1 MB payloads (smtp-source -l).
# Every run is checked: the generator must get 250 for every message and
# smtp-sink must have received exactly that many (it runs with -M N+1 and one
# marker message sent afterwards must make it exit).
# Then memory: the daemon's RSS and glibc heap in use (gdb -> malloc_stats)
# before/after holding idle, TLS-idle and in-DATA sessions
# (tools/bench/hold_sessions.py). Per smtpdlp run it also prints the io
# lcore's CPU and how long it waited runnable for a CPU (schedstat).
# Takes 2.5-3.5 minutes. Experiments (not for the record): BENCH_NICE=-10
# renices the io lcore, BENCH_AFP_OPTS=... adds net_af_packet devargs.
#
# Message counts: each case first runs a short calibration (8 messages per
# session at 10 KB, 1 at 1 MB; also the warm-up), then the recorded run sends
# its rate x BENCH_SECS messages (default 5 s, at most BENCH_MAX = 60000); a
# recorded run shorter than BENCH_SECS/2.5 is sized again from its own rate.
# Environment: BENCH_SESSIONS (50), BENCH_SECS (5), BENCH_MAX (60000),
# BENCH_SKIP (space-separated: postfix tls mem persistent),
# LAB_NS/LAB_DIR/LAB_BUILD as for the lab (defaults bench, .lab-bench, build-bench).
set -euo pipefail

BENCH_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export LAB_NS=${LAB_NS:-bench}
export LAB_DIR=${LAB_DIR:-$BENCH_TOP/.lab-bench}
export LAB_BUILD=${LAB_BUILD:-$BENCH_TOP/build-bench}
export LAB_UP_PORT=${LAB_UP_PORT:-2525}
# shellcheck source=tools/lab/appliance.sh
. "$BENCH_TOP/tools/lab/appliance.sh"

SESSIONS=${BENCH_SESSIONS:-50}
TARGET_SECS=${BENCH_SECS:-5}
MAX_N=${BENCH_MAX:-60000}
SKIP=" ${BENCH_SKIP:-} "
PY=/usr/bin/python3
LOAD=$BENCH_TOP/tools/bench/smtp_load.py
HOLD=$BENCH_TOP/tools/bench/hold_sessions.py
SINK_DIR=$LAB_DIR/bench
RELAY_DIR=$LAB_DIR/relay
K10=10240
M1=1048576
FROM=alice@corp.example
TO=bob@partner.example

skip() { [[ $SKIP == *" $1 "* ]]; }
blog() { printf '[bench] %s\n' "$*" >&2; }
now() { date +%s.%N; }

# ---------------------------------------------------------------- modes

router_on() {
	ip -n "$NS_APP" addr add "$APP_IN_IP/24" dev dlp-in
	ip -n "$NS_APP" addr add "$APP_OUT_IP/24" dev dlp-out
	ip netns exec "$NS_APP" sysctl -qw net.ipv4.ip_forward=1
}

router_off() {
	ip netns exec "$NS_APP" sysctl -qw net.ipv4.ip_forward=0
	ip -n "$NS_APP" addr flush dev dlp-in
	ip -n "$NS_APP" addr flush dev dlp-out
	# The peers cached the kernel's answers; smtpdlp answers ARP with the same MACs.
}

relay_start() {
	_lab_postfix_common "$RELAY_DIR" relay.bench.example "$APP_IN_IP"
	cat >>"$RELAY_DIR/etc/main.cf" <<-CF
	mydestination =
	relay_domains = static:all
	relayhost = [$UP_IP]:$LAB_UP_PORT
	smtp_tls_security_level = none
	smtpd_tls_security_level = may
	smtpd_tls_cert_file = $LAB_DIR/certs/server.pem
	smtpd_tls_key_file = $LAB_DIR/certs/server.key
	# Benchmark tuning: enough smtpd and smtp processes for 50 sessions each
	# way, 50 parallel deliveries to the relayhost over cached connections,
	# no reverse lookups, no inflow throttle (we measure until delivered).
	default_process_limit = 150
	smtp_destination_concurrency_limit = 50
	default_destination_concurrency_limit = 50
	smtp_connection_cache_destinations = [$UP_IP]:$LAB_UP_PORT
	smtpd_client_connection_count_limit = 0
	smtpd_peername_lookup = no
	in_flow_delay = 0
	CF
	_lab_postfix_start "$NS_APP" "$RELAY_DIR"
}

relay_stop() { lab_postfix_stop "$NS_APP" "$RELAY_DIR"; }

relay_queue_empty() { [ "$(lab_postfix_queue_count "$RELAY_DIR")" -eq 0 ]; }

smtpdlp_pid() { cat "$LAB_DIR/smtpdlp.pid" 2>/dev/null || true; }

api_stats() {
	lab_api /api/v1/stats -H "Authorization: Bearer $(cat "$LAB_DIR/api-token")" 2>/dev/null || true
}

# One counter out of the stats JSON: app_stat GROUP NAME
app_stat() {
	api_stats | $PY -c 'import json,sys
d=json.load(sys.stdin).get("data",{}); print(d.get(sys.argv[1],{}).get(sys.argv[2],0))' "$1" "$2" 2>/dev/null || echo "?"
}

stats_brief() {
	api_stats | $PY -c 'import json,sys
d=json.load(sys.stdin)["data"]
for g in ("tcp","tls","smtp","dlp","actions"):
    print("  %-8s" % g, " ".join("%s=%s" % kv for kv in d.get(g,{}).items() if kv[1]))
for n, p in d.get("ports",{}).items():
    print("  %-8s" % n, " ".join("%s=%s" % kv for kv in p.items()))' || true
}

# ---------------------------------------------------------------- sink

SINK_PID=
sink_start() { # expected messages
	mkdir -p "$SINK_DIR"
	ip netns exec "$NS_UP" smtp-sink -u nobody -m 2000 -M $(($1 + 1)) "$UP_IP:$LAB_UP_PORT" 1024 \
		>"$SINK_DIR/sink.log" 2>&1 &
	SINK_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$NS_UP" ss -Hltn "sport = :$LAB_UP_PORT" | grep -q . && return 0
		sleep 0.05
	done
	blog "smtp-sink did not start"; return 1
}

# The marker: exactly N messages arrived iff one more makes smtp-sink exit now.
sink_check() { # -> prints ok | "LOST (...)"
	local i
	if ! kill -0 "$SINK_PID" 2>/dev/null; then
		echo "EARLY-EXIT (smtp-sink got more than expected?)"; return
	fi
	ip netns exec "$NS_UP" timeout 5 swaks --server "$UP_IP" --port "$LAB_UP_PORT" --hide-all \
		--from marker@bench.example --to marker@bench.example >/dev/null 2>&1 || true
	for ((i = 0; i < 40; i++)); do
		kill -0 "$SINK_PID" 2>/dev/null || { wait "$SINK_PID" 2>/dev/null || true; echo ok; return; }
		sleep 0.05
	done
	kill "$SINK_PID" 2>/dev/null || true
	wait "$SINK_PID" 2>/dev/null || true
	echo "LOST (smtp-sink did not receive every message)"
}

# ---------------------------------------------------------------- CPU

proc_busy() { awk '/^cpu / { print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8 }' /proc/stat; }
# utime+stime of a pid's threads in ticks: "total lcore" (lcore = the lcore-worker threads)
app_ticks() {
	local pid=$1 t tot=0 lc=0 v comm
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || { echo "0 0"; return; }
	for t in /proc/"$pid"/task/*; do
		comm=$(cat "$t/comm" 2>/dev/null) || continue
		v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$t/stat" 2>/dev/null) || continue
		tot=$((tot + v))
		[[ $comm == lcore-worker* || $comm == rte-worker* ]] && lc=$((lc + v))
	done
	echo "$tot $lc"
}

# The lcore threads' scheduler accounting (ns): "ran waited", where waited is
# time runnable on a run queue but not running (/proc/TID/schedstat). A
# busy-polling lcore is always runnable: ran + waited = wall time.
lcore_sched() {
	local pid=$1 t comm r=0 w=0 a b
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || { echo "0 0"; return; }
	for t in /proc/"$pid"/task/*; do
		comm=$(cat "$t/comm" 2>/dev/null) || continue
		[[ $comm == lcore-worker* || $comm == rte-worker* ]] || continue
		read -r a b _ <"$t/schedstat" || continue
		r=$((r + a)) w=$((w + b))
	done
	echo "$r $w"
}

# ---------------------------------------------------------------- one run

RESULTS=()
declare -A RATE

# run_once NAME KIND TARGET COUNT SIZE PERCONN [WAIT]
#   KIND  source (smtp-source) | py (smtp_load.py plain) | tls | tls-resume
#   TARGET direct | postfix | smtpdlp ; WAIT relay = also wait for the relay's queue
#   PERCONN 1 = one message per connection, 0 = all on $SESSIONS connections (-d)
# Sets LAST_RATE; prints and records the row unless NAME is empty (calibration).
LAST_RATE=0
SHORT=0
CAN_RETRY=0
run_once() {
	local name=$1 kind=$2 target=$3 n=$4 size=$5 per=$6 wait=${7:-}
	[ "$per" -eq 0 ] && per=$(((n + SESSIONS - 1) / SESSIONS))
	local host=$APP_IN_IP port=25 out rc=0 t0 t1 t2 chk ticks0 ticks1 b0 b1 pid gen_cpu sr0 sw0 sr1 sw1
	[ "$target" = direct ] && { host=$UP_IP; port=$LAB_UP_PORT; }
	sink_start "$n"
	pid=$(smtpdlp_pid)
	[ "$target" = smtpdlp ] || pid=
	local s0=
	[ -n "$pid" ] && s0=$(app_stat smtp messages_relayed)
	read -r ticks0 lc0 < <(app_ticks "$pid")
	read -r sr0 sw0 < <(lcore_sched "$pid")
	read -r b0 a0 < <(proc_busy)
	t0=$(now)
	case $kind in
	source)
		local dflag=()
		[ "$per" -gt 1 ] && dflag=(-d)
		out=$(ip netns exec "$NS_SND" /usr/bin/time -f 'gencpu %U %S' \
			timeout 300 smtp-source -s "$SESSIONS" -m "$n" -l "$size" "${dflag[@]}" \
			-f "$FROM" -t "$TO" -M bench.example "$host:$port" 2>&1) || rc=$?
		gen_cpu=$(awk '/^gencpu/ { print $2 + $3 }' <<<"$out")
		;;
	py | tls | tls-resume)
		local tflag=()
		[ "$kind" = tls ] && tflag=(--starttls)
		[ "$kind" = tls-resume ] && tflag=(--starttls --resume)
		out=$(ip netns exec "$NS_SND" timeout 300 $PY "$LOAD" "$host" "$port" -s "$SESSIONS" \
			-m "$n" -l "$size" -d "$per" -f "$FROM" -t "$TO" "${tflag[@]}" 2>&1) || rc=$?
		gen_cpu=$($PY -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["cpu_s"])' <<<"$out" 2>/dev/null || echo "?")
		;;
	esac
	t1=$(now)
	t2=$t1
	if [ "$wait" = relay ]; then
		local i
		for ((i = 0; i < 3000; i++)); do relay_queue_empty && break; sleep 0.05; done
		t2=$(now)
	fi
	read -r ticks1 lc1 < <(app_ticks "$pid")
	read -r sr1 sw1 < <(lcore_sched "$pid")
	read -r b1 a1 < <(proc_busy)
	chk=$(sink_check)
	local s1= relayed=
	[ -n "$pid" ] && { s1=$(app_stat smtp messages_relayed); relayed=$((s1 - s0)); }
	local secs acc rate mbs cpu lcpu busy note=
	secs=$(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.2f", b - a }')
	acc=$(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.0f", n / (b - a) }')
	rate=$(awk -v s="$secs" -v n="$n" 'BEGIN { printf "%.0f", n / s }')
	mbs=$(awk -v s="$secs" -v n="$n" -v z="$size" 'BEGIN { printf "%.1f", n * z / s / 1e6 }')
	local hz lwait
	hz=$(getconf CLK_TCK)
	lwait=$(awk -v a="$sw0" -v b="$sw1" -v s="$secs" 'BEGIN { printf "%.0f", (b - a) / 1e9 / s * 100 }')
	cpu=$(awk -v a="$ticks0" -v b="$ticks1" -v s="$secs" -v hz="$hz" 'BEGIN { printf "%.0f", (b - a) / hz / s * 100 }')
	lcpu=$(awk -v a="$lc0" -v b="$lc1" -v s="$secs" -v hz="$hz" 'BEGIN { printf "%.0f", (b - a) / hz / s * 100 }')
	busy=$(awk -v b0="$b0" -v a0="$a0" -v b1="$b1" -v a1="$a1" 'BEGIN { printf "%.0f", (b1 - b0) / (a1 - a0) * 200 }')
	local bad=0
	[ "$rc" -eq 0 ] || { bad=1; note="GENERATOR FAILED rc=$rc: $(grep -v '^gencpu' <<<"$out" | tail -2 | tr '\n' ' ')"; }
	[ "$chk" = ok ] || { bad=1; note="$note sink: $chk"; }
	[ -n "$relayed" ] && [ "$relayed" != "$n" ] && { bad=1; note="$note smtpdlp relayed=$relayed"; }
	case $kind in tls*) note="$note $(grep -o '"handshakes": [0-9]*, "resumed": [0-9]*' <<<"$out" | tr -d '"')" ;; esac
	LAST_RATE=$rate
	[ "$bad" -eq 0 ] || LAST_RATE=0
	SHORT=0
	if [ -n "$name" ] && [ "$bad" -eq 0 ] && [ "$CAN_RETRY" -eq 1 ] &&
		awk -v s="$secs" -v t="$TARGET_SECS" 'BEGIN { exit !(s < t / 2.5) }'; then
		SHORT=1 # too short to trust: run() sizes it again from this rate
		blog "$name: only ${secs}s, running it again with more messages"
		return 0
	fi
	if [ -z "$name" ]; then
		[ "$bad" -eq 0 ] || blog "calibration run failed: $note"
		return 0
	fi
	RATE[$name]=$rate
	local row
	row=$(printf '%-28s %-10s %6s %4s %4s %6.2f %7s %7s %6s %5s %5s %5s %5s %5s  %s' \
		"$name" "$kind" "$n" "$per" "$(awk -v z="$size" 'BEGIN { print (z >= 1048576 ? z / 1048576 "M" : z / 1024 "K") }')" \
		"$secs" "$rate" "$acc" "$mbs" "${pid:+$cpu%}" "${pid:+$lcpu%}" "${pid:+$lwait%}" "$gen_cpu" "$busy%" "$note")
	RESULTS+=("$row")
	echo "$row"
	if [ "$bad" -ne 0 ] && [ -n "$pid" ]; then
		blog "smtpdlp counters after the failed run:"; stats_brief >&2
		grep -vE 'info: (msg|smtp)' "$LAB_DIR/smtpdlp.log" | tail -5 >&2
	fi
	return 0
}

# run NAME KIND TARGET SIZE PERCONN [WAIT]: a short calibration run (also the
# warm-up), then COUNT = its rate x $TARGET_SECS (clamped) for the recorded run.
run() {
	local name=$1 kind=$2 target=$3 size=$4 per=$5 wait=${6:-} nw n
	if [ "$size" -ge $M1 ]; then nw=$((SESSIONS * 1)); else nw=$((SESSIONS * 8)); fi
	[ "$per" -eq 0 ] && nw=$((nw * 4))
	run_once "" "$kind" "$target" "$nw" "$size" "$per" "$wait"
	n=$(awk -v r="$LAST_RATE" -v t="$TARGET_SECS" -v lo="$nw" -v s="$SESSIONS" -v mx="$MAX_N" \
		'BEGIN { n = int(r * t / s + 0.5) * s; if (n < lo) n = lo; if (n > mx) n = mx; print n }')
	CAN_RETRY=1
	run_once "$name" "$kind" "$target" "$n" "$size" "$per" "$wait"
	CAN_RETRY=0
	if [ "$SHORT" -eq 1 ]; then
		n=$(awk -v r="$LAST_RATE" -v t="$TARGET_SECS" -v lo="$n" -v s="$SESSIONS" -v mx="$MAX_N" \
			'BEGIN { n = int(r * t / s + 0.5) * s; if (n < lo) n = lo; if (n > mx) n = mx; print n }')
		run_once "$name" "$kind" "$target" "$n" "$size" "$per" "$wait"
	fi
}

HEADER=$(printf '%-28s %-10s %6s %4s %4s %6s %7s %7s %6s %5s %5s %5s %5s %5s  %s' \
	case generator msgs m/cn size secs msgs/s accpt/s MB/s app lcore lwait gen mach notes)

# ---------------------------------------------------------------- memory

rss_kb() { awk '/^Rss:/ { print $2 }' "/proc/$1/smaps_rollup"; }

HOLD_PIDS=()
HELD=0
# hold N MODE BYTES SOURCE: hold N sessions from SOURCE until killed; sets HELD
hold() {
	local n=$1 mode=$2 bytes=$3 src=$4 f i
	f=$SINK_DIR/hold-$mode-$bytes.out
	ip netns exec "$NS_SND" $PY "$HOLD" "$APP_IN_IP" 25 "$n" "$mode" --bytes "$bytes" \
		--source "$src" --hold 300 >"$f" 2>&1 &
	HOLD_PIDS+=($!)
	for ((i = 0; i < 600; i++)); do
		grep -q READY "$f" && break
		sleep 0.1
	done
	HELD=$(awk '/READY/ { print $2 }' "$f")
	HELD=${HELD:-0}
	grep READY "$f" | grep -v 'failed=0' >&2 || true
}

per_session() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.0f", (n > 0 ? (b - a) * 1024 / n : 0) }'; }

# glibc heap in use (all arenas, mmapped chunks included) in KiB: gdb makes
# the daemon call malloc_stats(), which prints to its stderr (smtpdlp.log).
# Stops the process for ~1 s; "0" without gdb.
heap_kb() {
	command -v gdb >/dev/null || { echo 0; return; }
	gdb -p "$1" -batch -ex 'call (void) malloc_stats()' >/dev/null 2>&1 || true
	awk '/^Total \(incl. mmap\)/ { t = 1 } t && /in use bytes/ { v = $NF } END { printf "%d", v / 1024 }' \
		"$LAB_DIR/smtpdlp.log"
}

# Every hold comes from its own sender address (tcp.max_per_source is 256 by
# default) and stays open, so each reading adds to the previous one and freed
# memory is never reused under the next measurement. Two readings: RSS (pages
# touched: mbufs, heap, mbedTLS buffers actually written) and the glibc heap
# in use (allocated, touched or not).
memory() {
	local pid n=200 nd=50 h ip r0 h0 r h1 label
	pid=$(smtpdlp_pid)
	for ip in 192.0.2.21 192.0.2.22 192.0.2.23 192.0.2.24; do
		ip -n "$NS_SND" addr add "$ip/24" dev sdl-snd0 2>/dev/null || true
	done
	sink_start 1000000
	sleep 1
	r0=$(rss_kb "$pid") h0=$(heap_kb "$pid")
	printf '  %-46s RSS %7s KiB  heap %7s KiB\n' "baseline (no session)" "$r0" "$h0"
	for spec in "$n idle 0 192.0.2.21 idle sessions (after EHLO)" \
		"$n tls 0 192.0.2.22 idle TLS sessions (STARTTLS, EHLO)" \
		"$nd data $K10 192.0.2.23 sessions in DATA, 10 KB of body sent" \
		"$nd data $M1 192.0.2.24 sessions in DATA, 1 MB of body sent"; do
		set -- $spec
		hold "$1" "$2" "$3" "$4"
		shift 4
		label="+$HELD $*"
		r=$(rss_kb "$pid") h1=$(heap_kb "$pid")
		printf '  %-46s RSS %7s KiB  heap %7s KiB   per session: RSS %7s B, heap %7s B\n' "$label" "$r" "$h1" \
			"$(per_session "$r0" "$r" "$HELD")" "$(per_session "$h0" "$h1" "$HELD")"
		r0=$r h0=$h1
	done
	echo "  smtp sessions_active $(app_stat smtp sessions_active), upstream connections opened $(app_stat tcp connected)"
	for h in "${HOLD_PIDS[@]}"; do kill "$h" 2>/dev/null || true; done
	for h in "${HOLD_PIDS[@]}"; do wait "$h" 2>/dev/null || true; done
	HOLD_PIDS=()
	kill "$SINK_PID" 2>/dev/null || true
	wait "$SINK_PID" 2>/dev/null || true
	sleep 1
	echo "  after closing them: smtp sessions_active $(app_stat smtp sessions_active)," \
		"RSS $(rss_kb "$pid") KiB, heap $(heap_kb "$pid") KiB"
}

# ---------------------------------------------------------------- main

cleanup() {
	local h
	for h in "${HOLD_PIDS[@]}"; do kill "$h" 2>/dev/null || true; done
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
	relay_stop
	lab_down quiet
}

main() {
	[ "$(id -u)" -eq 0 ] || { echo "bench-appliance.sh: run as root" >&2; exit 1; }
	[ -x "$LAB_BUILD/app/smtpdlp" ] || { echo "build first: $LAB_BUILD/app/smtpdlp" >&2; exit 1; }
	trap cleanup EXIT
	lab_down quiet
	rm -rf "$SINK_DIR" "$RELAY_DIR"
	mkdir -p "$LAB_DIR" "$SINK_DIR"
	"$LAB_TOP/tools/gen-test-certs.sh" "$LAB_DIR/certs" >/dev/null
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LAB_DIR/api-token"
	lab_write_config
	# Experiments only (the recorded numbers use the lab's config as is):
	# extra net_af_packet devargs, e.g. BENCH_AFP_OPTS=framecnt=4096.
	[ -z "${BENCH_AFP_OPTS:-}" ] ||
		sed -i "s/qdisc_bypass=1\"/qdisc_bypass=1,$BENCH_AFP_OPTS\"/" "$LAB_DIR/smtpdlp.conf"
	lab_ns_create

	echo "== smtpdlp appliance benchmark: $(date -u +%FT%TZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "== $SESSIONS concurrent sessions; sink: smtp-sink on $UP_IP:$LAB_UP_PORT (namespace $NS_UP)"
	echo "   secs = until the generator had 250 for every message and (postfix) the relay's queue was empty;"
	echo "   msgs/s, MB/s (payload) over secs; accept/s = over the generator's time alone;"
	echo "   app = smtpdlp process CPU (100% = one core); lcore = its io lcore thread's CPU, lwait = the"
	echo "   share of the run that thread was runnable but waiting for a CPU (schedstat; it busy-polls, so"
	echo "   lcore + lwait = 100%); gen = generator CPU seconds; mach = machine busy (200% = both cores,"
	echo "   other users included)"
	echo
	echo "$HEADER"

	blog "direct: the app namespace as a kernel router"
	router_on
	run "direct 10K" source direct $K10 1
	skip persistent || run "direct 10K persistent" source direct $K10 0
	run "direct 1M" source direct $M1 1
	skip tls || run "direct 10K (smtp_load)" py direct $K10 1

	if ! skip postfix; then
		blog "postfix: a relay on $APP_IN_IP:25 -> [$UP_IP]:$LAB_UP_PORT"
		relay_start
		run "postfix 10K" source postfix $K10 1 relay
		run "postfix 1M" source postfix $M1 1 relay
		skip tls || run "postfix 10K STARTTLS" tls postfix $K10 1 relay
		relay_stop
	fi
	router_off

	blog "smtpdlp on DPDK"
	lab_smtpdlp_start
	# Experiment: BENCH_NICE=-10 raises the io lcore thread's priority (a
	# dedicated core, roughly, on a shared machine). Not used for the record.
	if [ -n "${BENCH_NICE:-}" ]; then
		local t
		for t in /proc/"$(smtpdlp_pid)"/task/*; do
			[[ $(cat "$t/comm") == *worker* ]] && renice -n "$BENCH_NICE" -p "${t##*/}" >/dev/null
		done
		echo "== experiment: io lcore thread reniced to $BENCH_NICE"
	fi
	[ -z "${BENCH_AFP_OPTS:-}" ] || echo "== experiment: net_af_packet devargs +$BENCH_AFP_OPTS"
	if ! skip mem; then
		echo
		echo "== memory (smtpdlp fresh; RSS = /proc/PID/smaps_rollup; sessions held by tools/bench/hold_sessions.py)"
		memory
		echo
		echo "$HEADER"
	fi
	run "smtpdlp 10K" source smtpdlp $K10 1
	skip persistent || run "smtpdlp 10K persistent" source smtpdlp $K10 0
	run "smtpdlp 1M" source smtpdlp $M1 1
	if ! skip tls; then
		run "smtpdlp 10K (smtp_load)" py smtpdlp $K10 1
		run "smtpdlp 10K STARTTLS" tls smtpdlp $K10 1
		run "smtpdlp 10K STARTTLS resumed" tls-resume smtpdlp $K10 1
		run "smtpdlp 1M STARTTLS" tls smtpdlp $M1 1
	fi
	echo
	echo "== smtpdlp counters after the runs (GET /api/v1/stats)"
	stats_brief
	lab_smtpdlp_stop

	blog "direct again (drift check)"
	router_on
	run "direct 10K again" source direct $K10 1
	run "direct 1M again" source direct $M1 1
	router_off

	echo
	echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "== summary: ratios to direct in this run (direct = mean of the runs before and after smtpdlp)"
	local d10 d1m
	d10=$(awk -v a="${RATE[direct 10K]}" -v b="${RATE[direct 10K again]}" 'BEGIN { print (a + b) / 2 }')
	d1m=$(awk -v a="${RATE[direct 1M]}" -v b="${RATE[direct 1M again]}" 'BEGIN { print (a + b) / 2 }')
	local k
	for k in "postfix 10K" "smtpdlp 10K" "postfix 10K STARTTLS" "smtpdlp 10K STARTTLS" "smtpdlp 10K STARTTLS resumed"; do
		[ -n "${RATE[$k]:-}" ] && printf '  %-30s %6s msgs/s  %.2f of direct (%s)\n' "$k" "${RATE[$k]}" \
			"$(awk -v a="${RATE[$k]}" -v b="$d10" 'BEGIN { print a / b }')" "$d10"
	done
	[ -n "${RATE[smtpdlp 10K persistent]:-}" ] && printf '  %-30s %6s msgs/s  %.2f of direct persistent (%s)\n' \
		"smtpdlp 10K persistent" "${RATE[smtpdlp 10K persistent]}" \
		"$(awk -v a="${RATE[smtpdlp 10K persistent]}" -v b="${RATE[direct 10K persistent]}" 'BEGIN { print a / b }')" \
		"${RATE[direct 10K persistent]}"
	for k in "postfix 1M" "smtpdlp 1M" "smtpdlp 1M STARTTLS"; do
		[ -n "${RATE[$k]:-}" ] && printf '  %-30s %6s msgs/s  %.2f of direct (%s)\n' "$k" "${RATE[$k]}" \
			"$(awk -v a="${RATE[$k]}" -v b="$d1m" 'BEGIN { print a / b }')" "$d1m"
	done
	[ -n "${RATE[smtpdlp 10K (smtp_load)]:-}" ] && printf '  %-30s %6s msgs/s  STARTTLS/plain with the same generator: %.2f\n' \
		"smtpdlp 10K (smtp_load)" "${RATE[smtpdlp 10K (smtp_load)]}" \
		"$(awk -v a="${RATE[smtpdlp 10K STARTTLS]:-0}" -v b="${RATE[smtpdlp 10K (smtp_load)]}" 'BEGIN { print a / b }')"
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
