#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_appliance_noloss.sh — the no-loss contract with real Postfix on both sides.
#
# 1. Upstream down: the upstream Postfix is stopped, 50 messages go into the
#    sender Postfix; the appliance answers 4xx, the sender defers and keeps all
#    50; the upstream is started again, the sender queue flushed, and every
#    message arrives exactly once (by Message-ID), byte-identical.
# 2. Upstream refusals passed on: the upstream Postfix defers one address
#    (451) and rejects another (550) in its RCPT restrictions; swaks against
#    the appliance sees those replies; through the sender Postfix the 451
#    leaves the message queued, a clean recipient of the same run is delivered.
# 3. Upstream dropping the connection mid-DATA (a small Python server in place
#    of the upstream Postfix): swaks gets a 4xx for the message, the sender
#    Postfix defers and keeps it; with the real upstream back it arrives once.
# 4. The upstream greeting with 421, and 5. the upstream host unreachable (its
#    link down): swaks gets a 4xx, the sender Postfix defers and keeps the
#    message; with the upstream back each arrives once.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
t_require
export LAB_DIR=${LAB_DIR:-$t_top/.lab-noloss}
# Upstream connect/reply timeout: 5 s instead of the lab's 30 so the
# unreachable-upstream part (every attempt waits for it) stays short.
export LAB_UP_TIMEOUT=${LAB_UP_TIMEOUT:-5}
. "$t_top/tools/lab/appliance.sh"
set +e
dropper_pid=
cleanup() {
	[ -n "$dropper_pid" ] && kill "$dropper_pid" 2>/dev/null
	lab_down
}
trap cleanup EXIT

# lab_up goes on after a failed smtpdlp start when called in a condition: check it.
lab_up && kill -0 "$(cat "$LAB_DIR/smtpdlp.pid" 2>/dev/null)" 2>/dev/null ||
	{ echo "lab did not come up"; tail -5 "$LAB_DIR/smtpdlp.log"; exit 1; }
gen=$t_top/tools/lab/gen_messages.py
maildir=$LAB_DIR/upstream/mail/sink/new
UPD=$LAB_DIR/upstream
SND=$LAB_DIR/sender
N=${LAB_NOLOSS_COUNT:-50}

# Number of distinct sender queue ids deferred with a 4xx from the appliance.
deferred_4xx() { # [regex on the reply]
	grep -E "relay=$APP_IN_IP\[$APP_IN_IP\]:25.*status=deferred \(host $APP_IN_IP\[$APP_IN_IP\] said: 4[0-9][0-9] ${1:-}" \
		"$SND/maillog" 2>/dev/null | awk '{print $6}' | sort -u | wc -l
}
# The sender Postfix deferred the message with this Message-ID with a 4xx
# from the appliance at least once.
deferred_mid() { # message-id
	local qid
	qid=$(grep -F "message-id=$1" "$SND/maillog" | head -1 | awk '{print $6}' | tr -d :)
	[ -n "$qid" ] && grep -qE "$qid: to=.*relay=$APP_IN_IP\[$APP_IN_IP\]:25.*status=deferred \(host $APP_IN_IP\[$APP_IN_IP\] said: 4[0-9][0-9] " "$SND/maillog"
}
queue_is() { [ "$(lab_postfix_queue_count "$SND")" -eq "$1" ]; }
n_delivered_ge() { [ "$(lab_maildir_count "$UPD")" -ge "$1" ]; }
# swaks to the appliance; prints the conversation.
sw() { lab_swaks --from alice@corp.example "$@" 2>&1; }

# --- 1. upstream down -------------------------------------------------------
t0=$(date +%s)
lab_postfix_stop $NS_UP "$UPD"
python3 "$gen" gen "$LAB_DIR/corpus" --count "$N" --big 1 --seed 51 >/dev/null
out=$(ip netns exec $NS_SND python3 "$gen" send "$LAB_DIR/corpus" 2>&1)
t_check "upstream down: sender Postfix accepted $N messages" grep -q "^sent $N of $N" <<<"$out"
# Every queued message tried at least once (retries of the first ones may come
# before the last ones' first try).
deferred_all() { [ "$(deferred_4xx)" -ge "$N" ]; }
wait_for 60 deferred_all
out=$(deferred_4xx)
t_check "upstream down: the appliance answered 4xx for all $N ($out deferred)" [ "$out" -ge "$N" ]
t_check "upstream down: the appliance's 4xx says the upstream is unavailable" \
	grep -qE "said: 451 4\.4\.[0-9] .*upstream" "$SND/maillog"
t_check "upstream down: nothing was sent or bounced" bash -c \
	"! grep -qE 'status=(sent|bounced)' '$SND/maillog'"
t_check "upstream down: no deferral other than the appliance's 4xx" bash -c \
	"! grep 'status=deferred' '$SND/maillog' | grep -vqE 'said: 4[0-9][0-9] '"
t_check "upstream down: the sender queue holds all $N" queue_is "$N"
sleep 3 # a few retries more, still nothing may leave the queue
t_check "upstream down: still $N queued after retries" queue_is "$N"
lab_postfix_start $NS_UP "$UPD"
lab_postfix_flush $NS_SND "$SND"
wait_for 120 bash -c "[ \$(find '$SND/queue/'{incoming,active,deferred} -type f | wc -l) -eq 0 ]"
lab_postfix_wait_queue_empty $NS_UP "$UPD" 30
wait_for 10 n_delivered_ge "$N"
res=$(python3 "$gen" verify "$LAB_DIR/corpus" "$maildir" 2>"$LAB_DIR/verify.err")
head -10 "$LAB_DIR/verify.err" | sed 's/^/  /'
val() { awk -v k="$1" '$1 == k {print $2}' <<<"$res"; }
t_check "upstream back: all $N arrived" [ "$(val missing)" = 0 ]
t_check "upstream back: each exactly once ($(val delivered) delivered)" \
	[ "$(val delivered)/$(val duplicates)" = "$N/0" ]
t_check "upstream back: byte-identical apart from the added headers" [ "$(val mismatched)" = 0 ]
t_check "upstream back: sender queue empty" queue_is 0
echo "  part 1 took $(($(date +%s) - t0)) s"

# --- 2. the upstream defers / rejects a recipient -----------------------------
# Restart, not "postfix reload": the appliance keeps idle upstream connections
# in a pool, and a reload leaves their smtpd processes on the old settings.
# A restart closes them: the appliance must not use the dead ones.
upstream_restart() {
	lab_postfix_stop $NS_UP "$UPD"
	lab_postfix_start $NS_UP "$UPD"
	sleep 0.5
}
t0=$(date +%s)
cat >"$UPD/etc/rcpt_access" <<-EOF
	defer@partner.example 451 4.7.1 lab: deferred by the upstream
	reject@partner.example 550 5.1.1 lab: rejected by the upstream
EOF
cat >>"$UPD/etc/main.cf" <<-EOF
	smtpd_recipient_restrictions = check_recipient_access texthash:$UPD/etc/rcpt_access,
	  permit_mynetworks, reject_unauth_destination
EOF
upstream_restart
out=$(sw --to defer@partner.example --h-Subject "refuse-451" --body "deferred")
t_check "upstream 451 for RCPT: passed on to the sender" \
	grep -qE '^<\*\* +451 4\.7\.1 .*lab: deferred by the upstream' <<<"$out"
out=$(sw --to reject@partner.example --h-Subject "refuse-550" --body "rejected")
t_check "upstream 550 for RCPT: passed on to the sender" \
	grep -qE '^<\*\* +550 5\.1\.1 .*lab: rejected by the upstream' <<<"$out"
out=$(sw --to bob@partner.example,defer@partner.example --h-Subject "refuse-mixed" --body "mixed")
t_check "mixed recipients: the deferred one gets 451" grep -qE '^<\*\* +451 4\.7\.1' <<<"$out"
t_check "mixed recipients: the message is accepted for the other" \
	grep -qE '^<- +250 ' <<<"$(grep -A1 -E '^ -> \.$' <<<"$out")"
t_check "mixed recipients: delivered to the accepted recipient" \
	t_wait_delivered '^Subject: refuse-mixed$' 1 20
t_check "refused messages not delivered" bash -c \
	"[ \$(t_delivered '^Subject: refuse-(451|550)$') -eq 0 ]"
# The same through the sender Postfix: the 451 keeps the message queued.
before=$(grep -cE 'said: 451 4\.7\.1 .*lab: deferred by the upstream' "$SND/maillog")
ip netns exec $NS_SND swaks --server 127.0.0.1 --hide-all --from alice@corp.example \
	--to defer@partner.example --h-Subject "refuse-451-postfix" --body "queued" >/dev/null 2>&1
t_check "sender Postfix: the upstream's 451 logged as the appliance's answer" \
	wait_for 20 bash -c "[ \$(grep -cE 'said: 451 4\.7\.1 .*lab: deferred by the upstream' '$SND/maillog') -gt $before ]"
t_check "sender Postfix: the message stays queued" queue_is 1
# Let the recipient through again: the queued message must now arrive once.
: >"$UPD/etc/rcpt_access"
upstream_restart
lab_postfix_flush $NS_SND "$SND"
t_check "after the upstream accepts: the deferred message arrives" \
	t_wait_delivered '^Subject: refuse-451-postfix$' 1 30
t_check "after the upstream accepts: exactly once" bash -c \
	"[ \$(t_delivered '^Subject: refuse-451-postfix$') -eq 1 ]"
echo "  part 2 took $(($(date +%s) - t0)) s"

# --- 3. the upstream drops the connection mid-DATA ---------------------------
t0=$(date +%s)
lab_postfix_wait_queue_empty $NS_SND "$SND" 20
lab_postfix_stop $NS_UP "$UPD"
cat >"$LAB_DIR/dropper.py" <<-'PY'
	# An "upstream" that accepts the envelope, says 354, reads 64 KB of the
	# message (or all of it) and closes without a final reply; with "421" as
	# the third argument it greets with 421 and closes.
	import socket, sys, threading
	log = open(sys.argv[2], "a", buffering=1)
	srv = socket.socket()
	srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	srv.bind((sys.argv[1], 25))
	srv.listen(64)
	def serve(c):
	    f = c.makefile("rb")
	    if len(sys.argv) > 3 and sys.argv[3] == "421":
	        c.sendall(b"421 4.3.2 lab: upstream going away\r\n")
	        log.write("greeted 421\n")
	        c.close()
	        return
	    c.sendall(b"220 dropper ESMTP\r\n")
	    try:
	        while True:
	            line = f.readline()
	            if not line:
	                return
	            cmd = line[:4].upper()
	            if cmd in (b"EHLO", b"HELO"):
	                c.sendall(b"250-dropper\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 104857600\r\n")
	            elif cmd == b"DATA":
	                c.sendall(b"354 go ahead\r\n")
	                got = 0
	                while got < 65536:
	                    l = f.readline()
	                    if not l or l == b".\r\n":
	                        break
	                    got += len(l)
	                log.write("dropped after %d bytes of DATA\n" % got)
	                return
	            elif cmd == b"QUIT":
	                c.sendall(b"221 bye\r\n")
	                return
	            else:
	                c.sendall(b"250 ok\r\n")
	    except OSError:
	        pass
	    finally:
	        c.close()
	while True:
	    c, _ = srv.accept()
	    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
: >"$LAB_DIR/dropper.log"
ip netns exec $NS_UP python3 "$LAB_DIR/dropper.py" $UP_IP "$LAB_DIR/dropper.log" &
dropper_pid=$!
wait_for 10 ip netns exec $NS_UP bash -c "exec 3<>/dev/tcp/$UP_IP/25" 2>/dev/null
big=$LAB_DIR/drop-body.txt
head -c 300000 /dev/urandom | base64 -w 76 >"$big"
out=$(sw --to bob@partner.example --h-Subject "drop-swaks" --body "@$big")
t_check "upstream drops mid-DATA: swaks gets a 4xx for the message" \
	grep -qE '^<\*\* +4[0-9][0-9] ' <<<"$(tail -4 <<<"$out")"
t_check "upstream drops mid-DATA: the dropper really saw DATA" grep -q 'dropped after' "$LAB_DIR/dropper.log"
before=$(deferred_4xx)
ip netns exec $NS_SND swaks --server 127.0.0.1 --hide-all --from alice@corp.example \
	--to bob@partner.example --h-Subject "drop-postfix" --h-Message-ID "<drop-postfix@corp.example>" \
	--body "@$big" >/dev/null 2>&1
t_check "upstream drops mid-DATA: sender Postfix deferred with a 4xx from the appliance" \
	wait_for 30 bash -c "[ \$(grep -cE 'status=deferred \(host $APP_IN_IP\[$APP_IN_IP\] said: 4[0-9][0-9] .*end of DATA' '$SND/maillog') -ge 1 ]"
t_check "upstream drops mid-DATA: the message stays queued" queue_is 1
kill "$dropper_pid" 2>/dev/null
wait "$dropper_pid" 2>/dev/null
dropper_pid=
lab_postfix_start $NS_UP "$UPD"
lab_postfix_flush $NS_SND "$SND"
t_check "upstream back: the dropped message arrives" t_wait_delivered '^Subject: drop-postfix$' 1 60
t_check "upstream back: exactly once" bash -c "[ \$(t_delivered '^Subject: drop-postfix$') -eq 1 ]"
t_check "the swaks copy that got 4xx was not delivered" bash -c \
	"[ \$(t_delivered '^Subject: drop-swaks$') -eq 0 ]"
echo "  part 3 took $(($(date +%s) - t0)) s"

# --- 4. the upstream greets with 421; 5. the upstream unreachable ------------
t0=$(date +%s)
lab_postfix_wait_queue_empty $NS_SND "$SND" 20
lab_postfix_stop $NS_UP "$UPD"
: >"$LAB_DIR/dropper.log"
ip netns exec $NS_UP python3 "$LAB_DIR/dropper.py" $UP_IP "$LAB_DIR/dropper.log" 421 &
dropper_pid=$!
wait_for 10 ip netns exec $NS_UP bash -c "exec 3<>/dev/tcp/$UP_IP/25" 2>/dev/null
out=$(sw --to bob@partner.example --h-Subject "greet421-swaks" --body "421")
t_check "upstream greets 421: the sender gets a 4xx, not the 421's close" \
	grep -qE '^<\*\* +4[0-9][0-9] ' <<<"$out"
t_check "upstream greets 421: the session goes on (QUIT answered)" grep -qE '^<- +221 ' <<<"$out"
ip netns exec $NS_SND swaks --server 127.0.0.1 --hide-all --from alice@corp.example \
	--to bob@partner.example --h-Subject "greet421-postfix" --h-Message-ID "<greet421@corp.example>" \
	--body "421" >/dev/null 2>&1
t_check "upstream greets 421: sender Postfix deferred it with a 4xx from the appliance" \
	wait_for 30 deferred_mid "<greet421@corp.example>"
t_check "upstream greets 421: the message stays queued" queue_is 1
kill "$dropper_pid" 2>/dev/null
wait "$dropper_pid" 2>/dev/null
dropper_pid=
t_check "upstream greets 421: the dropper saw the connections" grep -q 'greeted 421' "$LAB_DIR/dropper.log"
# The upstream host gone (its link down: SYNs unanswered, no RST; the
# appliance still has its MAC).
ip -n $NS_UP link set sdl-up0 down
out=$(sw --to bob@partner.example --h-Subject "unreach-swaks" --body "unreachable" --timeout 60)
t_check "upstream unreachable: the sender gets a 4xx" grep -qE '^<\*\* +4[0-9][0-9] ' <<<"$out"
# Reported, not checked (a design choice in app/smtp_proxy.c: "MAIL
# retries"): with the upstream silent, EHLO waits one timeouts.connect, and
# the MAIL after it starts a new upstream connect and waits another; with
# STARTTLS the second EHLO waits too, so at the default 30 s a Postfix
# attempt gets its 4xx after 90 s (the lab sets connect = upstream =
# $LAB_UP_TIMEOUT). Measured here for the report:
steps=$(ip netns exec $NS_SND python3 - $APP_IN_IP <<-'PY'
	import socket, sys, time
	s = socket.create_connection((sys.argv[1], 25), timeout=120)
	f = s.makefile("rb")
	def cmd(c):
	    if c:
	        s.sendall(c + b"\r\n")
	    t = time.time()
	    while True:
	        l = f.readline()
	        if l[3:4] != b"-":
	            return time.time() - t, l.decode().strip()
	cmd(b"")
	e = cmd(b"EHLO x")
	m = cmd(b"MAIL FROM:<alice@corp.example>")
	cmd(b"QUIT")
	print("%.1f %.1f %s" % (e[0], m[0], m[1][:3]))
	PY
)
read -r ehlo_s mail_s mail_code <<<"$steps"
echo "  upstream unreachable, one session: EHLO answered after ${ehlo_s}s, MAIL ($mail_code) after" \
	"${mail_s}s more (timeouts.connect = $LAB_UP_TIMEOUT s)"
t_check "upstream unreachable: MAIL in a session answered 451" [ "$mail_code" = 451 ]
ip netns exec $NS_SND swaks --server 127.0.0.1 --hide-all --from alice@corp.example \
	--to bob@partner.example --h-Subject "unreach-postfix" --h-Message-ID "<unreach@corp.example>" \
	--body "unreachable" >/dev/null 2>&1
t_check "upstream unreachable: sender Postfix deferred it with a 4xx from the appliance" \
	wait_for 60 deferred_mid "<unreach@corp.example>"
t_check "upstream unreachable: both messages stay queued" queue_is 2
t_check "4xx deferrals only (421 greeting and unreachable)" bash -c \
	"! grep 'status=deferred' '$SND/maillog' | grep -vqE 'said: 4[0-9][0-9] '"
ip -n $NS_UP link set sdl-up0 up
ip netns exec $NS_UP ethtool -K sdl-up0 tx off rx off >/dev/null 2>&1
lab_postfix_start $NS_UP "$UPD"
lab_postfix_flush $NS_SND "$SND"
t_check "upstream back: both queued messages arrive" \
	t_wait_delivered '^Subject: (greet421|unreach)-postfix$' 2 60
t_check "upstream back: each exactly once" bash -c \
	"[ \$(t_delivered '^Subject: greet421-postfix$') -eq 1 ] && [ \$(t_delivered '^Subject: unreach-postfix$') -eq 1 ]"
t_check "the swaks copies that got 4xx were not delivered" bash -c \
	"[ \$(t_delivered '^Subject: (greet421|unreach)-swaks$') -eq 0 ]"
echo "  parts 4-5 took $(($(date +%s) - t0)) s"

t_check "smtpdlp is still running" kill -0 "$(cat "$LAB_DIR/smtpdlp.pid")"
t_done
