#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_appliance_smtp.sh — real SMTP clients against smtpdlp on DPDK.
#
# The lab (tools/lab/appliance.sh) with a 1 MiB size limit and 5 recipients
# at most; swaks, Python (tools/lab/smtp_probe.py), openssl s_client and
# posttls-finger talk to the appliance's own TCP stack; Postfix is the
# upstream. Covers: plain, STARTTLS, implicit TLS, PIPELINING, BDAT,
# 8BITMIME/SMTPUTF8, oversize, too many recipients, each smuggling variant,
# STARTTLS command injection, the seed's actions and the alerts API.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
t_require
export LAB_DIR=${LAB_DIR:-$t_top/.lab-smtp}
export LAB_MAX_SIZE=1048576 LAB_MAX_RCPTS=5
. "$t_top/tools/lab/appliance.sh"
set +e
trap lab_down EXIT
lab_up || { echo "lab did not come up"; exit 1; }

APP=192.0.2.10
probe() { ip netns exec $NS_SND python3 "$t_top/tools/lab/smtp_probe.py" $APP 25 "$@"; }
sw() { lab_swaks --from alice@corp.example "$@" 2>&1; }
# The last reply code swaks saw for the final command.
final_ok() { grep -qE '^<[-~] +250 .*queued|^<[-~] +250 2\.0\.0' <<<"$1"; }

out=$(sw --to bob@partner.example --h-Subject "plain-1" --body "hello")
t_check "plain: relayed with 250" final_ok "$out"
out=$(sw --tls --to bob@partner.example --h-Subject "starttls-1" --body "hello over tls")
t_check "STARTTLS: relayed with 250" final_ok "$out"
t_check "STARTTLS: the transaction ran inside TLS" grep -qE '^ ~> MAIL FROM' <<<"$out"
out=$(lab_swaks --tlsc --port 465 --from alice@corp.example --to bob@partner.example \
	--h-Subject "implicit-1" --body "hello on 465" 2>&1)
t_check "implicit TLS on 465: relayed with 250" final_ok "$out"
out=$(sw --pipeline --to bob@partner.example --h-Subject "pipelined-1" --body "pipelined")
t_check "swaks --pipeline: relayed" final_ok "$out"
t_check "probe: 5 pipelined transactions in one session" probe pipeline --subject pipe --count 5
t_check "probe: BDAT chunks + BDAT 0 LAST" probe bdat --subject "bdat-1"
t_check "probe: 8BITMIME + SMTPUTF8" probe utf8 --subject "utf8-1"
t_check "openssl s_client -starttls smtp: handshake" bash -c \
	"echo QUIT | ip netns exec $NS_SND timeout 20 openssl s_client -starttls smtp \
	-connect $APP:25 -brief 2>&1 | grep -q 'Protocol version: TLSv1.[23]'"
t_check "posttls-finger: TLS on 25" bash -c \
	"MAIL_CONFIG=$LAB_DIR/sender/etc ip netns exec $NS_SND timeout 20 posttls-finger -c -l may \
	'[$APP]:25' 2>&1 | grep -qE 'TLS connection established to .*TLSv1\.[23]'"

# Limits.
big=$(mktemp)
head -c 1500000 /dev/urandom | base64 >"$big"
out=$(sw --to bob@partner.example --h-Subject "oversize-1" --body "@$big")
t_check "oversize during DATA: 552" grep -qE '^<\*\* +552' <<<"$out"
rm -f "$big"
out=$(probe_size=$(ip netns exec $NS_SND python3 - $APP <<-'PY' 2>&1
	import socket, sys
	s = socket.create_connection((sys.argv[1], 25), timeout=20)
	f = s.makefile("rb")
	def reply():
	    while True:
	        l = f.readline()
	        if l[3:4] != b"-":
	            return l
	reply()
	s.sendall(b"EHLO p\r\n"); reply()
	s.sendall(b"MAIL FROM:<a@corp.example> SIZE=2000000\r\n"); print(reply().decode().strip())
	PY
); echo "$probe_size")
t_check "MAIL SIZE= over the limit: 552" grep -q '^552' <<<"$out"
out=$(sw --to r1@partner.example,r2@partner.example,r3@partner.example,r4@partner.example,r5@partner.example,r6@partner.example \
	--h-Subject "rcpts-1" --body "six recipients")
t_check "too many recipients: 452 for the sixth" grep -qE '^<\*\* +452' <<<"$out"
t_check "too many recipients: the five accepted still get the message" final_ok "$out"

# Smuggling and injection.
for v in lf cr lfcrlf crlflf; do
	t_check "smuggling variant $v: one message, nothing smuggled" \
		probe smuggle --variant $v --subject "smuggle-$v"
done
t_check "STARTTLS injection discarded" probe inject

# The seed's actions.
ext=$t_top/tools/samples/02-entitlement-external.eml
out=$(sw --to carol@gmail.example --data "$ext")
t_check "seed: customer data to an external recipient relayed" final_ok "$out"
out=$(sw --to frank@corp.example --data "$t_top/tools/samples/03-entitlement-internal.eml")
t_check "seed: the same to an internal recipient relayed" final_ok "$out"
out=$(sw --to bob@partner.example --data "$t_top/tools/samples/04-card-numbers.eml")
t_check "seed: card numbers blocked with 550 5.7.1" grep -qE '^<\*\* +550 5\.7\.1' <<<"$out"

lab_postfix_wait_queue_empty $NS_UP "$LAB_DIR/upstream" 20
sleep 1
t_check "delivered: plain, STARTTLS, implicit, pipelined, BDAT, UTF-8" \
	t_wait_delivered '^Subject: (plain-1|starttls-1|implicit-1|pipelined-1|bdat-1|utf8-1)$' 6 20
t_check "delivered: the 5 pipelined probe messages" t_wait_delivered '^Subject: pipe [0-4]$' 5 20
t_check "UTF-8 body arrived intact" bash -c \
	"grep -l '^Subject: utf8-1' $LAB_DIR/upstream/mail/sink/new/* | xargs grep -q 'Grüße aus Zürich'"
t_check "nothing smuggled arrived" bash -c \
	"! grep -l '^Subject: smuggled' $LAB_DIR/upstream/mail/sink/new/* 2>/dev/null | grep -q ."
t_check "oversize message not relayed" bash -c "[ \$(t_delivered '^Subject: oversize-1') -eq 0 ]"
t_check "card-number message not relayed" bash -c \
	"[ \$(t_delivered '^Subject: Card details for the booking') -eq 0 ]"
t_check "external copy carries X-DLP-Hold" bash -c \
	"grep -l '^To: Carol' $LAB_DIR/upstream/mail/sink/new/* | xargs grep -q '^X-DLP-Hold: Customer email Hold'"
t_check "internal copy has no X-DLP-Hold" bash -c \
	"! grep -l '^To: Frank' $LAB_DIR/upstream/mail/sink/new/* | xargs grep -q '^X-DLP-Hold'"
t_check "every relayed message carries X-SMTPDLP-Inspected" bash -c \
	"[ -z \"\$(grep -L '^X-SMTPDLP-Inspected:' $LAB_DIR/upstream/mail/sink/new/*)\" ]"

# The alerts API: the seed's request, token checks, a malformed query.
token=$(cat "$LAB_DIR/api-token")
sleep 0.5
out=$(lab_api /api/v1/alerts -X POST -H 'Content-Type: application/json' --data \
	"{\"token\":\"$token\",\"type\":\"policy\",\"query\":\"(policy%20in%20%5B%20'Customer%20email%20Hold'%20%5D)\",\"timeperiod\":\"3600\"}")
t_check "API: the seed's query returns the hold incident" bash -c \
	"grep -q '\"status\":\"success\"' <<<'$out' && grep -q '\"policy\":\"Customer email Hold\"' <<<'$out' && grep -q '\"to_user\":\"carol@gmail.example\"' <<<'$out'"
t_check "API: the seed's query does not return the block incident" bash -c \
	"! grep -q 'Block card numbers' <<<'$out'"
t_check "API: the incident carries the message md5" grep -qE '"md5":"[0-9a-f]{32}"' <<<"$out"
id=$(grep -oE '"dlp_incident_id":[0-9]+' <<<"$out" | head -1 | cut -d: -f2)
sleep 0.5
fx=$(lab_api "/api/v1/incidents/$id/forensics?token=$token")
t_check "API: the forensic copy of the hold incident is the message as sent" \
	grep -q 'Account Manager: Dana Smith' <<<"$fx"
code=$(lab_api "/api/v1/alerts?token=wrong&timeperiod=3600" -o /dev/null -w '%{http_code}')
t_check "API: bad token -> 401" [ "$code" = 401 ]
code=$(lab_api "/api/v1/alerts?timeperiod=3600" -o /dev/null -w '%{http_code}')
t_check "API: missing token -> 401" [ "$code" = 401 ]
code=$(lab_api "/api/v1/alerts?token=$token&query=policy%20eqq%20x" -o /dev/null -w '%{http_code}')
t_check "API: malformed query -> 400" [ "$code" = 400 ]
out=$(lab_api "/api/v2/events/data/alert" -H "Netskope-Api-Token: $token")
t_check "API v2: block incident listed" grep -q 'Block card numbers' <<<"$out"
out=$(lab_api "/metrics?token=$token")
t_check "metrics: messages counted" grep -qE '^smtpdlp_smtp_messages_total [1-9]' <<<"$out"
t_check "metrics: TLS handshakes counted" grep -qE '^smtpdlp_tls_handshakes_total [1-9]' <<<"$out"
t_check "metrics: STARTTLS and implicit TLS counted" bash -c \
	"grep -qE '^smtpdlp_tls_starttls_total [1-9]' <<<'$out' && grep -qE '^smtpdlp_tls_implicit_total [1-9]' <<<'$out'"
t_check "metrics: port counters from the NIC" \
	grep -qE '^smtpdlp_port_rx_packets_total\{port="inside"\} [1-9]' <<<"$out"

t_check "smtpdlp is still running" kill -0 "$(cat "$LAB_DIR/smtpdlp.pid")"
t_done
