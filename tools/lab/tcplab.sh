# SPDX-License-Identifier: BSD-3-Clause
# tcplab.sh — the topology and helpers shared by tests/lab/test_tcp_*.sh and
# tools/bench-tcp.sh (sourced after netns.sh):
#
#   ns "lnx": Linux peer, veth tl0 = 192.0.2.1/24
#   ns "dp" : veth td0 without address; smtpdlp-tcpecho runs DPDK on it with
#             net_af_packet and the stack's address 192.0.2.10/24
#
# Binaries come from $TCPECHO and $TCPKERN (set by meson), else from
# $BUILD (default build-dp next to the sources).

TCPLAB_LNX_IP=192.0.2.1
TCPLAB_DP_IP=192.0.2.10
TCPLAB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${BUILD:-$TCPLAB_HERE/../../build-dp}
TCPECHO=${TCPECHO:-$BUILD/tools/smtpdlp-tcpecho}
TCPKERN=${TCPKERN:-$BUILD/tools/smtpdlp-tcpkern}
# Frugal by default: sleep when idle (the machine is shared).
TCPLAB_IDLE_US=${TCPLAB_IDLE_US:-20}
TCPLAB_LCORES=${TCPLAB_LCORES:-0}

tcplab_check_bins() {
	local b
	for b in "$TCPECHO" "$TCPKERN"; do
		if [ ! -x "$b" ]; then
			echo "tcplab: $b not built, skipping" >&2
			exit 77
		fi
	done
	command -v ethtool >/dev/null || echo "tcplab: ethtool missing, offloads stay on" >&2
}

# tcplab_setup NAME: namespaces + veth; exits 77 when impossible.
tcplab_setup() {
	lab_need_root
	tcplab_check_bins
	lab_init "$1"
	lab_ns_add lnx
	lab_ns_add dp
	lab_veth lnx tl0 "$TCPLAB_LNX_IP/24" dp td0 ""
}

# EAL arguments for one DPDK process: tcplab_eal TAG DEVICE...
tcplab_eal() {
	local tag=$1 d
	shift
	echo -n "-l $TCPLAB_LCORES --no-huge -m ${TCPLAB_MEM:-1024} --no-pci --file-prefix ${LAB_PREFIX}$tag --log-level error"
	for d in "$@"; do echo -n " --vdev $d"; done
}

tcplab_nq() {
	local n
	n=$(echo "$TCPLAB_LCORES" | awk -F, '{c=0; for(i=1;i<=NF;i++){ if (split($i,r,"-")==2) c+=r[2]-r[1]+1; else c++ } print c}')
	echo "$n"
}

tcplab_afp_dev() {
	echo "net_af_packet0,iface=td0,qpairs=$(tcplab_nq),qdisc_bypass=1,blocksz=4096,framesz=2048,framecnt=16384"
}

# tcplab_start_server LOG [tcpecho options...]: stack server in ns dp.
# Sets TCPLAB_SRV_PID; waits for "ready" and for ARP/ICMP to answer.
tcplab_start_server() {
	local log=$1
	shift
	# shellcheck disable=SC2046
	lab_bg dp "$log" timeout -s INT "${TCPLAB_SRV_TIMEOUT:-600}" "$TCPECHO" \
		$(tcplab_eal srv "$(tcplab_afp_dev)") -- \
		--dev "$(tcplab_afp_dev)" --ip "$TCPLAB_DP_IP/24" --server \
		--idle-sleep-us "$TCPLAB_IDLE_US" "$@"
	TCPLAB_SRV_PID=$LAB_LAST_PID
	if ! lab_wait_log "$log" "ready" 30; then
		echo "tcplab: server did not start:" >&2
		cat "$log" >&2
		return 1
	fi
}

# tcplab_stop_server LOG: SIGINT (graceful drain), wait; its JSON summary
# goes to TCPLAB_SRV_JSON. Not in a subshell: wait needs the child.
tcplab_stop_server() {
	local log=$1 rc=0 i
	kill -INT "$TCPLAB_SRV_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$TCPLAB_SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$TCPLAB_SRV_PID" || rc=$?
	TCPLAB_SRV_JSON=$(grep '^{' "$log" || true)
	return $rc
}

# json_get JSON KEY: a top-level number from the tools' one-line JSON.
json_get() {
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}
