/* engine_state: what the engine reads — pools, IPAMConfig, the node's labels and
 * the IPAMBlocks — plus the small helpers all engine files share.
 *
 * Blocks are read two ways: every block (a claim, a borrow or an
 * exhaustion message needs the whole picture), or only the node's own,
 * selected by the IPAM_BLOCK_NODE_LABEL the claim put on them. The second
 * is the steady state: its answer is a subset, never a different truth, and
 * every write is a CAS anyway, so a list that is stale by the time we write
 * costs a retry, never a duplicate.
 *
 * Invalid pools are skipped with a warning (an operator's typo must not stop
 * allocation from the valid pools); a block that cannot be trusted is still
 * loaded when its cidr is readable, because its range is occupied whatever
 * its content, and the planner treats it as full. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "block_alloc.h"
#include "engine_internal.h"
#include "handle.h"
#include "log.h"
#include "model/blockaffinity.h"
#include "model/ipamblock.h"
#include "model/ipamconfig.h"
#include "model/ipamhandle.h"
#include "model/ippool.h"
#include "model/node.h"
#include "plan.h"
#include "pool_select.h"

const struct kube_resource ipam_res_blocks = { "twill.dev", "v1", "ipamblocks", false };
const struct kube_resource ipam_res_affinities = { "twill.dev", "v1", "blockaffinities", false };
const struct kube_resource ipam_res_handles = { "twill.dev", "v1", "ipamhandles", false };
const struct kube_resource ipam_res_pools = { "twill.dev", "v1", "ippools", false };
const struct kube_resource ipam_res_configs = { "twill.dev", "v1", "ipamconfigs", false };
const struct kube_resource ipam_res_nodes = { "", "v1", "nodes", false };

void ipam_set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

int ipam_replace_spec(json_object *obj, json_object *fresh)
{
	json_object *spec;

	if (!fresh)
		return -ENOMEM;
	if (!json_object_object_get_ex(fresh, "spec", &spec)) {
		json_object_put(fresh);
		return -EINVAL;
	}
	json_object_object_add(obj, "spec", json_object_get(spec));
	json_object_put(fresh);
	return 0;
}

void ipam_cluster_free(struct cluster *c)
{
	size_t i;

	for (i = 0; i < c->pool_count; i++)
		ippool_free(&c->pools[i]);
	free(c->pools);
	for (i = 0; i < c->block_count; i++)
		ipamblock_free(&c->blocks[i]);
	free(c->blocks);
	free(c->block_json);
	json_object_put(c->block_list);
	ipamconfig_free(&c->config);
	labels_free(&c->node_labels);
	memset(c, 0, sizeof(*c));
}

static int list_items(struct ipam_engine *e, const struct kube_resource *res,
		      const char *label_selector, json_object **list, json_object **items,
		      size_t *n, char *err, size_t errlen)
{
	struct kube_list_opts opts = { .label_selector = label_selector };
	struct kube_error kerr = { 0 };
	int ret;

	ret = kube_list(e->client, res, NULL, &opts, list, &kerr);
	if (ret < 0) {
		ipam_set_err(err, errlen, "listing %s: %s", res->plural, kerr.message);
		return ret;
	}
	if (!json_object_object_get_ex(*list, "items", items) ||
	    !json_object_is_type(*items, json_type_array)) {
		*n = 0;
		return 0;
	}
	*n = json_object_array_length(*items);
	return 0;
}

bool ipam_node_label_ok(const char *node)
{
	size_t len = node ? strlen(node) : 0, i;

	if (len == 0 || len > 63 || !isalnum((unsigned char)node[0]) ||
	    !isalnum((unsigned char)node[len - 1]))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)node[i];

		if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.')
			return false;
	}
	return true;
}

const char *ipam_timestamp_now(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%s", "");
	return buf;
}

static int load_blocks(struct ipam_engine *e, struct cluster *c, const char *selector,
		       char *err, size_t errlen)
{
	json_object *list = NULL, *items;
	size_t n, i;
	int ret;

	for (i = 0; i < c->block_count; i++)
		ipamblock_free(&c->blocks[i]);
	free(c->blocks);
	free(c->block_json);
	json_object_put(c->block_list);
	c->blocks = NULL;
	c->block_json = NULL;
	c->block_list = NULL;
	c->block_count = 0;
	ret = list_items(e, &ipam_res_blocks, selector, &list, &items, &n, err, errlen);
	if (ret < 0)
		return ret;
	c->blocks = calloc(n + 1, sizeof(*c->blocks));
	c->block_json = calloc(n + 1, sizeof(*c->block_json));
	if (!c->blocks || !c->block_json) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct model_errors errs = MODEL_ERRORS_INIT;
		struct ipamblock *b = &c->blocks[c->block_count];

		c->block_json[c->block_count] = json_object_array_get_idx(items, i);
		ret = ipamblock_from_json(c->block_json[c->block_count], b, &errs);
		model_errors_free(&errs);
		if (ret == -ENOMEM)
			goto out;
		/* Keep even an inconsistent block: its cidr is occupied, and
		 * plan sees it as full (free = 0) so nobody writes into it. */
		if (ret < 0 || !b->cidr) {
			ipamblock_free(b);
			continue;
		}
		c->block_count++;
	}
	ret = 0;
	c->block_list = list;
	list = NULL;
out:
	json_object_put(list);
	return ret;
}

int ipam_load_blocks(struct ipam_engine *e, struct cluster *c, char *err, size_t errlen)
{
	c->blocks_partial = false;
	return load_blocks(e, c, NULL, err, errlen);
}

int ipam_load_node_blocks(struct ipam_engine *e, const char *node, struct cluster *c,
			  char *err, size_t errlen)
{
	char selector[128];

	if (!ipam_node_label_ok(node))
		return ipam_load_blocks(e, c, err, errlen);
	snprintf(selector, sizeof(selector), "%s=%s", IPAM_BLOCK_NODE_LABEL, node);
	c->blocks_partial = true;
	return load_blocks(e, c, selector, err, errlen);
}

int ipam_load_pools(struct ipam_engine *e, struct cluster *c, char *err, size_t errlen)
{
	json_object *list = NULL, *items;
	size_t n, i;
	int ret;

	ret = list_items(e, &ipam_res_pools, NULL, &list, &items, &n, err, errlen);
	if (ret < 0)
		return ret;
	c->pools = calloc(n + 1, sizeof(*c->pools));
	if (!c->pools) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct model_errors errs = MODEL_ERRORS_INIT;
		struct ippool *p = &c->pools[c->pool_count];

		ret = ippool_from_json(json_object_array_get_idx(items, i), p, &errs);
		if (ret == 0 && !model_errors_failed(&errs))
			ippool_validate(p, &errs);
		if (ret == -ENOMEM) {
			model_errors_free(&errs);
			goto out;
		}
		if (ret < 0 || model_errors_failed(&errs)) {
			char msg[256] = "";

			if (model_errors_count(&errs))
				model_errors_format(&errs, 0, msg, sizeof(msg));
			log_warn("event=ipam_pool_ignored reason=invalid detail=\"%s\"", msg);
			ippool_free(p);
			model_errors_free(&errs);
			continue;
		}
		model_errors_free(&errs);
		c->pool_count++;
	}
	ret = 0;
out:
	json_object_put(list);
	return ret;
}

int ipam_load_config(struct ipam_engine *e, struct cluster *c, char *err, size_t errlen)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct kube_error kerr = { 0 };
	json_object *obj = NULL;
	int ret;

	ipamconfig_free(&c->config);
	ipamconfig_init(&c->config);
	c->config_loaded = true;
	ret = kube_get(e->client, &ipam_res_configs, NULL, "default", &obj, &kerr);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0) {
		ipam_set_err(err, errlen, "reading IPAMConfig default: %s", kerr.message);
		return ret;
	}
	ipamconfig_free(&c->config);
	ret = ipamconfig_from_json(obj, &c->config, &errs);
	json_object_put(obj);
	if (ret < 0 || model_errors_failed(&errs)) {
		char msg[256] = "";

		if (model_errors_count(&errs))
			model_errors_format(&errs, 0, msg, sizeof(msg));
		ipam_set_err(err, errlen, "IPAMConfig default is invalid: %s", msg);
		model_errors_free(&errs);
		ipamconfig_free(&c->config);
		ipamconfig_init(&c->config);
		return ret < 0 ? ret : -EINVAL;
	}
	model_errors_free(&errs);
	return 0;
}

int ipam_load_node_labels(struct ipam_engine *e, const char *node, struct cluster *c,
			    char *err, size_t errlen)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct kube_error kerr = { 0 };
	json_object *obj = NULL;
	struct node parsed;
	int ret;

	ret = kube_get(e->client, &ipam_res_nodes, NULL, node, &obj, &kerr);
	if (ret == -ENOENT) {
		/* Allocation for a node the API does not know (yet): only
		 * selectors that match empty labels (all()) apply. */
		log_warn("event=ipam_node_unknown node=%s", node);
		return 0;
	}
	if (ret < 0) {
		ipam_set_err(err, errlen, "reading Node %s: %s", node, kerr.message);
		return ret;
	}
	ret = node_from_json(obj, &parsed, &errs);
	json_object_put(obj);
	model_errors_free(&errs);
	if (ret < 0) {
		ipam_set_err(err, errlen, "Node %s could not be read", node);
		return ret;
	}
	ret = labels_copy(&c->node_labels, &parsed.meta.labels);
	node_free(&parsed);
	return ret;
}
int ipam_parse_block(json_object *obj, struct ipamblock *b)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	int ret = ipamblock_from_json(obj, b, &errs);

	model_errors_free(&errs);
	return ret;
}

const char *ipam_block_name_of(const char *cidr, char *buf, size_t size)
{
	if (ipamblock_name_for_cidr(cidr, buf, size) < 0)
		buf[0] = '\0';
	return buf;
}
