/* unix_sock: Unix stream socket addressing and connect (unix_sock.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "unix_sock.h"

int unix_sock_addr(const char *path, struct sockaddr_un *addr)
{
	size_t n = strlen(path);

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (n >= sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	memcpy(addr->sun_path, path, n + 1);
	return 0;
}

int unix_sock_connect(const char *path, unsigned timeout_s, int *fd)
{
	struct sockaddr_un addr;
	struct timeval tv = { (time_t)timeout_s, 0 };
	int s, rc;

	*fd = -1;
	if ((rc = unix_sock_addr(path, &addr)) < 0)
		return rc;
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if ((timeout_s && (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
			   setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)) ||
	    connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		rc = -errno;
		close(s);
		return rc;
	}
	*fd = s;
	return 0;
}
