/* api_cache: see api_cache.h. The files are identified by stat() (not
 * read): a rotated Secret/projected volume replaces the file (new inode) or
 * rewrites it (new size/mtime), and either shows. */
#include "api_cache.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

static void file_ids(const struct kube_config *cfg, struct ipam_api_file_id ids[])
{
	const char *paths[IPAM_API_CACHE_FILES] = { cfg->ca_file, cfg->token_file,
						    cfg->client_cert_file, cfg->client_key_file };
	struct stat st;
	size_t i;

	memset(ids, 0, sizeof(ids[0]) * IPAM_API_CACHE_FILES);
	for (i = 0; i < IPAM_API_CACHE_FILES; i++) {
		if (!paths[i] || stat(paths[i], &st) < 0)
			continue;
		ids[i].exists = true;
		ids[i].dev = st.st_dev;
		ids[i].ino = st.st_ino;
		ids[i].size = st.st_size;
		ids[i].mtime = st.st_mtim;
	}
}

static bool same_files(const struct ipam_api_file_id *a, const struct ipam_api_file_id *b)
{
	size_t i;

	for (i = 0; i < IPAM_API_CACHE_FILES; i++) {
		if (a[i].exists != b[i].exists)
			return false;
		if (a[i].exists && (a[i].dev != b[i].dev || a[i].ino != b[i].ino ||
				    a[i].size != b[i].size ||
				    a[i].mtime.tv_sec != b[i].mtime.tv_sec ||
				    a[i].mtime.tv_nsec != b[i].mtime.tv_nsec))
			return false;
	}
	return true;
}

void ipam_api_cache_clear(struct ipam_api_cache *cache)
{
	kube_client_free(cache->client);
	cache->client = NULL;
	kube_config_free(&cache->cfg);
	memset(cache->files, 0, sizeof(cache->files));
}

int ipam_api_cache_client(struct ipam_api_cache *cache, const struct kube_config *cfg,
			  long connect_ms, long total_ms, struct kube_client **out)
{
	struct ipam_api_file_id ids[IPAM_API_CACHE_FILES];
	int rc;

	*out = NULL;
	file_ids(cfg, ids);
	if (cache->client && kube_config_equal(&cache->cfg, cfg) && same_files(cache->files, ids)) {
		kube_client_set_timeouts(cache->client, connect_ms, total_ms);
		cache->reused++;
		*out = cache->client;
		return 0;
	}
	if (cache->client)
		log_info("event=api_client_rebuilt server=%s reason=config_or_files_changed",
			 cfg->server ? cfg->server : "");
	ipam_api_cache_clear(cache);
	if ((rc = kube_config_dup(cfg, &cache->cfg)) < 0)
		return rc;
	if ((rc = kube_client_new_timeouts(cfg, connect_ms, total_ms, &cache->client)) < 0) {
		ipam_api_cache_clear(cache);
		return rc;
	}
	memcpy(cache->files, ids, sizeof(ids));
	cache->built++;
	*out = cache->client;
	return 0;
}
