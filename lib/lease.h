/* lease: leader election over a coordination.k8s.io/v1 Lease, the pure part
 * (the Lease record, and the elector's state machine on a caller's clock).
 * lib/leader_elect drives it against the API on a thread of its own.
 *
 * Contract (the rules client-go's leaderelection follows, restated):
 *  - Timing: lease duration > renew deadline > retry period > 0
 *    (lease_timing_validate()). Candidates try every retry period.
 *  - Nobody trusts another process's clock. A candidate remembers when *it*
 *    last saw the record change (holder, renewTime or resourceVersion) on its
 *    own monotonic clock, and may take the lease only when the record has not
 *    changed for a whole lease duration (the record's leaseDurationSeconds,
 *    else ours) — or at once when the lease is absent or has no holder (a
 *    clean release). A record seen for the first time counts as just changed.
 *  - The leader renews every retry period. It is leader only while its last
 *    successful write is younger than the renew deadline
 *    (lease_elector_is_leader()), so it stops acting at least
 *    (duration - renew deadline) before any candidate can take over. A
 *    failed renewal is retried until that deadline; seeing another holder in
 *    the record ends leadership at once.
 *  - A standby takes over at most duration + 2 x retry period after the
 *    leader's last renewal (one period to notice the last change, one of
 *    polling granularity).
 *  - Release (clean shutdown): the holder writes holderIdentity "" so a
 *    standby takes over on its next try instead of after a lease duration.
 * Writes are updates with the read resourceVersion (or a create when the
 * Lease is absent), so two candidates never both succeed on one version. */
#ifndef TWILL_LEASE_H
#define TWILL_LEASE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#define LEASE_ID_MAX 254
#define LEASE_TIME_MAX 40

struct lease_timing {
	long duration_ms;       /* leaseDurationSeconds (written in whole seconds) */
	long renew_deadline_ms; /* leader gives up when renewals fail this long */
	long retry_period_ms;   /* how often candidates try and the leader renews */
};

struct lease_record {
	char holder[LEASE_ID_MAX];          /* "" = nobody (released) */
	long duration_s;                    /* 0 = not set */
	char acquire_time[LEASE_TIME_MAX];  /* MicroTime, informative */
	char renew_time[LEASE_TIME_MAX];
	long transitions;
	char resource_version[64];          /* "" for a record not read from the API */
};

/* Defaults: 15 s / 10 s / 2 s (client-go's). */
void lease_timing_default(struct lease_timing *t);
/* 0, or -EINVAL with msg naming the rule that is broken. */
int lease_timing_validate(const struct lease_timing *t, char *msg, size_t msglen);

/* Lease object -> record. Missing spec fields are zero/empty. 0 or -EINVAL
 * (not an object). */
int lease_record_from_json(json_object *obj, struct lease_record *out);
/* Record -> Lease object named ns/name (resourceVersion included when set).
 * NULL on -ENOMEM. */
json_object *lease_record_to_json(const struct lease_record *r, const char *ns,
				  const char *name);
/* MicroTime text of a wall-clock time: "2026-01-02T03:04:05.123456Z". */
void lease_format_time(const struct timespec *ts, char *buf, size_t size);

enum lease_step {
	LEASE_STEP_WAIT = 0, /* someone else holds a live lease: try again later */
	LEASE_STEP_CREATE,   /* no Lease: create *write */
	LEASE_STEP_UPDATE,   /* acquire or renew: update with *write */
};

struct lease_elector {
	char identity[LEASE_ID_MAX];
	struct lease_timing timing;
	bool leader;
	uint64_t renewed_at_ms;   /* our last successful write (monotonic) */
	bool observed;
	struct lease_record seen; /* last record read */
	uint64_t seen_at_ms;      /* when it last changed, on our clock */
	bool pending_acquire;     /* the write in flight acquires (not renews) */
};

/* identity: this candidate's unique name (pod name + random suffix). */
void lease_elector_init(struct lease_elector *e, const char *identity,
			const struct lease_timing *timing);
/* One try at now_ms (monotonic). cur: the Lease read just now, NULL when it
 * does not exist. wall_now: MicroTime text for acquireTime/renewTime. On
 * CREATE/UPDATE *write is filled (resourceVersion = cur's); call
 * lease_elector_result() with the write's outcome. Leadership lost by
 * seeing another holder is applied here. */
enum lease_step lease_elector_decide(struct lease_elector *e, const struct lease_record *cur,
				     uint64_t now_ms, const char *wall_now,
				     struct lease_record *write);
/* Outcome of the write decide() asked for (0 or -errno) at now_ms. */
void lease_elector_result(struct lease_elector *e, int rc, const struct lease_record *written,
			  uint64_t now_ms);
/* A failed read at now_ms: the leader keeps its title until the deadline. */
void lease_elector_read_failed(struct lease_elector *e, uint64_t now_ms);
/* Leader, and the last renewal is younger than the renew deadline. */
bool lease_elector_is_leader(const struct lease_elector *e, uint64_t now_ms);
/* The record that releases a lease we hold (holder "", transitions kept),
 * from cur (the record read just now). false when cur is not ours. */
bool lease_elector_release(const struct lease_elector *e, const struct lease_record *cur,
			   const char *wall_now, struct lease_record *write);

#endif
