/* libFuzzer target: arbitrary bytes as a CNI network configuration (what
 * twill-cni reads from stdin), and as CNI_ARGS text. Parsing must never
 * crash, leak or read out of bounds. On success the config invariants hold
 * (supported cniVersion, non-empty name/type, ipam.type a plain name, mtu 0
 * or 68..65535); on failure the error is one of the codes the parser may
 * give (1, 6, 7) with a message, and nothing is left allocated. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni_config.h"
#include "cni_env.h"
#include "cni_version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_net_config cfg;
	struct cni_k8s_args args = { 0 };
	struct cni_error err;
	char *text;
	int rc;

	cni_error_clear(&err);
	rc = cni_config_parse((const char *)data, size, &cfg, &err);
	if (rc == 0) {
		if (!cni_version_supported(cfg.cni_version) || !cfg.name || !*cfg.name ||
		    !cfg.type || !*cfg.type || !cfg.ipam_type || strchr(cfg.ipam_type, '/'))
			__builtin_trap();
		if (cfg.mtu != 0 && (cfg.mtu < 68 || cfg.mtu > 65535))
			__builtin_trap();
		text = cni_config_with_version(&cfg, "1.0.0");
		free(text);
	} else if (rc == -EINVAL) {
		if (cfg.root || (err.code != 1 && err.code != 6 && err.code != 7) || !err.msg[0])
			__builtin_trap();
	}
	cni_config_free(&cfg);

	/* the same bytes as CNI_ARGS (NUL-terminated copy) */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cni_error_clear(&err);
	rc = cni_args_parse(text, &args, &err);
	if (rc == -EINVAL && (err.code != CNI_ERR_INVALID_ENV || args.pod_name))
		__builtin_trap();
	cni_k8s_args_free(&args);
	free(text);
	return 0;
}
