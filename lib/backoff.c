/* backoff: the base for attempt n is initial << n, computed with a shift
 * guard so it saturates at max_ms instead of overflowing after ~32 attempts.
 * The jitter uses xorshift64*, which is plenty for spreading reconnects and
 * keeps the module free of libc's shared rand() state. A zero seed would make
 * xorshift stick at zero, so it is replaced by a fixed odd constant. */
#include "backoff.h"

void backoff_init(struct backoff *b, unsigned initial_ms, unsigned max_ms, uint64_t seed)
{
	b->initial_ms = initial_ms ? initial_ms : 1;
	b->max_ms = max_ms < b->initial_ms ? b->initial_ms : max_ms;
	b->attempt = 0;
	b->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

void backoff_reset(struct backoff *b)
{
	b->attempt = 0;
}

unsigned backoff_base(const struct backoff *b, unsigned attempt)
{
	uint64_t base = b->initial_ms;

	/* 32 doublings already exceed any unsigned cap. */
	if (attempt >= 32)
		return b->max_ms;
	base <<= attempt;
	return base > b->max_ms ? b->max_ms : (unsigned)base;
}

static uint64_t backoff_random(struct backoff *b)
{
	uint64_t x = b->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	b->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

unsigned backoff_next(struct backoff *b)
{
	unsigned base = backoff_base(b, b->attempt);
	unsigned half = base / 2;
	unsigned span = base - half;

	if (b->attempt < 64)
		b->attempt++;
	return half + (unsigned)(backoff_random(b) % ((uint64_t)span + 1));
}
