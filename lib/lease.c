/* lease: the Lease record and the elector's state machine (see lease.h).
 *
 * The only clock here is the caller's monotonic now_ms; wall-clock text is
 * passed in for the record's informative acquireTime/renewTime and never
 * read back for a decision. "Changed" compares holder, renewTime and the
 * resourceVersion, so a leader that renews every retry period keeps the
 * standby's observation fresh even when two renewals carry the same
 * timestamp text. */
#include "lease.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void lease_timing_default(struct lease_timing *t)
{
	t->duration_ms = 15000;
	t->renew_deadline_ms = 10000;
	t->retry_period_ms = 2000;
}

int lease_timing_validate(const struct lease_timing *t, char *msg, size_t msglen)
{
	if (t->retry_period_ms <= 0) {
		snprintf(msg, msglen, "retry period must be positive");
		return -EINVAL;
	}
	if (t->renew_deadline_ms <= t->retry_period_ms) {
		snprintf(msg, msglen, "renew deadline (%ld ms) must be longer than the retry period "
			 "(%ld ms)", t->renew_deadline_ms, t->retry_period_ms);
		return -EINVAL;
	}
	if (t->duration_ms <= t->renew_deadline_ms) {
		snprintf(msg, msglen, "lease duration (%ld ms) must be longer than the renew "
			 "deadline (%ld ms)", t->duration_ms, t->renew_deadline_ms);
		return -EINVAL;
	}
	if (t->duration_ms % 1000) {
		snprintf(msg, msglen, "lease duration (%ld ms) must be whole seconds "
			 "(leaseDurationSeconds)", t->duration_ms);
		return -EINVAL;
	}
	return 0;
}

static void copy_string(json_object *parent, const char *key, char *dst, size_t size)
{
	json_object *v;

	dst[0] = '\0';
	if (parent && json_object_object_get_ex(parent, key, &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(dst, size, "%s", json_object_get_string(v));
}

static long get_long(json_object *parent, const char *key)
{
	json_object *v;

	if (parent && json_object_object_get_ex(parent, key, &v) &&
	    json_object_is_type(v, json_type_int))
		return (long)json_object_get_int64(v);
	return 0;
}

int lease_record_from_json(json_object *obj, struct lease_record *out)
{
	json_object *spec = NULL, *md = NULL;

	memset(out, 0, sizeof(*out));
	if (!obj || !json_object_is_type(obj, json_type_object))
		return -EINVAL;
	json_object_object_get_ex(obj, "metadata", &md);
	json_object_object_get_ex(obj, "spec", &spec);
	copy_string(md, "resourceVersion", out->resource_version, sizeof(out->resource_version));
	copy_string(spec, "holderIdentity", out->holder, sizeof(out->holder));
	copy_string(spec, "acquireTime", out->acquire_time, sizeof(out->acquire_time));
	copy_string(spec, "renewTime", out->renew_time, sizeof(out->renew_time));
	out->duration_s = get_long(spec, "leaseDurationSeconds");
	out->transitions = get_long(spec, "leaseTransitions");
	return 0;
}

static int put_string(json_object *o, const char *key, const char *value)
{
	json_object *v;

	if (!value || !*value)
		return 0;
	if (!(v = json_object_new_string(value)))
		return -ENOMEM;
	return json_object_object_add(o, key, v) ? -ENOMEM : 0;
}

static int put_int(json_object *o, const char *key, long value)
{
	json_object *v = json_object_new_int64(value);

	if (!v)
		return -ENOMEM;
	return json_object_object_add(o, key, v) ? -ENOMEM : 0;
}

json_object *lease_record_to_json(const struct lease_record *r, const char *ns, const char *name)
{
	json_object *obj = json_object_new_object(), *md = json_object_new_object(),
		    *spec = json_object_new_object();
	int rc = 0;

	if (!obj || !md || !spec)
		goto fail;
	rc |= put_string(obj, "apiVersion", "coordination.k8s.io/v1");
	rc |= put_string(obj, "kind", "Lease");
	rc |= put_string(md, "name", name);
	rc |= put_string(md, "namespace", ns);
	rc |= put_string(md, "resourceVersion", r->resource_version);
	/* An empty holder is written explicitly: it is what a release means. */
	if (!r->holder[0]) {
		json_object *v = json_object_new_string("");

		rc |= !v || json_object_object_add(spec, "holderIdentity", v) ? -ENOMEM : 0;
	} else {
		rc |= put_string(spec, "holderIdentity", r->holder);
	}
	if (r->duration_s > 0)
		rc |= put_int(spec, "leaseDurationSeconds", r->duration_s);
	rc |= put_string(spec, "acquireTime", r->acquire_time);
	rc |= put_string(spec, "renewTime", r->renew_time);
	rc |= put_int(spec, "leaseTransitions", r->transitions);
	if (rc)
		goto fail;
	json_object_object_add(obj, "metadata", md);
	json_object_object_add(obj, "spec", spec);
	return obj;
fail:
	json_object_put(obj);
	json_object_put(md);
	json_object_put(spec);
	return NULL;
}

void lease_format_time(const struct timespec *ts, char *buf, size_t size)
{
	struct tm tm;
	char base[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06ldZ", base, ts->tv_nsec / 1000);
}

void lease_elector_init(struct lease_elector *e, const char *identity,
			const struct lease_timing *timing)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->identity, sizeof(e->identity), "%s", identity);
	e->timing = *timing;
}

static bool record_changed(const struct lease_record *a, const struct lease_record *b)
{
	return strcmp(a->holder, b->holder) != 0 || strcmp(a->renew_time, b->renew_time) != 0 ||
	       strcmp(a->resource_version, b->resource_version) != 0;
}

static void observe(struct lease_elector *e, const struct lease_record *cur, uint64_t now_ms)
{
	if (!e->observed || record_changed(&e->seen, cur)) {
		e->seen = *cur;
		e->seen_at_ms = now_ms;
		e->observed = true;
	}
}

static bool expired(const struct lease_elector *e, uint64_t now_ms)
{
	long duration = e->seen.duration_s > 0 ? e->seen.duration_s * 1000 : e->timing.duration_ms;

	return now_ms >= e->seen_at_ms + (uint64_t)duration;
}

/* Leadership ends when the renew deadline passed without a renewal. */
static void check_deadline(struct lease_elector *e, uint64_t now_ms)
{
	if (e->leader && now_ms >= e->renewed_at_ms + (uint64_t)e->timing.renew_deadline_ms)
		e->leader = false;
}

enum lease_step lease_elector_decide(struct lease_elector *e, const struct lease_record *cur,
				     uint64_t now_ms, const char *wall_now,
				     struct lease_record *write)
{
	bool mine;

	memset(write, 0, sizeof(*write));
	check_deadline(e, now_ms);
	e->pending_acquire = false;
	snprintf(write->holder, sizeof(write->holder), "%s", e->identity);
	write->duration_s = e->timing.duration_ms / 1000;
	snprintf(write->renew_time, sizeof(write->renew_time), "%s", wall_now);
	if (!cur) {
		e->leader = false;
		e->observed = false;
		e->pending_acquire = true;
		snprintf(write->acquire_time, sizeof(write->acquire_time), "%s", wall_now);
		return LEASE_STEP_CREATE;
	}
	observe(e, cur, now_ms);
	mine = strcmp(cur->holder, e->identity) == 0;
	if (!mine) {
		e->leader = false; /* someone else holds or took it */
		if (cur->holder[0] && !expired(e, now_ms))
			return LEASE_STEP_WAIT;
		e->pending_acquire = true;
		snprintf(write->acquire_time, sizeof(write->acquire_time), "%s", wall_now);
		write->transitions = cur->transitions + 1;
	} else {
		/* Ours (a renewal, or a restart that kept the identity, which a
		 * fresh process never does: identities carry a random suffix). */
		snprintf(write->acquire_time, sizeof(write->acquire_time), "%s",
			 cur->acquire_time[0] ? cur->acquire_time : wall_now);
		write->transitions = cur->transitions;
		e->pending_acquire = !e->leader;
	}
	snprintf(write->resource_version, sizeof(write->resource_version), "%s",
		 cur->resource_version);
	return LEASE_STEP_UPDATE;
}

void lease_elector_result(struct lease_elector *e, int rc, const struct lease_record *written,
			  uint64_t now_ms)
{
	if (rc == 0) {
		e->leader = true;
		e->renewed_at_ms = now_ms;
		if (written) {
			e->seen = *written;
			e->seen_at_ms = now_ms;
			e->observed = true;
		}
	} else {
		check_deadline(e, now_ms);
	}
	e->pending_acquire = false;
}

void lease_elector_read_failed(struct lease_elector *e, uint64_t now_ms)
{
	check_deadline(e, now_ms);
}

bool lease_elector_is_leader(const struct lease_elector *e, uint64_t now_ms)
{
	return e->leader && now_ms < e->renewed_at_ms + (uint64_t)e->timing.renew_deadline_ms;
}

bool lease_elector_release(const struct lease_elector *e, const struct lease_record *cur,
			   const char *wall_now, struct lease_record *write)
{
	if (!cur || strcmp(cur->holder, e->identity) != 0)
		return false;
	memset(write, 0, sizeof(*write));
	write->duration_s = 1;
	snprintf(write->renew_time, sizeof(write->renew_time), "%s", wall_now);
	snprintf(write->acquire_time, sizeof(write->acquire_time), "%s", cur->acquire_time);
	write->transitions = cur->transitions;
	snprintf(write->resource_version, sizeof(write->resource_version), "%s",
		 cur->resource_version);
	return true;
}
