/* gc_exec: carry out one garbage-collection action (ipam/gc.h) against the
 * API — the writes behind `twillctl ipam gc` and twill-controllers.
 *
 * Contract, per action kind:
 *   RELEASE_HANDLE   ipam_release_handle(): frees every address the handle
 *                    holds, then deletes the IPAMHandle (an unknown handle is
 *                    success). Emptied blocks are released by the engine.
 *   RELEASE_IP       ipam_release_ip() with the recorded handle as
 *                    precondition; an address that changed hands meanwhile
 *                    (-EPERM) is not a leak and counts as success.
 *   DELETE_AFFINITY  delete of the BlockAffinity conditioned on the
 *   DELETE_BLOCK     resourceVersion in the action (when set); already gone
 *                    is success, a changed version is -EAGAIN.
 *   UNAFFINE_BLOCK   compare-and-swap update of the IPAMBlock removing
 *                    spec.affinity, only while it still says host:<node>.
 * *changed says whether the call wrote something (false for "nothing left to
 * do"). Returns 0 or -errno with a one-line message in err. */
#ifndef TWILL_IPAM_GC_EXEC_H
#define TWILL_IPAM_GC_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "gc.h"
#include "kube_client.h"

int ipam_gc_exec(struct kube_client *client, struct ipam_engine *engine,
		 const struct ipam_gc_action *action, bool *changed, char *err, size_t errlen);

#endif
