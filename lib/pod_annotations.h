/* pod_annotations: the CNI plugin's record of a pod's network identity on
 * its Pod object, as one JSON merge patch of metadata.annotations.
 *
 * A merge patch (not a read-modify-write) touches only the keys it names,
 * so it cannot race with other writers of the Pod and needs no retry loop.
 *
 * Contract:
 * - pod_annotations_set() builds {"twill.dev/podIP": first address,
 *   "twill.dev/podIPs": all addresses comma separated,
 *   "twill.dev/containerID": container_id}; pod_annotations_clear() the
 *   same keys set to null (merge-patch delete). Both return the object
 *   (caller owns it) or NULL when out of memory.
 * - pod_annotations_patch() merge-patches Pod <ns>/<name>'s annotations
 *   with annotations (borrowed). 0, or the CNI error code with err set:
 *   API unreachable, timeouts, conflicts -> 11 (try again later); Pod not
 *   found, forbidden, anything else -> 999 with the API's message; the msg
 *   names the Pod. Used by twill-cni directly and by the node-local server
 *   on its behalf, so both answer with the same error. */
#ifndef TWILL_POD_ANNOTATIONS_H
#define TWILL_POD_ANNOTATIONS_H

#include <json-c/json.h>

#include "cni_error.h"
#include "kube_client.h"

json_object *pod_annotations_set(const char *pod_ip, const char *pod_ips,
				 const char *container_id);
json_object *pod_annotations_clear(void);
int pod_annotations_patch(struct kube_client *c, const char *ns, const char *name,
			  json_object *annotations, struct cni_error *err);

#endif
