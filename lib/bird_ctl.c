/* bird_ctl: talking to BIRD's control socket and reading its protocol table.
 *
 * The reply is parsed line by line with one piece of state: the code of the
 * last coded line, which a continuation line (leading space) inherits. A
 * 1002 line opens a new protocol; 1006 lines (and their continuations) fill
 * in the protocol opened last, and 1006 before any 1002 is malformed. Only a
 * final line (code + ' ') ends a reply, so a reply cut off in the middle is
 * reported as truncated instead of being mistaken for a short table. Every
 * string is copied out of the reply, so the result does not borrow it. */
#include "bird_ctl.h"
#include "fd_io.h"
#include "unix_sock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Code of a coded line, or -1. *final tells whether it ends the reply. */
static int line_code(const char *line, size_t len, bool *final)
{
	if (len < 5 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
	    !is_digit(line[3]) || (line[4] != '-' && line[4] != ' '))
		return -1;
	*final = line[4] == ' ';
	return (line[0] - '0') * 1000 + (line[1] - '0') * 100 + (line[2] - '0') * 10 +
	       (line[3] - '0');
}

/* ---- the socket ---- */

struct rbuf {
	char *data;
	size_t len, cap;
	size_t scanned;	/* complete lines before this offset are checked */
};

/* Read until a final line arrives. 1 when complete, or -errno. */
static int read_reply(int fd, int timeout_ms, struct rbuf *b, char *err, size_t errlen)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t n;
		int rc;

		while (b->len > b->scanned &&
		       (nl = memchr(b->data + b->scanned, '\n', b->len - b->scanned))) {
			bool final = false;
			size_t ll = (size_t)(nl - (b->data + b->scanned));

			if (line_code(b->data + b->scanned, ll, &final) >= 0) {
				if (final) {
					b->scanned += ll + 1;
					return 1;
				}
			} else if (ll > 0 && b->data[b->scanned] != ' ') {
				snprintf(err, errlen, "not a BIRD reply line: the socket speaks "
						      "another protocol");
				return -EPROTO;
			}
			b->scanned += ll + 1;
		}
		if (b->len + 4096 + 1 > b->cap) {
			size_t cap = b->cap ? b->cap * 2 : 16384;
			char *p;

			if (cap > BIRD_CTL_MAX_REPLY + 4096) {
				snprintf(err, errlen, "reply larger than %u bytes", BIRD_CTL_MAX_REPLY);
				return -EFBIG;
			}
			p = realloc(b->data, cap);
			if (!p)
				return -ENOMEM;
			b->data = p;
			b->cap = cap;
		}
		rc = poll(&pfd, 1, timeout_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			rc = -errno;
			snprintf(err, errlen, "poll: %s", strerror(-rc));
			return rc;
		}
		if (rc == 0) {
			snprintf(err, errlen, "no complete reply within %d ms", timeout_ms);
			return -ETIMEDOUT;
		}
		n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "read: %s", strerror(-rc));
			return rc;
		}
		if (n == 0) {
			snprintf(err, errlen, "BIRD closed the connection in the middle of a reply");
			return -EPROTO;
		}
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
}

int bird_ctl_command(const char *socket_path, const char *command, int timeout_ms,
		     char **reply, size_t *len, char *err, size_t errlen)
{
	struct rbuf b = { 0 };
	size_t greeting;
	char *line = NULL;
	bool final;
	int fd = -1, rc;

	*reply = NULL;
	if (len)
		*len = 0;
	if (err && errlen)
		err[0] = '\0';
	if (strchr(command, '\n')) {
		snprintf(err, errlen, "a command is one line");
		return -EINVAL;
	}
	rc = unix_sock_connect(socket_path, 0, &fd);
	if (rc == -ENAMETOOLONG) {
		snprintf(err, errlen, "socket path too long: %s", socket_path);
		return rc;
	}
	if (rc < 0) {
		snprintf(err, errlen, "connect %s: %s", socket_path, strerror(-rc));
		goto out;
	}
	rc = read_reply(fd, timeout_ms, &b, err, errlen);
	if (rc < 0)
		goto out;
	if (line_code(b.data, b.scanned, &final) != 1) {
		snprintf(err, errlen, "%s did not greet like BIRD", socket_path);
		rc = -EPROTO;
		goto out;
	}
	greeting = b.scanned;
	if (asprintf(&line, "%s\n", command) < 0) {
		line = NULL;
		rc = -ENOMEM;
		goto out;
	}
	rc = fd_write_all(fd, line, strlen(line));
	if (rc < 0) {
		snprintf(err, errlen, "send: %s", strerror(-rc));
		goto out;
	}
	rc = read_reply(fd, timeout_ms, &b, err, errlen);
	if (rc < 0)
		goto out;
	/* Drop the greeting; whatever followed the final line is not ours. */
	memmove(b.data, b.data + greeting, b.scanned - greeting);
	b.len = b.scanned - greeting;
	b.data[b.len] = '\0';
	*reply = b.data;
	b.data = NULL;
	if (len)
		*len = b.len;
	rc = 0;
out:
	free(line);
	free(b.data);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- the parser ---- */

static char *dup_trim(const char *p, size_t n)
{
	char *s;

	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	s = malloc(n + 1);
	if (!s)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void proto_free(struct bird_ctl_proto *p)
{
	free(p->name);
	free(p->proto);
	free(p->table);
	free(p->state);
	free(p->since);
	free(p->info);
	free(p->description);
	free(p->twill_type);
	free(p->twill_peer);
	free(p->bgp_state);
	free(p->neighbor_address);
	free(p->last_error);
	memset(p, 0, sizeof(*p));
}

void bird_ctl_protos_free(struct bird_ctl_protos *p)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		proto_free(&p->items[i]);
	free(p->items);
	p->items = NULL;
	p->count = 0;
}

/* Next whitespace-separated token of [*p, end): 0 or -EPROTO. */
static int take_token(const char **p, const char *end, char **out)
{
	const char *s = *p, *e;

	while (s < end && is_blank(*s))
		s++;
	e = s;
	while (e < end && !is_blank(*e))
		e++;
	if (e == s)
		return -EPROTO;
	/* Not strndup: the reply is not NUL-terminated, and sanitizers' strndup
	 * may look one byte past the token's end. */
	*out = malloc((size_t)(e - s) + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, s, (size_t)(e - s));
	(*out)[e - s] = '\0';
	*p = e;
	return 0;
}

/* "Name Proto Table State Since  Info": the first four are single words;
 * BIRD pads Since and puts two spaces before Info, and Since itself may
 * hold one space (iso long time format), so Info starts after the first
 * double space. */
static int parse_row(const char *p, size_t n, struct bird_ctl_proto *out)
{
	const char *end = p + n, *s, *gap;
	int rc;

	if ((rc = take_token(&p, end, &out->name)) < 0 ||
	    (rc = take_token(&p, end, &out->proto)) < 0 ||
	    (rc = take_token(&p, end, &out->table)) < 0 ||
	    (rc = take_token(&p, end, &out->state)) < 0)
		return rc;
	s = p;
	while (s < end && *s == ' ')
		s++;
	for (gap = s; gap + 1 < end; gap++)
		if (gap[0] == ' ' && gap[1] == ' ')
			break;
	if (gap + 1 >= end)
		gap = end;
	out->since = dup_trim(s, (size_t)(gap - s));
	out->info = dup_trim(gap, (size_t)(end - gap));
	return out->since && out->info ? 0 : -ENOMEM;
}

static bool parse_u32(const char *s, uint32_t *out)
{
	char *e;
	unsigned long v;

	if (!is_digit(*s))
		return false;
	errno = 0;
	v = strtoul(s, &e, 10);
	if (errno || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* "N imported, [F filtered, ]M exported, K preferred" */
static void parse_routes(const char *v, struct bird_ctl_proto *p)
{
	const char *s = v;

	p->has_routes = true;
	while (*s) {
		unsigned long n;
		char *e;

		while (*s == ' ' || *s == ',')
			s++;
		if (!is_digit(*s))
			break;
		n = strtoul(s, &e, 10);
		s = e;
		while (*s == ' ')
			s++;
		if (strncmp(s, "imported", 8) == 0)
			p->imported += n;
		else if (strncmp(s, "exported", 8) == 0)
			p->exported += n;
		else if (strncmp(s, "preferred", 9) == 0)
			p->preferred += n;
		while (*s && *s != ',')
			s++;
	}
}

static int set_string(char **field, const char *v)
{
	char *s;

	if (*field)	/* the first one wins (channel lines repeat keys) */
		return 0;
	s = strdup(v);
	if (!s)
		return -ENOMEM;
	*field = s;
	return 0;
}

/* "twill <type> <name>" -> twill_type, twill_peer. */
static int parse_description(struct bird_ctl_proto *p)
{
	const char *d = p->description, *sp;

	if (strncmp(d, "twill ", 6) != 0)
		return 0;
	d += 6;
	sp = strchr(d, ' ');
	if (!sp || sp == d || !sp[1])
		return 0;
	p->twill_type = dup_trim(d, (size_t)(sp - d));
	p->twill_peer = dup_trim(sp + 1, strlen(sp + 1));
	return p->twill_type && p->twill_peer ? 0 : -ENOMEM;
}

/* One detail line ("  Key:   value"). Unknown keys are ignored. */
static int parse_detail(const char *line, size_t n, struct bird_ctl_proto *p)
{
	char *t = dup_trim(line, n), *colon, *v;
	int rc = 0;

	if (!t)
		return -ENOMEM;
	colon = strchr(t, ':');
	if (!colon)
		goto out;
	*colon = '\0';
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (strcmp(t, "Description") == 0) {
		if (!p->description) {
			rc = set_string(&p->description, v);
			if (rc == 0)
				rc = parse_description(p);
		}
	} else if (strcmp(t, "BGP state") == 0) {
		rc = set_string(&p->bgp_state, v);
	} else if (strcmp(t, "Neighbor address") == 0) {
		rc = set_string(&p->neighbor_address, v);
	} else if (strcmp(t, "Neighbor AS") == 0) {
		if (!p->neighbor_as)
			parse_u32(v, &p->neighbor_as);
	} else if (strcmp(t, "Local AS") == 0) {
		if (!p->local_as)
			parse_u32(v, &p->local_as);
	} else if (strcmp(t, "Last error") == 0) {
		rc = set_string(&p->last_error, v);
	} else if (strcmp(t, "Routes") == 0) {
		parse_routes(v, p);
	}
out:
	free(t);
	return rc;
}

int bird_ctl_parse_protocols(const char *reply, size_t len, struct bird_ctl_protos *out,
			     char *err, size_t errlen)
{
	const char *p = reply, *end = reply + len;
	int code = -1, rc = 0;
	bool done = false;
	size_t lineno = 0;

	out->items = NULL;
	out->count = 0;
	if (err && errlen)
		err[0] = '\0';
	while (p < end && !done) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *text;
		size_t tlen;
		bool final = false;
		int c;

		lineno++;
		if (memchr(p, '\0', n)) {
			snprintf(err, errlen, "line %zu: NUL byte", lineno);
			rc = -EPROTO;
			goto out;
		}
		c = line_code(p, n, &final);
		if (c >= 0) {
			code = c;
			text = p + 5;
			tlen = n - 5;
		} else if (n >= 1 && p[0] == ' ' && code >= 0) {
			text = p + 1;
			tlen = n - 1;
		} else if (n == 0) {
			/* an empty line carries nothing (and ends the input if last) */
			p = nl ? nl + 1 : end;
			continue;
		} else {
			snprintf(err, errlen, "line %zu: not a BIRD reply line", lineno);
			rc = -EPROTO;
			goto out;
		}
		p = nl ? nl + 1 : end;
		if (code >= 8000) {
			char *msg = dup_trim(text, tlen);

			snprintf(err, errlen, "BIRD: %s", msg ? msg : "error");
			free(msg);
			rc = -EPROTO;
			goto out;
		}
		if (c == 1002) {
			struct bird_ctl_proto *items;

			items = realloc(out->items, (out->count + 1) * sizeof(*items));
			if (!items) {
				rc = -ENOMEM;
				goto out;
			}
			out->items = items;
			memset(&items[out->count], 0, sizeof(*items));
			out->count++;
			rc = parse_row(text, tlen, &items[out->count - 1]);
			if (rc == -EPROTO)
				snprintf(err, errlen, "line %zu: short protocol row", lineno);
			if (rc < 0)
				goto out;
		} else if (code == 1006) {
			if (!out->count) {
				snprintf(err, errlen, "line %zu: details before any protocol", lineno);
				rc = -EPROTO;
				goto out;
			}
			rc = parse_detail(text, tlen, &out->items[out->count - 1]);
			if (rc < 0)
				goto out;
		}
		if (c >= 0 && final)
			done = code != 1;	/* the greeting is final too, but not ours */
	}
	if (!done) {
		snprintf(err, errlen, "truncated reply (no final line)");
		rc = -EPROTO;
	}
out:
	if (rc < 0)
		bird_ctl_protos_free(out);
	return rc;
}

bool bird_ctl_established(const struct bird_ctl_proto *p)
{
	return p->proto && strcmp(p->proto, "BGP") == 0 && p->state &&
	       strcmp(p->state, "up") == 0 &&
	       ((p->bgp_state && strcmp(p->bgp_state, "Established") == 0) ||
		(!p->bgp_state && p->info && strncmp(p->info, "Established", 11) == 0));
}
