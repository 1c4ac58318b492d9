/* libFuzzer target: arbitrary bytes as the network configuration twill-ipam
 * reads (its "ipam" section), and as a Pod/Namespace whose annotations
 * request pools. Parsing must never crash, leak or read out of bounds. On
 * success the documented invariants hold (timeout 1..300, at least one
 * family assigned, pool lists NULL-terminated with the counted length); on
 * -EINVAL the error is CNI code 7 with a message, and nothing is left
 * allocated. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "plugin_config.h"

static void check_list(char **v, size_t n)
{
	size_t i;

	if (!v) {
		if (n != 0)
			__builtin_trap();
		return;
	}
	for (i = 0; i < n; i++)
		if (!v[i])
			__builtin_trap();
	if (v[n])
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct ipam_plugin_config cfg;
	struct cni_error err;
	json_object *root;
	char **v4 = NULL, **v6 = NULL;
	size_t n4 = 0, n6 = 0;
	int rc;

	if (!tok)
		return 0;
	root = json_tokener_parse_ex(tok, (const char *)data, (int)(size > INT32_MAX ? INT32_MAX : size));
	json_tokener_free(tok);
	if (!root)
		return 0;

	cni_error_clear(&err);
	rc = ipam_plugin_config_parse(root, &cfg, &err);
	if (rc == 0) {
		if (cfg.timeout_seconds < 1 || cfg.timeout_seconds > 300)
			__builtin_trap();
		if (!cfg.assign_ipv4 && !cfg.assign_ipv6)
			__builtin_trap();
		check_list(cfg.pools_v4, cfg.pools_v4_count);
		check_list(cfg.pools_v6, cfg.pools_v6_count);
	} else if (rc == -EINVAL && (err.code != 7 || !err.msg[0])) {
		__builtin_trap();
	}
	ipam_plugin_config_free(&cfg);

	/* the same object as a Pod and as its Namespace */
	cni_error_clear(&err);
	rc = ipam_plugin_pools_from_annotations(root, root, &v4, &n4, &v6, &n6, &err);
	if (rc == 0) {
		check_list(v4, n4);
		check_list(v6, n6);
	} else if (rc == -EINVAL && !err.msg[0]) {
		__builtin_trap();
	}
	ipam_plugin_pools_free(v4, n4);
	ipam_plugin_pools_free(v6, n6);
	json_object_put(root);
	return 0;
}
