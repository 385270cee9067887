#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_appliance_reload.sh — SIGHUP reload of smtpdlp under load.
#
# The lab's dictionary is a copy in $LAB_DIR (LAB_DICT). While smtp-source
# sends 2,000 messages (10 sessions, 5,000 bytes) straight to the appliance:
#   - a new term ("Zebra Project") is added and smtpdlp gets SIGHUP: the log
#     shows snapshot 2; a message with the new term and one old term (two
#     unique terms -> low -> X-DLP-Hold for an external recipient) is held
#     after the reload and was not before;
#   - a transaction whose DATA began before the reload finishes on snapshot 1
#     (no hold), as the design says;
#   - a broken config (an unknown setting) together with a dictionary that
#     drops the new term is reloaded: the log says the reload failed, the old
#     policy keeps running (the new term still holds), mail still flows;
#   - the config fixed again: snapshot 3, the term is gone.
# smtp-source must finish without a failed transaction and the upstream must
# receive exactly the 2,000 messages.
# With LAB_RELOAD_BIG=1 (off by default: the build takes CPU a loaded CI
# machine may not have) a 100,000-term dictionary is reloaded under the same
# load while a probe client measures transaction latency; the test reports
# the largest latency during the reload next to the one before it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
t_require
export LAB_DIR=${LAB_DIR:-$t_top/.lab-reload}
export LAB_DICT=$LAB_DIR/dictionary.csv
. "$t_top/tools/lab/appliance.sh"
set +e
load_pid=
cleanup() {
	[ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
	lab_down
}
trap cleanup EXIT

seed_dict=$t_top/config/examples/dictionaries/customer-entitlement.csv
export LAB_DICT_FROM=$seed_dict # lab_up copies it to $LAB_DICT
# lab_up goes on after a failed smtpdlp start when called in a condition: check it.
lab_up && kill -0 "$(cat "$LAB_DIR/smtpdlp.pid" 2>/dev/null)" 2>/dev/null ||
	{ echo "lab did not come up"; tail -5 "$LAB_DIR/smtpdlp.log"; exit 1; }
pid=$(cat "$LAB_DIR/smtpdlp.pid")
log=$LAB_DIR/smtpdlp.log
conf=$LAB_DIR/smtpdlp.conf
cp "$conf" "$LAB_DIR/smtpdlp.conf.good"
LOADN=${LAB_RELOAD_MESSAGES:-5000}  # several seconds of load on a quiet machine

log_has() { grep -qE "$1" "$log"; }
# A message with the new term and one old term to an external recipient.
zebra() { # subject
	local out
	out=$(lab_swaks --from alice@corp.example --to carol@gmail.example --h-Subject "$1" \
		--body $'Zebra Project: phase two\r\nCustomer: ACME Corp\r\nregards' 2>&1)
	grep -qE '^<[-~] +250 .*queued' <<<"$out"
}
held() { # subject
	grep -l "^Subject: $1\$" "$LAB_DIR"/upstream/mail/sink/new/* 2>/dev/null |
		xargs -r grep -q '^X-DLP-Hold: Customer email Hold'
}
# The message with SUBJECT arrived, with (held_after) or without (clear_after) the hold header.
held_after() { t_wait_delivered "^Subject: $1\$" 1 20 && held "$1"; }
clear_after() { t_wait_delivered "^Subject: $1\$" 1 20 && ! held "$1"; }
# start_load N SUBJECT: smtp-source from the sender namespace to the appliance.
start_load() {
	ip netns exec $NS_SND smtp-source -s 10 -m "$1" -l 5000 -f alice@corp.example \
		-t bob@partner.example -M snd.corp.example -S "$2" $APP_IN_IP:25 \
		>"$LAB_DIR/$2.out" 2>&1 &
	load_pid=$!
}
finish_load() { # subject -> exit status of smtp-source
	local rc
	wait "$load_pid"
	rc=$?
	load_pid=
	return $rc
}

t_check "before the reload: the Zebra message is relayed" zebra reload-before
t_check "before the reload: no X-DLP-Hold (one known term)" clear_after reload-before

# A transaction in flight across the reload: DATA begun (the Zebra lines
# already sent) under snapshot 1, finished after snapshot 2 is published.
cat >"$LAB_DIR/inflight.py" <<-'PY'
	import os, socket, sys, time
	s = socket.create_connection((sys.argv[1], 25), timeout=60)
	f = s.makefile("rb")
	def reply():
	    while True:
	        l = f.readline()
	        if l[3:4] != b"-":
	            return l.decode().strip()
	reply()
	for c in (b"EHLO inflight.corp.example", b"MAIL FROM:<alice@corp.example>",
	          b"RCPT TO:<carol@gmail.example>", b"DATA"):
	    s.sendall(c + b"\r\n")
	    r = reply()
	s.sendall(b"Subject: reload-inflight\r\n\r\nZebra Project: phase two\r\nCustomer: ACME Corp\r\n")
	for _ in range(600):
	    if os.path.exists(sys.argv[2]):
	        break
	    time.sleep(0.1)
	s.sendall(b"regards\r\n.\r\n")
	print(reply())
	s.sendall(b"QUIT\r\n")
	PY
rm -f "$LAB_DIR/inflight.go"
ip netns exec $NS_SND python3 "$LAB_DIR/inflight.py" $APP_IN_IP "$LAB_DIR/inflight.go" \
	>"$LAB_DIR/inflight.out" 2>&1 &
inflight_pid=$!
sleep 1

t0=$(date +%s)
start_load "$LOADN" reload-load
sleep 1 # the load is up (its first sessions are done) but far from over
t_check "load is running when the reload comes" kill -0 "$load_pid"
printf '"Zebra Project"\n' >>"$LAB_DICT"
kill -HUP "$pid"
t_check "reload: the log shows snapshot 2" wait_for 30 log_has 'reload: snapshot 2 '
touch "$LAB_DIR/inflight.go"
wait "$inflight_pid"
t_check "in flight across the reload: relayed with 250" grep -q '^250 ' "$LAB_DIR/inflight.out"
t_check "in flight across the reload: finished on its snapshot (no X-DLP-Hold)" clear_after reload-inflight
t_check "after the reload: the Zebra message is relayed" zebra reload-after
t_check "after the reload: X-DLP-Hold (two unique terms, external)" held_after reload-after

# A broken config, together with a dictionary that no longer has the term.
cp "$seed_dict" "$LAB_DICT"
printf 'no_such_setting = 1;\n' >>"$conf"
kill -HUP "$pid"
t_check "broken config: reload failed, old policy kept (log)" \
	wait_for 30 log_has 'reload failed, keeping the running policy'
t_check "broken config: the log names the problem" log_has 'reload failed.*no_such_setting'
t_check "broken config: mail still flows" zebra reload-broken
t_check "broken config: the old policy still applies X-DLP-Hold" held_after reload-broken
in_flight=0
kill -0 "$load_pid" 2>/dev/null && in_flight=1
cp "$LAB_DIR/smtpdlp.conf.good" "$conf"
kill -HUP "$pid"
t_check "config fixed: snapshot 3" wait_for 30 log_has 'reload: snapshot 3 '

finish_load
rc=$?
t1=$(date +%s)
echo "  smtp-source: $LOADN messages in $((t1 - t0)) s, exit $rc (load still running at the broken reload: $in_flight)"
t_check "smtp-source: no failed transaction (exit 0)" [ "$rc" -eq 0 ]
t_check "smtp-source: no error reported" bash -c "! grep -qiE 'error|fatal|warning' '$LAB_DIR/reload-load.out'"
t_check "upstream received all $LOADN messages" t_wait_delivered '^Subject: reload-load$' "$LOADN" 60
lab_postfix_wait_queue_empty $NS_UP "$LAB_DIR/upstream" 20
t_check "upstream received each once: exactly $LOADN" \
	[ "$(t_delivered '^Subject: reload-load$')" -eq "$LOADN" ]
t_check "snapshot 3: relayed" zebra reload-after-3
t_check "snapshot 3: the term is gone, no hold" clear_after reload-after-3
grep -E 'reload' "$log" | sed 's/^/  log: /'

# --- optional: a 100,000-term dictionary under load, probe latency ---------
if [ "${LAB_RELOAD_BIG:-0}" = 1 ]; then
	python3 - "$LAB_DICT" <<-'PY'
	import random, sys
	rng = random.Random(100000)
	syl = ["ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "xe", "zo", "qua", "bri", "dra", "fle"]
	seen = set()
	with open(sys.argv[1], "a") as f:
	    while len(seen) < 100000:
	        t = "".join(rng.choice(syl) for _ in range(4)) + " " + "".join(rng.choice(syl) for _ in range(3))
	        if t not in seen:
	            seen.add(t)
	            f.write('"%s"\n' % t)
	PY
	start_load "$LOADN" reload-big # restarted below until the build is done
	big_runs=1
	lat=$LAB_DIR/latency.txt
	ip netns exec $NS_SND python3 - $APP_IN_IP "$lat" <<-'PY' &
	# One message per connection every 50 ms; "unix-time seconds" per line.
	import smtplib, sys, time
	out = open(sys.argv[2], "w", buffering=1)
	end = time.time() + 40
	while time.time() < end:
	    t = time.time()
	    try:
	        s = smtplib.SMTP(sys.argv[1], 25, timeout=60)
	        s.sendmail("alice@corp.example", ["bob@partner.example"],
	                   b"Subject: reload-probe\r\n\r\nprobe\r\n")
	        s.quit()
	        out.write("%.3f %.3f ok\n" % (t, time.time() - t))
	    except Exception as e:
	        out.write("%.3f %.3f fail %s\n" % (t, time.time() - t, e))
	    time.sleep(0.05)
	PY
	probe_pid=$!
	sleep 5
	th=$(date +%s.%N)
	kill -HUP "$pid"
	# Keep smtp-source sending until the snapshot is published.
	rc=0
	for ((i = 0; i < 240 * 4; i++)); do
		log_has 'reload: snapshot 4 ' && break
		if ! kill -0 "$load_pid" 2>/dev/null; then
			finish_load || rc=1
			start_load "$LOADN" reload-big
			big_runs=$((big_runs + 1))
		fi
		sleep 0.25
	done
	td=$(date +%s.%N)
	big_in_flight=0
	kill -0 "$load_pid" 2>/dev/null && big_in_flight=1
	finish_load || rc=1
	kill "$probe_pid" 2>/dev/null
	wait "$probe_pid" 2>/dev/null
	grep 'reload: snapshot 4 ' "$log" | sed 's/^/  log: /'
	read -r before during fails < <(awk -v a="$th" -v b="$td" '
		$1 < a { if ($2 > mb) mb = $2 } $1 >= a && $1 <= b + 1 { if ($2 > md) md = $2 }
		$3 != "ok" { f++ } END { printf "%.3f %.3f %d\n", mb, md, f }' "$lat")
	echo "  100,000 terms: reload took $(echo "$td - $th" | bc) s; probe max latency before" \
		"${before}s, during ${during}s; $(wc -l <"$lat") probes, $fails failed;" \
		"smtp-source still sending when it was published: $big_in_flight ($big_runs runs of $LOADN)"
	t_check "100,000 terms: snapshot 4 published" log_has 'reload: snapshot 4 '
	t_check "100,000 terms: smtp-source without a failed transaction" [ "$rc" -eq 0 ]
	t_check "100,000 terms: no probe failed" [ "$fails" -eq 0 ]
	t_check "100,000 terms: traffic not stalled (probe max latency during the build < 5 s)" \
		awk -v d="$during" 'BEGIN { exit !(d < 5) }'
	t_check "100,000 terms: the load was still running when the snapshot was published" \
		[ "$big_in_flight" = 1 ]
	# Two of the new terms (the 1st and the 100,000th) -> low -> held.
	t1=$(grep -v '^#' "$LAB_DICT" | tail -100000 | head -1 | tr -d '"')
	t2=$(tail -1 "$LAB_DICT" | tr -d '"')
	out=$(lab_swaks --from alice@corp.example --to carol@gmail.example --h-Subject reload-big-terms \
		--body "first: $t1"$'\r\n'"last: $t2" 2>&1)
	t_check "100,000 terms: relayed a message with two of them" grep -qE '^<[-~] +250 .*queued' <<<"$out"
	t_check "100,000 terms: two of them -> X-DLP-Hold" held_after reload-big-terms
fi

t_check "smtpdlp is still running" kill -0 "$pid"
t_done
