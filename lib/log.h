/* log: one-line key=value logging shared by every twill binary.
 *
 * Contract: each call writes exactly one line, atomically (a single write(2)),
 * of the form
 *     ts=2026-11-24T16:00:00.123Z level=info comp=felix <message>
 * where <message> is the caller's printf-expanded text, itself key=value pairs
 * by convention: "event=route_add dst=10.0.0.0/26 err=\"No such device\"".
 * Values that may contain spaces or quotes are quoted with log_quote().
 * Lines below the current level cost one integer compare. Newlines in the
 * message are replaced by spaces so one call never produces two lines.
 * Secrets (tokens, passwords) must never be passed to these functions. */
#ifndef TWILL_LOG_H
#define TWILL_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LEVEL_DEBUG = 0,
	LOG_LEVEL_INFO = 1,
	LOG_LEVEL_WARN = 2,
	LOG_LEVEL_ERROR = 3,
};

/* Component name printed as comp=; the string must outlive logging. */
void log_init(const char *component);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "debug", "info", "warn"/"warning", "error" (case-insensitive); -EINVAL else. */
int log_level_parse(const char *text, enum log_level *out);
const char *log_level_name(enum log_level level);
/* Log to this file descriptor instead of stderr (the fd stays the caller's). */
void log_set_fd(int fd);

void log_write(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Quote a value for a key=value line: returns buf. Plain values (no space,
 * quote, '=' or control character) are copied as they are; others are wrapped
 * in double quotes with \" and \\ escaped. Always NUL-terminates; truncates
 * (keeping the closing quote) when buf is too small. */
const char *log_quote(char *buf, size_t size, const char *value);

#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_get_level() <= LOG_LEVEL_DEBUG)                        \
			log_write(LOG_LEVEL_DEBUG, __VA_ARGS__);               \
	} while (0)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
