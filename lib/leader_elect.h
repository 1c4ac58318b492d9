/* leader_elect: run the Lease elector (lib/lease) against the API server on
 * a thread of its own, for daemons with one event loop.
 *
 * Contract:
 *  - leader_elect_start() starts a thread that every retry period reads the
 *    Lease <namespace>/<name> and creates/acquires/renews it as
 *    lease_elector_decide() says. The thread uses the client it is given,
 *    which should be its own (a long list on a shared client would delay a
 *    renewal); requests should time out well within the renew deadline.
 *  - leader_elect_fd() (an eventfd) becomes readable when leadership may
 *    have changed; the owner reads it with leader_elect_ack() and asks
 *    leader_elect_is_leader().
 *  - leader_elect_is_leader() is safe from any thread and also turns false
 *    by itself when the renew deadline passes without a renewal (a stalled
 *    thread or an unreachable API), so checking it before each write means
 *    no write is started after leadership is lost.
 *  - leader_elect_stop() stops the thread; with release true and the lease
 *    held, it writes holderIdentity "" first so a standby takes over on its
 *    next try. Transitions are logged as one line each
 *    (event=leader_acquired / leader_lost / leader_released). */
#ifndef TWILL_LEADER_ELECT_H
#define TWILL_LEADER_ELECT_H

#include <stdbool.h>

#include "kube_client.h"
#include "lease.h"

struct leader_elect_opts {
	const char *namespace;
	const char *name;
	const char *identity;
	struct lease_timing timing;
};

struct leader_elect;

/* Strings are copied. 0, -EINVAL (bad timing; logged) or -errno. */
int leader_elect_start(struct kube_client *client, const struct leader_elect_opts *opts,
		       struct leader_elect **out);
int leader_elect_fd(const struct leader_elect *le);
void leader_elect_ack(struct leader_elect *le);
bool leader_elect_is_leader(struct leader_elect *le);
/* Number of times this process became leader. */
unsigned long leader_elect_transitions(struct leader_elect *le);
void leader_elect_stop(struct leader_elect *le, bool release);

/* Monotonic milliseconds (CLOCK_MONOTONIC). */
uint64_t leader_elect_now_ms(void);

#endif
