/* netns: open a network namespace named by path (CNI_NETNS).
 *
 * Contract: cni_netns_open() returns an O_CLOEXEC fd on a network namespace, or
 * -ENOENT (no such path), -EINVAL (the path exists but is not a namespace
 * file, e.g. a plain file or an unmounted /run/netns entry), -errno else.
 * Checking the filesystem type up front turns "CNI_NETNS points at junk"
 * into a clear error 4 before anything is allocated. */
#ifndef TWILL_CNI_NETNS_H
#define TWILL_CNI_NETNS_H

int cni_netns_open(const char *path, int *fd);

#endif
