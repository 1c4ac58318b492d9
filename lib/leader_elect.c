/* leader_elect: the Lease elector's I/O shell (see leader_elect.h).
 *
 * One thread, one loop: read the Lease, let the pure elector decide, write,
 * feed the outcome back, sleep one retry period (interruptibly, so stop is
 * prompt). The elector struct is shared with the owner's thread under one
 * mutex; the owner only ever asks is_leader, which reads the monotonic clock
 * itself so leadership expires on time even if this thread is stuck in a
 * slow request. */
#include "leader_elect.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const struct kube_resource res_leases = { "coordination.k8s.io", "v1", "leases", true };

struct leader_elect {
	struct kube_client *client;
	char *namespace;
	char *name;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	struct lease_elector e; /* under lock */
	bool was_leader;        /* under lock: last value announced */
	unsigned long transitions;
	int event_fd;
};

uint64_t leader_elect_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void wall_now(char *buf, size_t size)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	lease_format_time(&ts, buf, size);
}

static void notify(struct leader_elect *le)
{
	uint64_t one = 1;
	ssize_t n = write(le->event_fd, &one, sizeof(one));

	(void)n;
}

/* Under lock: announce a change of leadership once. */
static void announce(struct leader_elect *le, uint64_t now)
{
	bool leader = lease_elector_is_leader(&le->e, now);

	if (leader == le->was_leader)
		return;
	le->was_leader = leader;
	if (leader) {
		le->transitions++;
		log_info("event=leader_acquired lease=%s/%s identity=%s", le->namespace, le->name,
			 le->e.identity);
	} else {
		log_warn("event=leader_lost lease=%s/%s identity=%s holder=%s", le->namespace,
			 le->name, le->e.identity, le->e.seen.holder[0] ? le->e.seen.holder : "-");
	}
	notify(le);
}

/* Read the Lease: 0 with *have set, or -errno. */
static int read_lease(struct leader_elect *le, struct lease_record *cur, bool *have)
{
	struct kube_error kerr = { 0 };
	json_object *obj = NULL;
	int rc = kube_get(le->client, &res_leases, le->namespace, le->name, &obj, &kerr);

	*have = false;
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		log_warn("event=lease_read_failed lease=%s/%s err=%d msg=\"%s\"", le->namespace,
			 le->name, rc, kerr.message);
		return rc;
	}
	rc = lease_record_from_json(obj, cur);
	json_object_put(obj);
	*have = rc == 0;
	return rc;
}

static int write_lease(struct leader_elect *le, enum lease_step step,
		       const struct lease_record *w, struct lease_record *stored)
{
	struct kube_error kerr = { 0 };
	json_object *obj = lease_record_to_json(w, le->namespace, le->name), *out = NULL;
	int rc;

	if (!obj)
		return -ENOMEM;
	if (step == LEASE_STEP_CREATE)
		rc = kube_create(le->client, &res_leases, le->namespace, obj, &out, &kerr);
	else
		rc = kube_update(le->client, &res_leases, le->namespace, le->name, obj, &out, &kerr);
	json_object_put(obj);
	if (rc == 0 && lease_record_from_json(out, stored) < 0)
		*stored = *w;
	json_object_put(out);
	/* Losing a race (exists / conflict) is normal for a candidate. */
	if (rc < 0 && rc != -EEXIST && rc != -EAGAIN)
		log_warn("event=lease_write_failed lease=%s/%s err=%d msg=\"%s\"", le->namespace,
			 le->name, rc, kerr.message);
	return rc;
}

static void step(struct leader_elect *le)
{
	struct lease_record cur, w, stored;
	char now_text[LEASE_TIME_MAX];
	enum lease_step s;
	bool have;
	int rc;

	rc = read_lease(le, &cur, &have);
	pthread_mutex_lock(&le->lock);
	if (rc < 0) {
		lease_elector_read_failed(&le->e, leader_elect_now_ms());
		announce(le, leader_elect_now_ms());
		pthread_mutex_unlock(&le->lock);
		return;
	}
	wall_now(now_text, sizeof(now_text));
	s = lease_elector_decide(&le->e, have ? &cur : NULL, leader_elect_now_ms(), now_text, &w);
	announce(le, leader_elect_now_ms());
	pthread_mutex_unlock(&le->lock);
	if (s == LEASE_STEP_WAIT)
		return;
	memset(&stored, 0, sizeof(stored));
	rc = write_lease(le, s, &w, &stored);
	pthread_mutex_lock(&le->lock);
	lease_elector_result(&le->e, rc, rc == 0 ? &stored : NULL, leader_elect_now_ms());
	announce(le, leader_elect_now_ms());
	pthread_mutex_unlock(&le->lock);
}

static void *run(void *arg)
{
	struct leader_elect *le = arg;

	pthread_mutex_lock(&le->lock);
	while (!le->stopping) {
		struct timespec ts;
		long period = le->e.timing.retry_period_ms;

		pthread_mutex_unlock(&le->lock);
		step(le);
		pthread_mutex_lock(&le->lock);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += period / 1000;
		ts.tv_nsec += (period % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!le->stopping &&
		       pthread_cond_timedwait(&le->wake, &le->lock, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&le->lock);
	return NULL;
}

static void free_le(struct leader_elect *le)
{
	if (!le)
		return;
	if (le->event_fd >= 0)
		close(le->event_fd);
	pthread_mutex_destroy(&le->lock);
	pthread_cond_destroy(&le->wake);
	free(le->namespace);
	free(le->name);
	free(le);
}

int leader_elect_start(struct kube_client *client, const struct leader_elect_opts *opts,
		       struct leader_elect **out)
{
	struct leader_elect *le;
	pthread_condattr_t attr;
	char msg[256];
	int rc;

	if (!opts->namespace || !opts->name || !opts->identity || !*opts->identity)
		return -EINVAL;
	if (lease_timing_validate(&opts->timing, msg, sizeof(msg)) < 0) {
		log_error("event=lease_timing_invalid msg=\"%s\"", msg);
		return -EINVAL;
	}
	le = calloc(1, sizeof(*le));
	if (!le)
		return -ENOMEM;
	le->client = client;
	le->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&le->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&le->wake, &attr);
	pthread_condattr_destroy(&attr);
	le->namespace = strdup(opts->namespace);
	le->name = strdup(opts->name);
	lease_elector_init(&le->e, opts->identity, &opts->timing);
	if (le->event_fd < 0 || !le->namespace || !le->name) {
		rc = le->event_fd < 0 ? -errno : -ENOMEM;
		free_le(le);
		return rc;
	}
	rc = -pthread_create(&le->thread, NULL, run, le);
	if (rc < 0) {
		free_le(le);
		return rc;
	}
	le->started = true;
	log_info("event=leader_election_start lease=%s/%s identity=%s duration_ms=%ld "
		 "renew_deadline_ms=%ld retry_period_ms=%ld", opts->namespace, opts->name,
		 opts->identity, opts->timing.duration_ms, opts->timing.renew_deadline_ms,
		 opts->timing.retry_period_ms);
	*out = le;
	return 0;
}

int leader_elect_fd(const struct leader_elect *le)
{
	return le->event_fd;
}

void leader_elect_ack(struct leader_elect *le)
{
	uint64_t v;
	ssize_t n = read(le->event_fd, &v, sizeof(v));

	(void)n;
}

bool leader_elect_is_leader(struct leader_elect *le)
{
	bool leader;

	pthread_mutex_lock(&le->lock);
	leader = lease_elector_is_leader(&le->e, leader_elect_now_ms());
	pthread_mutex_unlock(&le->lock);
	return leader;
}

unsigned long leader_elect_transitions(struct leader_elect *le)
{
	unsigned long n;

	pthread_mutex_lock(&le->lock);
	n = le->transitions;
	pthread_mutex_unlock(&le->lock);
	return n;
}

static void release(struct leader_elect *le)
{
	struct lease_record cur, w, stored;
	char now_text[LEASE_TIME_MAX];
	bool have, ok;

	if (read_lease(le, &cur, &have) < 0 || !have)
		return;
	wall_now(now_text, sizeof(now_text));
	pthread_mutex_lock(&le->lock);
	ok = lease_elector_is_leader(&le->e, leader_elect_now_ms()) &&
	     lease_elector_release(&le->e, &cur, now_text, &w);
	pthread_mutex_unlock(&le->lock);
	if (ok && write_lease(le, LEASE_STEP_UPDATE, &w, &stored) == 0)
		log_info("event=leader_released lease=%s/%s identity=%s", le->namespace, le->name,
			 le->e.identity);
}

void leader_elect_stop(struct leader_elect *le, bool do_release)
{
	if (!le)
		return;
	if (le->started) {
		pthread_mutex_lock(&le->lock);
		le->stopping = true;
		pthread_cond_signal(&le->wake);
		pthread_mutex_unlock(&le->lock);
		pthread_join(le->thread, NULL);
	}
	if (do_release)
		release(le);
	free_le(le);
}
