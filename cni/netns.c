/* netns: namespace fds and the nsfs check.
 *
 * A /run/netns/<name> entry is a bind mount of an nsfs inode; once the
 * namespace is deleted the file may remain as an empty regular file on
 * tmpfs, which setns() would reject only later with EINVAL. fstatfs tells
 * the two apart immediately. /proc/<pid>/ns/net is nsfs too. */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

int cni_netns_open(const char *path, int *fd)
{
	struct statfs st;
	int f;

	*fd = -1;
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	if (fstatfs(f, &st) < 0) {
		int ret = -errno;

		close(f);
		return ret;
	}
	if ((unsigned long)st.f_type != (unsigned long)NSFS_MAGIC) {
		close(f);
		return -EINVAL;
	}
	*fd = f;
	return 0;
}
