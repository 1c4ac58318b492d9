/* log: formats a whole line in a stack buffer and emits it with one write(2),
 * so lines from threads or from several processes sharing a log file never
 * interleave mid-line (writes up to PIPE_BUF are atomic on pipes; O_APPEND
 * files get whole-write atomicity from the kernel). Over-long lines are
 * truncated with a trailing "..." rather than split. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static const char *log_component = "twill";
static enum log_level log_current_level = LOG_LEVEL_INFO;
static int log_fd = STDERR_FILENO;

void log_init(const char *component)
{
	if (component && *component)
		log_component = component;
}

void log_set_level(enum log_level level)
{
	log_current_level = level;
}

enum log_level log_get_level(void)
{
	return log_current_level;
}

void log_set_fd(int fd)
{
	log_fd = fd;
}

const char *log_level_name(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_DEBUG:
		return "debug";
	case LOG_LEVEL_INFO:
		return "info";
	case LOG_LEVEL_WARN:
		return "warn";
	case LOG_LEVEL_ERROR:
		return "error";
	}
	return "unknown";
}

int log_level_parse(const char *text, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{ "debug", LOG_LEVEL_DEBUG }, { "info", LOG_LEVEL_INFO },
		{ "warn", LOG_LEVEL_WARN },   { "warning", LOG_LEVEL_WARN },
		{ "error", LOG_LEVEL_ERROR },
	};
	size_t i;

	if (!text)
		return -EINVAL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(text, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

static int log_needs_quotes(const char *value)
{
	const unsigned char *p;

	if (*value == '\0')
		return 1;
	for (p = (const unsigned char *)value; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
			return 1;
	return 0;
}

const char *log_quote(char *buf, size_t size, const char *value)
{
	size_t n = 0;
	const char *p;

	if (size == 0)
		return buf;
	if (!value)
		value = "";
	if (!log_needs_quotes(value)) {
		snprintf(buf, size, "%s", value);
		return buf;
	}
	if (size < 3) {
		buf[0] = '\0';
		return buf;
	}
	buf[n++] = '"';
	for (p = value; *p; p++) {
		int esc = (*p == '"' || *p == '\\');
		char c = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;

		/* keep room for the escape, the character, '"' and NUL */
		if (n + (size_t)esc + 3 > size)
			break;
		if (esc)
			buf[n++] = '\\';
		buf[n++] = c;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

void log_write(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int head, body;
	size_t len, i;
	ssize_t written;

	if (level < log_current_level)
		return;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	head = snprintf(line, sizeof(line),
			"ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s comp=%s ",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000L,
			log_level_name(level), log_component);
	if (head < 0 || (size_t)head >= sizeof(line))
		return;

	va_start(ap, fmt);
	body = vsnprintf(line + head, sizeof(line) - (size_t)head, fmt, ap);
	va_end(ap);
	if (body < 0)
		return;

	len = (size_t)head + (size_t)body;
	if (len >= sizeof(line) - 1) {
		len = sizeof(line) - 2;
		memcpy(line + len - 3, "...", 3);
	}
	for (i = (size_t)head; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';

	do {
		written = write(log_fd, line, len);
	} while (written < 0 && errno == EINTR);
}
