#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# postfix.sh — run private Postfix instances inside lab network namespaces.
#
# Sourced by the lab scripts. Each instance has its own config, queue, data
# and maildir below one directory, logs to <dir>/maillog, and touches nothing
# of the system's Postfix. Two roles:
#   lab_postfix_upstream NS DIR ADDR          the upstream MTA: accepts mail for
#                                             any domain, delivers to DIR/mail/sink/
#   lab_postfix_sender   NS DIR ADDR RELAY    a sending MTA: accepts on ADDR:25 and
#                                             127.0.0.1:25 from anyone in the lab and
#                                             relays everything to RELAY (host[:port])
# plus lab_postfix_stop NS DIR, lab_postfix_start NS DIR (again, after a stop),
# lab_postfix_reload NS DIR, lab_postfix_wait_queue_empty NS DIR SECONDS,
# lab_maildir_count DIR.

_lab_postfix_common() { # dir hostname inet_interfaces
	local dir=$1 host=$2 ifs=$3
	mkdir -p "$dir"/{etc,queue,data,mail}
	cp /etc/postfix/master.cf "$dir/etc/master.cf"
	chown postfix "$dir/data"
	chown 65534:65534 "$dir/mail"
	cat >"$dir/etc/main.cf" <<-CF
	compatibility_level = 3.6
	queue_directory = $dir/queue
	data_directory = $dir/data
	myhostname = $host
	inet_interfaces = $ifs
	inet_protocols = ipv4
	mynetworks = 192.0.2.0/24 198.51.100.0/24 203.0.113.0/24 127.0.0.0/8
	maillog_file_prefixes = $dir
	maillog_file = $dir/maillog
	biff = no
	alias_maps =
	alias_database =
	smtputf8_enable = yes
	message_size_limit = 104857600
	smtpd_banner = \$myhostname ESMTP lab
	# Lab timing: retry deferred mail quickly so outage tests finish in seconds.
	queue_run_delay = 2s
	minimal_backoff_time = 2s
	maximal_backoff_time = 4s
	smtp_connect_timeout = 5s
	default_process_limit = 100
	CF
}

_lab_postfix_start() { # ns dir
	local ns=$1 dir=$2 out
	if ! out=$(ip netns exec "$ns" script -qec "postfix -c $dir/etc start" /dev/null 2>&1); then
		echo "postfix ($dir) failed to start: $out" >&2
		tail -5 "$dir/maillog" >&2 2>/dev/null
		return 1
	fi
}

lab_postfix_upstream() { # ns dir addr
	local ns=$1 dir=$2 addr=$3
	_lab_postfix_common "$dir" mx.upstream.example "$addr"
	cat >>"$dir/etc/main.cf" <<-CF
	mydestination =
	relay_domains =
	virtual_mailbox_domains = static:all
	virtual_mailbox_base = $dir/mail
	virtual_mailbox_maps = static:sink/
	virtual_mailbox_limit = 0
	virtual_uid_maps = static:65534
	virtual_gid_maps = static:65534
	CF
	_lab_postfix_start "$ns" "$dir"
}

lab_postfix_sender() { # ns dir addr relayhost
	local ns=$1 dir=$2 addr=$3 relay=$4
	_lab_postfix_common "$dir" mta.corp.example "$addr, 127.0.0.1"
	cat >>"$dir/etc/main.cf" <<-CF
	mydestination =
	relay_domains = static:all
	relayhost = $relay
	smtp_tls_security_level = may
	smtp_tls_loglevel = 1
	CF
	_lab_postfix_start "$ns" "$dir"
}

lab_postfix_stop() { # ns dir
	ip netns exec "$1" postfix -c "$2/etc" stop >/dev/null 2>&1 || true
	# master may outlive the namespace briefly; make sure nothing is left.
	pkill -f "master -c $2/etc" 2>/dev/null || true
	pkill -f -- "-c $2/etc" 2>/dev/null || true
}

# Start an instance again after lab_postfix_stop (its config is kept).
lab_postfix_start() { # ns dir
	_lab_postfix_start "$1" "$2"
}

# Re-read main.cf (after a test appended settings to it).
lab_postfix_reload() { # ns dir
	ip netns exec "$1" postfix -c "$2/etc" reload >/dev/null 2>&1
}

lab_postfix_flush() { # ns dir
	ip netns exec "$1" postfix -c "$2/etc" flush >/dev/null 2>&1 || true
}

# Wait until the instance's queue is empty; 0 when empty, 1 on timeout.
lab_postfix_wait_queue_empty() { # ns dir seconds
	local ns=$1 dir=$2 secs=$3 i n
	for ((i = 0; i < secs * 2; i++)); do
		n=$(find "$dir/queue/incoming" "$dir/queue/active" "$dir/queue/deferred" \
			"$dir/queue/maildrop" -type f 2>/dev/null | wc -l)
		[ "$n" -eq 0 ] && return 0
		sleep 0.5
	done
	return 1
}

lab_postfix_queue_count() { # dir
	find "$1/queue/incoming" "$1/queue/active" "$1/queue/deferred" "$1/queue/maildrop" \
		-type f 2>/dev/null | wc -l
}

lab_maildir_count() { # dir
	find "$1/mail/sink/new" "$1/mail/sink/cur" -type f 2>/dev/null | wc -l
}
