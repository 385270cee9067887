#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test_appliance_actions.sh — the actions the appliance carries out itself.
#
# In the lab (tools/lab/appliance.sh: its third policy quarantines messages
# with a project code PRJ-nnnnnn to external recipients and notifies the
# sender): the quarantined message is answered 250 but not relayed, the
# sender's notice arrives upstream (MAIL FROM:<>, To: the sender), the
# quarantine API lists the message, a release relays it upstream exactly
# once, and a delete removes it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
t_require
export LAB_DIR=${LAB_DIR:-$t_top/.lab-actions}
. "$t_top/tools/lab/appliance.sh"
set +e
trap lab_down EXIT
lab_up || { echo "lab did not come up"; exit 1; }
token=$(cat "$LAB_DIR/api-token")
qlist() { lab_api "/api/v1/quarantine?token=$token"; }

out=$(lab_swaks --from alice@corp.example --to partner@outside.example \
	--h-Subject "project-1" --body "The numbers for PRJ-123456 are attached." 2>&1)
t_check "quarantined message answered 250" grep -qE '^<- +250 ' <<<"$(tail -3 <<<"$out")"
out=$(lab_swaks --from bob@corp.example --to partner@outside.example \
	--h-Subject "project-2" --body "And PRJ-654321 too." 2>&1)
t_check "second quarantined message answered 250" grep -qE '^<- +250 ' <<<"$(tail -3 <<<"$out")"

t_check "notice to the first sender arrived upstream" \
	t_wait_delivered '^To: <?alice@corp.example>?$' 1 20
t_check "notice to the second sender arrived upstream" \
	t_wait_delivered '^To: <?bob@corp.example>?$' 1 20
notice=$(grep -lE '^To: <?alice@corp.example>?$' "$LAB_DIR"/upstream/mail/sink/new/* | head -1)
t_check "notice: null envelope sender" grep -q '^Return-Path: <>' "$notice"
t_check "notice: names the policy" grep -q 'Quarantine project codes' "$notice"
t_check "notice: subject from the config template" \
	grep -q '^Subject: Your message was held: Quarantine project codes' "$notice"
t_check "quarantined messages were not relayed" \
	bash -c "[ \$(t_delivered '^Subject: project-[12]$') -eq 0 ]"

list=$(qlist)
t_check "quarantine API lists both messages" bash -c \
	"grep -q 'project-1' <<<'$list' && grep -q 'project-2' <<<'$list'"
id1=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1])["data"]; print([e["id"] for e in d if e.get("object")=="project-1"][0])' "$list" 2>/dev/null)
id2=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1])["data"]; print([e["id"] for e in d if e.get("object")=="project-2"][0])' "$list" 2>/dev/null)
t_check "quarantine ids found" test -n "$id1" -a -n "$id2"
t_check "quarantine entries carry the wall-clock time" python3 -c '
import json, sys, time
d = json.loads(sys.argv[1])["data"]
sys.exit(0 if all(abs(e["timestamp"] - time.time()) < 600 for e in d) else 1)' "$list"

code=$(lab_api "/api/v1/quarantine/$id1/release?token=$token" -X POST -o /dev/null -w '%{http_code}')
t_check "release accepted (202)" [ "$code" = 202 ]
t_check "released message arrived upstream" t_wait_delivered '^Subject: project-1$' 1 20
rel=$(grep -l '^Subject: project-1$' "$LAB_DIR"/upstream/mail/sink/new/* | head -1)
t_check "released message keeps its envelope sender" grep -q '^Return-Path: <alice@corp.example>' "$rel"
t_check "released message carries the inspected header" grep -q '^X-SMTPDLP-Inspected:' "$rel"
sleep 1
t_check "released message left the quarantine" bash -c "! grep -q '\"$id1\"' <<<\"\$(lab_api '/api/v1/quarantine?token=$token')\""
t_check "released exactly once" bash -c "[ \$(t_delivered '^Subject: project-1$') -eq 1 ]"

code=$(lab_api "/api/v1/quarantine/$id2?token=$token" -X DELETE -o /dev/null -w '%{http_code}')
t_check "delete accepted" [ "$code" = 200 ]
t_check "deleted message gone from the list" bash -c "! grep -q '\"$id2\"' <<<\"\$(lab_api '/api/v1/quarantine?token=$token')\""
t_check "deleted message never relayed" bash -c "[ \$(t_delivered '^Subject: project-2$') -eq 0 ]"

out=$(lab_api "/api/v1/alerts?token=$token&query=action%20eq%20'quarantine'")
t_check "alerts: both quarantine incidents recorded" bash -c \
	"[ \$(grep -o '\"policy\":\"Quarantine project codes\"' <<<'$out' | wc -l) -eq 2 ]"
t_check "smtpdlp is still running" kill -0 "$(cat "$LAB_DIR/smtpdlp.pid")"
t_done
