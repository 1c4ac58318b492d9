/* cni_names: names twill-cni gives to things on the host.
 *
 * Contract:
 *  - cni_host_veth_name(): "tw" + the first 11 lowercase hex characters of
 *    sha1("<namespace>.<pod>") = 13 characters, within IFNAMSIZ-1 (15). When
 *    the runtime gave no pod identity (no K8S_POD_NAMESPACE/K8S_POD_NAME)
 *    the key is the container ID instead, so non-Kubernetes runtimes still
 *    get a stable, unique name. Felix derives the same name from the Pod, so
 *    both sides agree without talking.
 *  - cni_ifname_valid(): the kernel's rules for an interface name: 1..15
 *    bytes, not "." or "..", no '/', ':' or whitespace. Returns NULL when
 *    valid, else a static reason for an error message.
 *  - cni_sha1(): plain SHA-1 (FIPS 180-4) for the name hash; not for security. */
#ifndef TWILL_CNI_NAMES_H
#define TWILL_CNI_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define CNI_VETH_PREFIX "tw"
#define CNI_IFNAME_MAX 15
#define CNI_HOST_VETH_NAME_LEN 13

void cni_sha1(const void *data, size_t len, uint8_t digest[20]);

/* out must hold CNI_IFNAME_MAX + 1 bytes. pod_namespace/pod_name may be NULL
 * (then container_id is hashed). 0, or -EINVAL when there is no key at all. */
int cni_host_veth_name(const char *pod_namespace, const char *pod_name,
		       const char *container_id, char out[CNI_IFNAME_MAX + 1]);

const char *cni_ifname_valid(const char *name);

#endif
