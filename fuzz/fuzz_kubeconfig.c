/* libFuzzer target: arbitrary bytes as kubeconfig text. The parser must
 * never crash, leak or read out of bounds; on success the config invariants
 * (server set, exactly one CA source) must hold, and on failure nothing may
 * be left allocated in the result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kube_config cfg;
	char err[512];
	int rc;

	rc = kube_config_parse((const char *)data, size, "/fuzz", "fuzz", &cfg, err, sizeof(err));
	if (rc == 0) {
		if (!cfg.server || strncmp(cfg.server, "https://", 8) != 0)
			__builtin_trap();
		if (!cfg.ca_file == !cfg.ca_data)
			__builtin_trap();
		if (!cfg.namespace)
			__builtin_trap();
	} else if (cfg.server || cfg.token || cfg.ca_data || !memchr(err, '\0', sizeof(err))) {
		__builtin_trap();
	}
	kube_config_free(&cfg);
	return 0;
}
