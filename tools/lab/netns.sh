# SPDX-License-Identifier: BSD-3-Clause
# netns.sh — a bash library for lab topologies: network namespaces joined by
# veth pairs on TEST-NET ranges, with offloads disabled on the Linux side (so
# net_af_packet never sees CHECKSUM_PARTIAL frames), and a cleanup that
# removes everything this shell created. Source it, then:
#
#   lab_init mytest            # unique prefix; installs an EXIT trap
#   lab_ns_add a               # namespace "<prefix>-a" (printed by lab_ns)
#   lab_veth a va 192.0.2.1/24 b vb ""   # veth va in ns a (address), vb in ns b
#   lab_ns a ping -c1 192.0.2.2          # run in a namespace
#   lab_bg a NAME cmd...                 # background process, killed on cleanup
#   lab_cleanup                          # also runs on EXIT
#
# Addresses must be in 192.0.2.0/24, 198.51.100.0/24 or 203.0.113.0/24; the
# helpers refuse anything else. Names are short (veth names <= 15 chars).
# lab_need_root exits 77 (meson "skip") when not root or netns unavailable.

LAB_PREFIX=${LAB_PREFIX:-}
LAB_NS=()
LAB_PIDS=()
LAB_FILES=()

lab_log() { echo "[lab $(date +%T)] $*" >&2; }

lab_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "lab: not root, skipping" >&2
		exit 77
	fi
	local probe="labprobe$$"
	if ! ip netns add "$probe" 2>/dev/null; then
		echo "lab: network namespaces unavailable, skipping" >&2
		exit 77
	fi
	ip netns del "$probe"
}

lab_init() {
	LAB_PREFIX="${1:-lab}$$"
	LAB_PREFIX=${LAB_PREFIX:0:10}
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM
}

lab_ns_name() { echo "${LAB_PREFIX}-$1"; }

lab_ns_add() {
	local ns
	ns=$(lab_ns_name "$1")
	ip netns add "$ns"
	LAB_NS+=("$ns")
	ip -n "$ns" link set lo up
}

lab_ns() {
	local ns
	ns=$(lab_ns_name "$1")
	shift
	ip netns exec "$ns" "$@"
}

lab_check_addr() {
	case "$1" in
	"" | 192.0.2.* | 198.51.100.* | 203.0.113.*) return 0 ;;
	*)
		echo "lab: refusing non TEST-NET address $1" >&2
		return 1
		;;
	esac
}

# lab_offloads_off NS IF: no checksum/segmentation offloads on a Linux veth.
lab_offloads_off() {
	lab_ns "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 ||
		lab_ns "$1" ethtool -K "$2" tx off rx off >/dev/null 2>&1 || true
}

# lab_veth NS_A IF_A ADDR_A NS_B IF_B ADDR_B: a veth pair; an empty address
# leaves that end unaddressed (for a DPDK net_af_packet port). Both ends up,
# offloads off on both (DPDK ends too: the kernel then hands full frames).
lab_veth() {
	local na=$1 ia=$2 aa=$3 nb=$4 ib=$5 ab=$6
	lab_check_addr "${aa%/*}" && lab_check_addr "${ab%/*}" || return 1
	ip link add "$ia" netns "$(lab_ns_name "$na")" type veth peer name "$ib" \
		netns "$(lab_ns_name "$nb")"
	lab_ns "$na" ip link set "$ia" up
	lab_ns "$nb" ip link set "$ib" up
	# No IPv6 chatter (DAD, router solicitations) on the lab links.
	lab_ns "$na" sysctl -qw "net.ipv6.conf.$ia.disable_ipv6=1" 2>/dev/null || true
	lab_ns "$nb" sysctl -qw "net.ipv6.conf.$ib.disable_ipv6=1" 2>/dev/null || true
	if [ -n "$aa" ]; then lab_ns "$na" ip addr add "$aa" dev "$ia"; fi
	if [ -n "$ab" ]; then lab_ns "$nb" ip addr add "$ab" dev "$ib"; fi
	lab_offloads_off "$na" "$ia"
	lab_offloads_off "$nb" "$ib"
}

# lab_route NS DEST via GW
lab_route() {
	lab_check_addr "${2%/*}" && lab_check_addr "$3" || return 1
	lab_ns "$1" ip route add "$2" via "$3"
}

# lab_bg NS LOGFILE cmd...: start cmd in NS in the background, output to
# LOGFILE; the pid is in LAB_LAST_PID and is killed on cleanup.
lab_bg() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$(lab_ns_name "$ns")" "$@" >"$log" 2>&1 &
	LAB_LAST_PID=$!
	LAB_PIDS+=("$LAB_LAST_PID")
}

# lab_wait_log FILE PATTERN SECONDS: wait until FILE contains PATTERN.
lab_wait_log() {
	local f=$1 pat=$2 t=${3:-10} i
	for ((i = 0; i < t * 10; i++)); do
		grep -q -- "$pat" "$f" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# lab_stop PID [SECONDS]: SIGTERM, wait, then SIGKILL; returns its status.
lab_stop() {
	local pid=$1 t=${2:-5} i
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < t * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null
}

lab_tmpfile() {
	local f
	f=$(mktemp "/tmp/${LAB_PREFIX}.XXXXXX")
	LAB_FILES+=("$f")
	echo "$f"
}

lab_cleanup() {
	local p ns
	for p in "${LAB_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	sleep 0.2
	for p in "${LAB_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	LAB_PIDS=()
	for ns in "${LAB_NS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	LAB_NS=()
	if [ "${LAB_KEEP_FILES:-0}" != 1 ]; then
		for p in "${LAB_FILES[@]}"; do rm -f "$p"; done
	fi
	LAB_FILES=()
}
