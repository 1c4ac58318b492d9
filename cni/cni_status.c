/* cni_status: STATUS and GC (CNI 1.1.0).
 *
 * twill-cni keeps no state of its own between invocations: every veth dies
 * with its pod netns, so GC has nothing of ours to collect and STATUS is
 * "ready" as long as the IPAM plugin can be run. Both are delegated to the
 * IPAM plugin when it speaks 1.1.0; an older IPAM plugin (host-local of the
 * 1.0 era) does not know these verbs, so for it presence in CNI_PATH is all
 * that can be checked and GC is a no-op. */
#include <errno.h>
#include <string.h>

#include "cni_plugin.h"
#include "cni_version.h"
#include "ipam_exec.h"
#include "log.h"

static int require_110(const struct cni_plugin *p, const char *verb, struct cni_error *err)
{
	if (cni_version_has_gc_status(p->cfg.cni_version))
		return 0;
	return cni_error_set(err, CNI_ERR_INCOMPATIBLE_VERSION,
			     "cniVersion: %s does not support %s (needs 1.1.0)", p->cfg.cni_version,
			     verb);
}

static int delegate(struct cni_plugin *p, enum cni_command cmd, int missing_code,
		    struct cni_error *err)
{
	struct cni_result none;
	bool speaks = false;
	int ret;

	ret = cni_ipam_supports(p, "1.1.0", &speaks);
	if (ret == -ENOENT)
		return cni_error_set(err, missing_code,
				     "ipam.type: plugin \"%s\" not found in CNI_PATH (%s)",
				     p->cfg.ipam_type, p->env.path);
	if (ret < 0)
		return cni_error_set(err, missing_code, "ipam plugin %s: %s", p->cfg.ipam_type,
				     strerror(-ret));
	if (!speaks) {
		log_debug("event=%s_not_delegated plugin=%s reason=no_1.1.0",
			  cni_command_name(cmd), p->cfg.ipam_type);
		return 0;
	}
	ret = cni_ipam_exec(p, cmd, &none, err);
	cni_result_free(&none);
	return ret;
}

int cni_cmd_status(struct cni_plugin *p, struct cni_error *err)
{
	int ret = require_110(p, "STATUS", err);

	return ret ? ret : delegate(p, CNI_CMD_STATUS, CNI_ERR_NOT_AVAILABLE, err);
}

int cni_cmd_gc(struct cni_plugin *p, struct cni_error *err)
{
	int ret = require_110(p, "GC", err);

	return ret ? ret : delegate(p, CNI_CMD_GC, CNI_ERR_INVALID_CONFIG, err);
}
