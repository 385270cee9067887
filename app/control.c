/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control.c — the control thread (control.h): incidents, stores, API,
 * reload, retention. Runs on the main lcore; never on the packet path.
 *
 * The loop wakes every CONTROL_TICK_US: it drains the incident queue into
 * SQLite (one transaction per batch), writes queued quarantine items,
 * reloads the policy when SIGHUP was received, and runs retention hourly.
 */
#include "app/control.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "app/api.h"
#include "app/daemon.h"
#include "app/forensics.h"
#include "app/incident.h"
#include "app/inject.h"
#include "app/io_app.h"
#include "app/log.h"
#include "app/quarantine_store.h"
#include "app/stats.h"
#include "dataplane/dp_loop.h"

#define CONTROL_TICK_US 2000
#define CONTROL_BATCH 256
#define CONTROL_QUEUE 65536
#define CONTROL_PURGE_S 3600
#define CONTROL_FORENSICS_PENDING (256ull << 20) /* bytes waiting to be written */

/* A forensic copy on its way from an io lcore to the store. */
struct forensics_job {
	char uid[INCIDENT_UID_LEN + 1];
	uint8_t *msg;
	size_t len;
	char *matches;
};

struct control {
	struct daemon *d;
	struct stats *stats;
	unsigned block_control; /* stats block of this thread */
	unsigned block_api;
	struct incident_store *store;
	struct incident_queue *queue;
	struct incident_queue *fjobs;     /* struct forensics_job *, MPSC */
	struct incident_queue *injected;  /* finished struct inject_job *, MPSC */
	uint64_t fjobs_bytes;             /* atomic: bytes queued in fjobs */
	struct forensics_store *forensics;
	struct quarantine_store *quarantine;
	struct api *api;
	time_t next_purge;
	uint64_t incidents;
};

static volatile sig_atomic_t reload_requested;

static void on_sighup(int sig)
{
	(void)sig;
	reload_requested = 1;
}

/* mkdir -p for the directory part of a file path, or a directory. */
static int make_dirs(const char *path, bool is_file)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	if (is_file) {
		char *slash = strrchr(buf, '/');
		if (slash == NULL)
			return 0;
		*slash = '\0';
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (buf[0] != '\0' && mkdir(buf, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int control_push_incident(struct control *c, struct incident *inc)
{
	if (incident_queue_push(c->queue, inc) < 0) {
		incident_free(inc);
		return -ENOBUFS;
	}
	return 0;
}

bool control_forensics_enabled(const struct control *c)
{
	return c->forensics != NULL;
}

static void fjob_free(struct forensics_job *j)
{
	free(j->msg);
	free(j->matches);
	free(j);
}

int control_push_forensics(struct control *c, const char *uid, uint8_t *msg, size_t len,
			   char *matches_json)
{
	struct forensics_job *j;

	if (c->forensics == NULL ||
	    __atomic_load_n(&c->fjobs_bytes, __ATOMIC_RELAXED) + len > CONTROL_FORENSICS_PENDING ||
	    (j = calloc(1, sizeof(*j))) == NULL) {
		free(msg);
		free(matches_json);
		return -ENOBUFS;
	}
	snprintf(j->uid, sizeof(j->uid), "%s", uid);
	j->msg = msg;
	j->len = len;
	j->matches = matches_json;
	__atomic_add_fetch(&c->fjobs_bytes, len, __ATOMIC_RELAXED);
	if (incident_queue_push(c->fjobs, j) < 0) {
		__atomic_sub_fetch(&c->fjobs_bytes, len, __ATOMIC_RELAXED);
		fjob_free(j);
		return -ENOBUFS;
	}
	return 0;
}

/* Write queued forensic copies (control thread). */
static unsigned drain_forensics(struct control *c, struct stats_block *blk, unsigned max)
{
	struct forensics_job *j;
	unsigned n = 0;

	while (n < max && (j = incident_queue_pop(c->fjobs)) != NULL) {
		struct iovec iov = { .iov_base = j->msg, .iov_len = j->len };
		unsigned evicted = 0;
		char md5[33];
		int rc = forensics_put(c->forensics, j->uid, &iov, 1, j->matches, md5, &evicted);

		if (rc < 0)
			log_msg(LOG_LVL_ERR, "forensics: copy for incident %s not stored: %s", j->uid,
				strerror(-rc));
		else if (blk != NULL)
			stats_inc(blk, STATS_FORENSICS_STORED);
		if (blk != NULL && evicted > 0)
			stats_add(blk, STATS_FORENSICS_EVICTED, evicted);
		__atomic_sub_fetch(&c->fjobs_bytes, j->len, __ATOMIC_RELAXED);
		fjob_free(j);
		n++;
	}
	return n;
}

void control_inject_done(struct control *c, struct inject_job *j)
{
	if (incident_queue_push(c->injected, j) < 0) {
		log_msg(LOG_LVL_ERR, "injected message %s: result lost (queue full)", j->id);
		inject_job_free(j);
	}
}

/* API thread: a quarantined message is being released; relay it. */
static int relay_release(void *arg, const struct quarantine_entry *e, const void *msg, size_t len)
{
	struct control *c = arg;
	struct inject_job *j = inject_job_create(INJECT_RELEASE, e->mail_from,
						 (const char *const *)e->rcpts, e->n_rcpts,
						 msg, len, e->id);
	int rc;

	if (j == NULL)
		return -ENOMEM;
	rc = io_app_submit(c->d, j);
	if (rc < 0)
		inject_job_free(j);
	return rc;
}

/* Results of injected messages (control thread). */
static void drain_injected(struct control *c, struct stats_block *blk)
{
	struct inject_job *j;

	while ((j = incident_queue_pop(c->injected)) != NULL) {
		bool ok = j->code >= 200 && j->code < 300;

		if (j->kind == INJECT_RELEASE) {
			if (c->quarantine != NULL)
				quarantine_store_release_done(c->quarantine, j->id, ok);
			if (ok && blk != NULL)
				stats_inc(blk, STATS_QUARANTINE_RELEASED);
			log_msg(ok ? LOG_LVL_INFO : LOG_LVL_WARN,
				"quarantine %s: release %s: %d %s", j->id,
				ok ? "relayed" : "failed, kept on hold", j->code, j->text);
		} else {
			if (ok && blk != NULL)
				stats_inc(blk, STATS_ACTION_NOTIFY_SENDER);
			log_msg(ok ? LOG_LVL_INFO : LOG_LVL_WARN,
				"notice for incident %s to <%s>: %s: %d %s", j->id,
				j->n_rcpts > 0 ? j->rcpts[0] : "", ok ? "sent" : "failed", j->code,
				j->text);
		}
		inject_job_free(j);
	}
}

struct stats_block *control_stats_block(struct control *c, unsigned index)
{
	return stats_block(c->stats, index);
}

/* The proxy's clock is the transport's (monotonic); the store wants the
 * wall clock of end of data. */
static int quarantine_put_now(void *ctx, const struct quarantine_item *item)
{
	struct quarantine_item it = *item;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	it.received_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	return quarantine_store_ops.put(ctx, &it);
}

static const struct quarantine_ops control_quarantine = { .put = quarantine_put_now };

const struct quarantine_ops *control_quarantine_ops(struct control *c, void **ctx)
{
	if (c->quarantine == NULL) {
		*ctx = NULL;
		return NULL;
	}
	*ctx = c->quarantine;
	return &control_quarantine;
}

static int open_stores(struct daemon *d, struct control *c)
{
	const struct cfg_incidents *ic = &d->cfg->incidents;
	char err[512];

	if (ic->database != NULL) {
		make_dirs(ic->database, true);
		c->store = incident_store_open(ic->database, err, sizeof(err));
		if (c->store == NULL) {
			log_msg(LOG_LVL_ERR, "incidents.database: %s", err);
			return -EIO;
		}
	}
	if (ic->forensics_enabled && ic->forensics_directory != NULL) {
		struct forensics_params fp = {
			.directory = ic->forensics_directory,
			.max_bytes = ic->forensics_max_bytes,
			.retention_days = ic->retention_days,
		};
		make_dirs(ic->forensics_directory, false);
		c->forensics = forensics_open(&fp, err, sizeof(err));
		if (c->forensics == NULL) {
			log_msg(LOG_LVL_ERR, "incidents.forensics: %s", err);
			return -EIO;
		}
	}
	if (ic->quarantine_directory != NULL) {
		struct quarantine_store_params qp = {
			.directory = ic->quarantine_directory,
			.sync = false,
		};
		make_dirs(ic->quarantine_directory, false);
		c->quarantine = quarantine_store_open(&qp, err, sizeof(err));
		if (c->quarantine == NULL) {
			log_msg(LOG_LVL_ERR, "incidents.quarantine_directory: %s", err);
			return -EIO;
		}
	}
	return 0;
}

static int start_api(struct daemon *d, struct control *c)
{
	const struct cfg_api *ac = &d->cfg->api;
	struct api_params ap = { 0 };
	char err[512];

	if (ac->token == NULL || ac->listen_address == NULL) {
		log_msg(LOG_LVL_WARN, "api: no listen address or token_file: the REST API is off");
		return 0;
	}
	ap.listen_address = ac->listen_address;
	ap.port = ac->listen_port;
	ap.token = ac->token;
	ap.tls_cert_file = ac->tls_certificate;
	ap.tls_key_file = ac->tls_key;
	ap.database = d->cfg->incidents.database;
	ap.store = c->store;
	ap.forensics = c->forensics;
	ap.quarantine = c->quarantine;
	ap.stats = c->stats;
	ap.stats_block = stats_block(c->stats, c->block_api);
	ap.relay = relay_release;
	ap.relay_arg = c;
	c->api = api_start(&ap, err, sizeof(err));
	if (c->api == NULL) {
		log_msg(LOG_LVL_ERR, "api: %s", err);
		return -EIO;
	}
	log_msg(LOG_LVL_INFO, "api: listening on %s:%u (%s)", ac->listen_address,
		api_port(c->api), ac->tls_certificate ? "https" : "http");
	return 0;
}

int control_create(struct daemon *d)
{
	struct control *c = calloc(1, sizeof(*c));
	const char *names[DAEMON_MAX_PORTS];
	struct stats_params sp = { 0 };

	if (c == NULL)
		return -ENOMEM;
	d->control = c;
	c->d = d;
	for (size_t i = 0; i < d->cfg->dataplane.n_ports && i < DAEMON_MAX_PORTS; i++)
		names[i] = d->cfg->dataplane.ports[i].name;
	sp.n_blocks = (unsigned)d->cfg->dataplane.n_io_lcores + 2;
	sp.port_names = names;
	sp.n_ports = (unsigned)(d->cfg->dataplane.n_ports < DAEMON_MAX_PORTS
					? d->cfg->dataplane.n_ports
					: DAEMON_MAX_PORTS);
	c->block_control = sp.n_blocks - 2;
	c->block_api = sp.n_blocks - 1;
	c->stats = stats_create(&sp);
	c->queue = incident_queue_create(CONTROL_QUEUE);
	c->fjobs = incident_queue_create(4096);
	c->injected = incident_queue_create(4096);
	if (c->stats == NULL || c->queue == NULL || c->fjobs == NULL || c->injected == NULL) {
		control_destroy(d);
		return -ENOMEM;
	}
	if (open_stores(d, c) < 0 || start_api(d, c) < 0) {
		control_destroy(d);
		return -EIO;
	}
	signal(SIGHUP, on_sighup);
	return 0;
}

/* SIGHUP: build a new snapshot off the data path; keep the old on error. */
static void reload(struct daemon *d)
{
	char err[1024];
	struct cfg *ncfg;
	struct dlp_policy_set *ps;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ncfg = cfg_load(d->config_path, err, sizeof(err));
	if (ncfg == NULL) {
		log_msg(LOG_LVL_ERR, "reload failed, keeping the running policy: %s", err);
		return;
	}
	ps = dlp_policy_set_build(ncfg, err, sizeof(err));
	if (ps == NULL) {
		log_msg(LOG_LVL_ERR, "reload failed, keeping the running policy: %s", err);
		cfg_free(ncfg);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	d->generation++;
	if (io_app_publish(d, ps, d->generation) < 0)
		log_msg(LOG_LVL_WARN, "reload: not every io lcore got snapshot %" PRIu64,
			d->generation);
	dlp_policy_set_unref(d->ps);
	d->ps = ps;
	log_msg(LOG_LVL_INFO,
		"reload: snapshot %" PRIu64 " built in %ld ms (%zu patterns, %zu bytes); "
		"dlp and policies applied, other sections apply at restart",
		d->generation, (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
		dlp_policy_set_pattern_count(ps), dlp_policy_set_db_bytes(ps));
	cfg_free(ncfg); /* the snapshot copied what it uses */
}

/* Port counters from the NICs (absolute values; only this block holds
 * them, so the sum over blocks is the port's count). */
static void port_stats(struct daemon *d, struct stats_block *blk)
{
	for (unsigned i = 0; i < d->n_ports && i < STATS_MAX_PORTS; i++) {
		struct rte_eth_stats st;

		if (rte_eth_stats_get(d->ports[i].port_id, &st) != 0)
			continue;
		__atomic_store_n(&blk->port[i][STATS_PORT_RX_PACKETS], st.ipackets, __ATOMIC_RELAXED);
		__atomic_store_n(&blk->port[i][STATS_PORT_RX_BYTES], st.ibytes, __ATOMIC_RELAXED);
		__atomic_store_n(&blk->port[i][STATS_PORT_TX_PACKETS], st.opackets, __ATOMIC_RELAXED);
		__atomic_store_n(&blk->port[i][STATS_PORT_TX_BYTES], st.obytes, __ATOMIC_RELAXED);
		__atomic_store_n(&blk->port[i][STATS_PORT_RX_DROPPED], st.imissed + st.rx_nombuf,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&blk->port[i][STATS_PORT_TX_DROPPED], st.oerrors, __ATOMIC_RELAXED);
	}
}

static void housekeeping(struct daemon *d, struct control *c)
{
	time_t now = time(NULL);
	unsigned retention = d->cfg->incidents.retention_days;

	if (now < c->next_purge)
		return;
	c->next_purge = now + CONTROL_PURGE_S;
	if (c->store != NULL && retention > 0) {
		int64_t n = incident_store_purge(c->store, (int64_t)now - (int64_t)retention * 86400);
		if (n > 0)
			log_msg(LOG_LVL_INFO, "retention: %" PRId64 " incidents purged", n);
	}
	if (c->forensics != NULL)
		forensics_purge(c->forensics, now);
}

int control_run(struct daemon *d)
{
	struct control *c = d->control;
	struct stats_block *blk = stats_block(c->stats, c->block_control);

	time_t next_ports = 0;

	c->next_purge = time(NULL) + 60;
	while (dp_quit == 0) {
		if (time(NULL) >= next_ports) {
			next_ports = time(NULL) + 1;
			port_stats(d, blk);
		}
		size_t dropped = 0;
		int n = 0;

		if (c->store != NULL) {
			n = incident_store_drain(c->store, c->queue, CONTROL_BATCH, &dropped);
			if (n > 0)
				stats_add(blk, STATS_INCIDENTS_RECORDED, (uint64_t)n);
			if (dropped > 0)
				stats_add(blk, STATS_INCIDENTS_DROPPED, dropped);
		} else {
			struct incident *inc;
			while ((inc = incident_queue_pop(c->queue)) != NULL)
				incident_free(inc);
		}
		if (c->forensics != NULL)
			drain_forensics(c, blk, 64);
		drain_injected(c, blk);
		if (c->quarantine != NULL) {
			unsigned failed = 0;
			unsigned w = quarantine_store_drain(c->quarantine, CONTROL_BATCH, &failed);
			if (w > 0)
				stats_add(blk, STATS_QUARANTINE_HELD, w);
			if (failed > 0)
				log_msg(LOG_LVL_ERR, "quarantine: %u items could not be written", failed);
		}
		if (reload_requested) {
			reload_requested = 0;
			reload(d);
		}
		housekeeping(d, c);
		if (n < CONTROL_BATCH)
			usleep(CONTROL_TICK_US);
	}
	return 0;
}

void control_destroy(struct daemon *d)
{
	struct control *c = d->control;

	if (c == NULL)
		return;
	api_stop(c->api);
	if (c->queue != NULL) {
		struct incident *inc;
		if (c->store != NULL)
			while (incident_store_drain(c->store, c->queue, CONTROL_BATCH, NULL) > 0)
				;
		while ((inc = incident_queue_pop(c->queue)) != NULL)
			incident_free(inc);
		incident_queue_destroy(c->queue);
	}
	if (c->fjobs != NULL) {
		struct forensics_job *j;
		if (c->forensics != NULL)
			drain_forensics(c, NULL, UINT32_MAX);
		while ((j = incident_queue_pop(c->fjobs)) != NULL)
			fjob_free(j);
		incident_queue_destroy(c->fjobs);
	}
	if (c->injected != NULL) {
		drain_injected(c, NULL);
		incident_queue_destroy(c->injected);
	}
	quarantine_store_close(c->quarantine);
	forensics_close(c->forensics);
	incident_store_close(c->store);
	stats_destroy(c->stats);
	free(c);
	d->control = NULL;
}
