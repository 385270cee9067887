#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_appliance_postfix.sh — Postfix -> smtpdlp on DPDK -> Postfix, 1,000 messages.
#
# tools/lab/gen_messages.py writes a reproducible corpus (mostly small
# messages, some of 64 KB-1 MB, 30 of 1-5 MB, about a fifth multipart with
# base64 attachments, some carrying the seed's dictionary terms, internal and
# external recipients, unique Message-IDs). One smtplib session injects them
# into the sender Postfix (127.0.0.1:25 in the sender namespace), whose
# relayhost is the appliance; the upstream Postfix delivers to its maildir.
# Checks: exactly 1,000 delivered, none twice, each byte-identical to what
# was sent once the headers added on the way are removed (Return-Path,
# Delivered-To, Received, X-Original-To, X-SMTPDLP-Inspected, X-DLP-Hold;
# CRLF vs LF normalised), X-DLP-Hold iff two or more dictionary terms and an
# external recipient, X-SMTPDLP-Inspected on every message (exactly one:
# copies the sender put in a few messages, one folded, are removed; a few
# bodies are 8-bit UTF-8).
# LAB_MSG_COUNT / LAB_MSG_BIG change the corpus size (defaults 1000 / 30).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
t_require
export LAB_DIR=${LAB_DIR:-$t_top/.lab-postfix}
. "$t_top/tools/lab/appliance.sh"
set +e
trap lab_down EXIT
count=${LAB_MSG_COUNT:-1000}
big=${LAB_MSG_BIG:-30}

# lab_up goes on after a failed smtpdlp start when called in a condition: check it.
lab_up && kill -0 "$(cat "$LAB_DIR/smtpdlp.pid" 2>/dev/null)" 2>/dev/null ||
	{ echo "lab did not come up"; tail -5 "$LAB_DIR/smtpdlp.log"; exit 1; }
corpus=$LAB_DIR/corpus
python3 "$t_top/tools/lab/gen_messages.py" gen "$corpus" --count "$count" --big "$big" ||
	{ echo "corpus generation failed"; exit 1; }
maildir=$LAB_DIR/upstream/mail/sink/new

t0=$(date +%s)
out=$(ip netns exec $NS_SND python3 "$t_top/tools/lab/gen_messages.py" send "$corpus" \
	--host 127.0.0.1 --port 25 2>&1)
echo "  $out"
t_check "sender Postfix accepted all $count messages" grep -q "^sent $count of $count" <<<"$out"

# Wait for the sender queue to drain and the maildir to fill.
deadline=$((t0 + ${LAB_DELIVERY_TIMEOUT:-300}))
while [ "$(date +%s)" -lt "$deadline" ]; do
	n=$(lab_maildir_count "$LAB_DIR/upstream")
	q=$(lab_postfix_queue_count "$LAB_DIR/sender")
	[ "$n" -ge "$count" ] && [ "$q" -eq 0 ] && break
	sleep 2
done
lab_postfix_wait_queue_empty $NS_UP "$LAB_DIR/upstream" 30
t1=$(date +%s)
bytes=$(awk -F'\t' '{s += $5} END {print s}' "$corpus/manifest.tsv")
echo "  delivery: $count messages, $((bytes / 1048576)) MiB in $((t1 - t0)) s" \
	"(sender queue left: $(lab_postfix_queue_count "$LAB_DIR/sender"))"

res=$(python3 "$t_top/tools/lab/gen_messages.py" verify "$corpus" "$maildir" 2>"$LAB_DIR/verify.err")
head -20 "$LAB_DIR/verify.err" | sed 's/^/  /'
echo "$res" | sed 's/^/  /'
val() { awk -v k="$1" '$1 == k {print $2}' <<<"$res"; }
t_check "exactly $count delivered" [ "$(val delivered)" = "$count" ]
t_check "none missing" [ "$(val missing)" = 0 ]
t_check "no duplicates" [ "$(val duplicates)" = 0 ]
t_check "nothing else in the maildir" [ "$(val foreign)/$(val unknown)" = 0/0 ]
t_check "every message byte-identical apart from the added headers" [ "$(val mismatched)" = 0 ]
t_check "X-DLP-Hold exactly per policy ($(val hold_expected) expected)" [ "$(val hold_wrong)" = 0 ]
t_check "X-SMTPDLP-Inspected on every message" [ "$(val inspected_missing)" = 0 ]
t_check "sender-supplied copies replaced where the appliance adds its own" [ "$(val forged_kept)" = 0 ]
# A sender's own X-DLP-Hold (any policy's header name) never reaches the
# upstream unless the appliance added it: downstream trusts the header.
t_check "a sender's X-DLP-Hold removed when the policy does not hold" \
	[ "$(val forged_hold_kept)" = 0 ]
t_check "sender Postfix saw no deferral or bounce" bash -c \
	"! grep -qE 'status=(deferred|bounced)' '$LAB_DIR/sender/maillog'"
t_check "the sender relayed through the appliance" \
	grep -q "relay=$APP_IN_IP\[$APP_IN_IP\]:25.*status=sent" "$LAB_DIR/sender/maillog"
# smtp_tls_security_level = may: the sender Postfix uses the appliance's STARTTLS.
ntls=$(grep -c "TLS connection established to $APP_IN_IP" "$LAB_DIR/sender/maillog")
echo "  sender Postfix -> appliance: $ntls STARTTLS connections"
t_check "the sender Postfix relayed over STARTTLS" [ "$ntls" -gt 0 ]
t_check "smtpdlp is still running" kill -0 "$(cat "$LAB_DIR/smtpdlp.pid")"
t_done
