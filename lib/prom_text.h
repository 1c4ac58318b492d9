/* prom_text: Prometheus text exposition (format 0.0.4) built into a caller's
 * buffer, for the daemons' /metrics handlers.
 *
 * Contract: every metric name is "<prefix>_<name>". Appends stop at the
 * first one that does not fit (nothing partial is kept after it), and
 * prom_text_end() then reports -ENOSPC once, so a too small buffer is an
 * error, never a truncated scrape. The buffer is always NUL-terminated when
 * size > 0. */
#ifndef TWILL_PROM_TEXT_H
#define TWILL_PROM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prom_text {
	char *buf;
	size_t size, used;
	bool full;
	const char *prefix;
};

void prom_text_init(struct prom_text *t, char *buf, size_t size, const char *prefix);
__attribute__((format(printf, 2, 3))) void prom_text_printf(struct prom_text *t,
							     const char *fmt, ...);
/* HELP, TYPE and one sample without labels. */
void prom_text_metric(struct prom_text *t, const char *name, const char *type, const char *help,
		      uint64_t value);
/* Bytes written, or -ENOSPC. */
int prom_text_end(const struct prom_text *t);

#endif
