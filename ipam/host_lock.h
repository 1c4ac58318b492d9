/* host_lock: serialise a node's IPAM writes on one host with a file lock.
 *
 * Steady-state allocation is node-local: every ADD and DEL of a node writes
 * the same affine block, so concurrent plugin processes of one node would
 * only collide on its resourceVersion (409, re-read, retry). Holding an
 * exclusive flock(2) on <dir>/ipam.<node>.lock around the allocation turns
 * those collisions into a short queue. The lock is an optimisation, never
 * the arbiter: every write still is a create or a resourceVersion CAS, so
 * another host, a process that does not take the lock or a lock that was
 * broken cannot produce a duplicate. The kernel drops the lock when its
 * holder exits, including by SIGKILL, so a crash never leaves it held.
 *
 * Contract:
 * - ipam_host_lock_path(): the lock file of node under dir; node names
 *   longer than IPAM_HOST_LOCK_NODE_MAX are replaced by a hash so the file
 *   name fits NAME_MAX. 0, -EINVAL (empty dir or node), -ENAMETOOLONG.
 * - ipam_host_lock_acquire(): creates dir (one level, mode 0755) and the
 *   file (0600) when missing, then waits at most timeout_ms for the lock.
 *   0 with *fd set (>= 0); -ETIMEDOUT when another holder kept it that
 *   long; -errno from mkdir/open/flock. err gets one line naming the file.
 * - ipam_host_lock_release(): unlock and close; fd < 0 is a no-op. */
#ifndef TWILL_IPAM_HOST_LOCK_H
#define TWILL_IPAM_HOST_LOCK_H

#include <stddef.h>

#define IPAM_HOST_LOCK_DIR "/var/run/twill"
#define IPAM_HOST_LOCK_NODE_MAX 200

int ipam_host_lock_path(const char *dir, const char *node, char *buf, size_t size);
int ipam_host_lock_acquire(const char *dir, const char *node, long timeout_ms, int *fd,
			   char *err, size_t errlen);
void ipam_host_lock_release(int fd);

#endif
