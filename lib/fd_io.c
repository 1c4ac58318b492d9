/* fd_io: whole-buffer reads and writes (fd_io.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd_io.h"

int fd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	int is_socket = 1;
	ssize_t n;

	while (len) {
		if (is_socket) {
			n = send(fd, p, len, MSG_NOSIGNAL);
			if (n < 0 && errno == ENOTSOCK) {
				is_socket = 0;
				continue;
			}
		} else {
			n = write(fd, p, len);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fd_read_all(int fd, size_t max, char **out, size_t *len)
{
	size_t cap = 0, n = 0, grow;
	char *buf = NULL, *nb;
	ssize_t r;

	*out = NULL;
	*len = 0;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(buf);
				return -EFBIG;
			}
			grow = cap < 16384 ? 16384 : cap;
			if (cap + grow > max + 1)
				grow = max + 1 - cap; /* room for one byte over max: detects it */
			if (!(nb = realloc(buf, cap + grow + 1))) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap += grow;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			free(buf);
			return -EFBIG;
		}
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}
