/* api_cache: the IPAM server worker's Kubernetes client, kept from one
 * request to the next.
 *
 * Contract: ipam_api_cache_client() returns a client for cfg with the given
 * timeouts. It is the client of the previous call (its timeouts set to
 * these) when cfg equals (every field, kube_config_equal) the config that
 * client was built from and none of the files it names (CA, token, client
 * certificate and key) changed since -- same device, inode, size and mtime,
 * or still missing; otherwise the old client is freed and a new one built.
 * (The server's two operations use different timeouts on one client.)
 * The kept client's kept-alive connection then carries the next request, so
 * a worker does one TCP and TLS handshake per connection instead of one per
 * CNI request; a rotated token or certificate is picked up by the first
 * request after the file changed, as in a fresh plugin process. The cache
 * owns the client (the caller never frees it) until ipam_api_cache_clear().
 * Returns 0, or the negative errno of kube_client_new_timeouts() /
 * -ENOMEM (cache then empty). One thread. */
#ifndef TWILL_IPAM_API_CACHE_H
#define TWILL_IPAM_API_CACHE_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "kube_client.h"
#include "kubeconfig.h"

#define IPAM_API_CACHE_FILES 4

struct ipam_api_file_id {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct ipam_api_cache {
	struct kube_client *client; /* NULL: empty */
	struct kube_config cfg;
	struct ipam_api_file_id files[IPAM_API_CACHE_FILES];
	unsigned long built, reused; /* counters, for logs and tests */
};

int ipam_api_cache_client(struct ipam_api_cache *cache, const struct kube_config *cfg,
			  long connect_ms, long total_ms, struct kube_client **out);
void ipam_api_cache_clear(struct ipam_api_cache *cache);

#endif
