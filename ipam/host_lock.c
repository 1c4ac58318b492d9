/* host_lock: a per-node flock(2) around one plugin process's allocation.
 *
 * flock has no timeout, so the wait polls LOCK_NB with a short, growing
 * pause (0.5 ms up to 4 ms): a waiter notices a release within a few
 * milliseconds, and a holder that hangs (an API request stuck until its own
 * timeout) turns into a clear -ETIMEDOUT instead of a plugin that never
 * returns. Polling is not FIFO; waiters are few (the node's concurrent
 * ADD/DELs) and each hold is short, so nobody starves for long. The lock
 * file is never deleted: removing it while another process waits on the
 * old inode would let two holders in at once. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host_lock.h"

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

int ipam_host_lock_path(const char *dir, const char *node, char *buf, size_t size)
{
	int n;

	if (!dir || !dir[0] || !node || !node[0] || strchr(node, '/'))
		return -EINVAL;
	if (strlen(node) <= IPAM_HOST_LOCK_NODE_MAX)
		n = snprintf(buf, size, "%s/ipam.%s.lock", dir, node);
	else
		n = snprintf(buf, size, "%s/ipam.%016llx.lock", dir,
			     (unsigned long long)fnv1a(node));
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000L +
	       (long)(now.tv_nsec - start->tv_nsec) / 1000000L;
}

int ipam_host_lock_acquire(const char *dir, const char *node, long timeout_ms, int *fd,
			   char *err, size_t errlen)
{
	char path[4096];
	struct timespec start;
	long pause_us = 500;
	int lfd = -1, ret;

	*fd = -1;
	ret = ipam_host_lock_path(dir, node, path, sizeof(path));
	if (ret < 0) {
		snprintf(err, errlen, "IPAM lock: no usable path for dir \"%.200s\" node \"%.200s\"",
			 dir ? dir : "", node ? node : "");
		return ret;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "IPAM lock: creating directory %.300s: %s", dir, strerror(-ret));
		return ret;
	}
	lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0) {
		ret = -errno;
		snprintf(err, errlen, "IPAM lock: opening %.300s: %s", path, strerror(-ret));
		return ret;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct timespec ts;

		if (flock(lfd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			ret = -errno;
			snprintf(err, errlen, "IPAM lock: locking %.300s: %s", path, strerror(-ret));
			goto fail;
		}
		if (elapsed_ms(&start) >= timeout_ms) {
			ret = -ETIMEDOUT;
			snprintf(err, errlen,
				 "IPAM lock: %.300s still held by another twill-ipam of node %.200s "
				 "after %ld ms; retry",
				 path, node, timeout_ms);
			goto fail;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = pause_us * 1000L;
		nanosleep(&ts, NULL);
		if (pause_us < 4000)
			pause_us *= 2;
	}
	*fd = lfd;
	return 0;
fail:
	close(lfd);
	return ret;
}

void ipam_host_lock_release(int fd)
{
	if (fd < 0)
		return;
	flock(fd, LOCK_UN);
	close(fd);
}
