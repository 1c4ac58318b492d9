/* backoff: capped exponential backoff with jitter for reconnect loops.
 *
 * Contract: backoff_next() returns the delay (ms) to wait before attempt n
 * (n = number of calls since init/reset). The un-jittered base doubles from
 * initial_ms and is capped at max_ms; the returned delay is drawn uniformly
 * from [base/2, base] ("equal jitter"), so it is never 0 for initial_ms >= 2,
 * never exceeds max_ms, and many clients reconnecting after one server restart
 * spread out instead of stampeding. Pure: no clock, no global state; the
 * random source is a per-struct xorshift seeded by the caller, so tests can
 * check the exact bounds. Not thread-safe (one struct per loop). */
#ifndef TWILL_BACKOFF_H
#define TWILL_BACKOFF_H

#include <stdint.h>

struct backoff {
	unsigned initial_ms;
	unsigned max_ms;
	unsigned attempt;
	uint64_t rng;
};

/* initial_ms 0 is treated as 1; max_ms below initial_ms is raised to it. */
void backoff_init(struct backoff *b, unsigned initial_ms, unsigned max_ms, uint64_t seed);
/* Delay before the next attempt, advancing the sequence. */
unsigned backoff_next(struct backoff *b);
/* Un-jittered cap for attempt n (what backoff_next's upper bound is). */
unsigned backoff_base(const struct backoff *b, unsigned attempt);
/* Start over after a success. */
void backoff_reset(struct backoff *b);

#endif
