/* health_http: single-threaded HTTP responder (see health_http.h).
 *
 * Accepted sockets are blocking with SO_RCVTIMEO/SO_SNDTIMEO, which keeps
 * the code a straight line (read head, answer, close) while bounding what a
 * misbehaving client can cost the event loop. Responses are HTTP/1.0 with
 * Connection: close, so there is no keep-alive state to track. */
#include "health_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define HEAD_MAX 4096
#define BODY_MAX (64 * 1024)
#define IO_TIMEOUT_MS 200

struct health_http {
	int fd;
	int port;
	health_http_handler fn;
	void *ctx;
	char *body;
};

int health_http_parse_request(const char *head, char *method, size_t method_size, char *path,
			      size_t path_size)
{
	const char *sp1, *sp2, *eol;
	size_t mlen, plen;

	eol = strpbrk(head, "\r\n");
	if (!eol)
		eol = head + strlen(head);
	sp1 = memchr(head, ' ', (size_t)(eol - head));
	if (!sp1)
		return -EINVAL;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || strncmp(sp2 + 1, "HTTP/", 5) != 0)
		return -EINVAL;
	mlen = (size_t)(sp1 - head);
	plen = (size_t)(sp2 - sp1 - 1);
	if (!mlen || mlen >= method_size || !plen || plen >= path_size || sp1[1] != '/')
		return -EINVAL;
	memcpy(method, head, mlen);
	method[mlen] = '\0';
	memcpy(path, sp1 + 1, plen);
	path[plen] = '\0';
	path[strcspn(path, "?#")] = '\0';
	return 0;
}

int health_http_open(const char *addr, int port, health_http_handler fn, void *ctx,
		     struct health_http **out)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof(sa);
	struct health_http *h;
	int one = 1, rc;

	if (!fn || !out || port < 0 || port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, addr ? addr : "0.0.0.0", &sa.sin_addr) != 1)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->body = malloc(BODY_MAX);
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!h->body || h->fd < 0) {
		rc = h->body ? -errno : -ENOMEM;
		goto fail;
	}
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(h->fd, 16) < 0 ||
	    getsockname(h->fd, (struct sockaddr *)&sa, &len) < 0) {
		rc = -errno;
		goto fail;
	}
	h->port = ntohs(sa.sin_port);
	h->fn = fn;
	h->ctx = ctx;
	*out = h;
	return 0;
fail:
	if (h->fd >= 0)
		close(h->fd);
	free(h->body);
	free(h);
	return rc;
}

void health_http_close(struct health_http *h)
{
	if (!h)
		return;
	close(h->fd);
	free(h->body);
	free(h);
}

int health_http_fd(const struct health_http *h)
{
	return h->fd;
}

int health_http_port(const struct health_http *h)
{
	return h->port;
}

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 503:
		return "Service Unavailable";
	default:
		return "Status";
	}
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Read until the blank line that ends the head (or the buffer is full, or
 * the timeout passes). */
static size_t read_head(int fd, char *buf, size_t size)
{
	size_t got = 0;

	while (got < size - 1) {
		ssize_t n = recv(fd, buf + got, size - 1 - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			break;
	}
	buf[got] = '\0';
	return got;
}

static void answer(struct health_http *h, int fd)
{
	struct timeval tv = {0, IO_TIMEOUT_MS * 1000};
	char head[HEAD_MAX], method[16] = "", path[512], hdr[256];
	const char *ctype = "text/plain; charset=utf-8";
	int status, n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	h->body[0] = '\0';
	read_head(fd, head, sizeof(head));
	if (health_http_parse_request(head, method, sizeof(method), path, sizeof(path)) < 0) {
		status = 400;
		snprintf(h->body, BODY_MAX, "bad request\n");
	} else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = 405;
		snprintf(h->body, BODY_MAX, "method not allowed\n");
	} else {
		status = h->fn(path, h->body, BODY_MAX, &ctype, h->ctx);
		h->body[BODY_MAX - 1] = '\0';
	}
	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n",
		     status, reason(status), ctype, strlen(h->body));
	if (n > 0 && (size_t)n < sizeof(hdr))
		write_all(fd, hdr, (size_t)n);
	if (status != 400 && strcmp(method, "HEAD") != 0)
		write_all(fd, h->body, strlen(h->body));
}

int health_http_serve(struct health_http *h)
{
	int served = 0;

	for (;;) {
		int fd = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			break; /* EAGAIN: nothing more pending */
		}
		answer(h, fd);
		close(fd);
		served++;
	}
	return served;
}

int health_http_parse_port(const char *text, int *out)
{
	char *end;
	long v;

	if (!text || !*text)
		return -EINVAL;
	v = strtol(text, &end, 10);
	if (*end || v < 0 || v > 65535)
		return -EINVAL;
	*out = (int)v;
	return 0;
}
