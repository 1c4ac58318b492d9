/* unix_sock: addressing and connecting to a Unix stream socket by path.
 *
 * Contract:
 * - unix_sock_addr(): fills addr for path. 0, or -ENAMETOOLONG when the
 *   path does not fit sun_path (107 bytes and the NUL).
 * - unix_sock_connect(): a SOCK_CLOEXEC stream socket connected to path;
 *   with timeout_s > 0 its receive and send timeouts are set first (so a
 *   connect to a listener whose backlog is full gives up too). 0 with *fd,
 *   or -errno (-ENAMETOOLONG as above; -ENOENT / -ECONNREFUSED when nobody
 *   listens). */
#ifndef TWILL_UNIX_SOCK_H
#define TWILL_UNIX_SOCK_H

#include <sys/un.h>

int unix_sock_addr(const char *path, struct sockaddr_un *addr);
int unix_sock_connect(const char *path, unsigned timeout_s, int *fd);

#endif
