/* resources: a static table. Short names are prefixed "tw" so they never
 * shadow Calico's (ippool/ipp) when both CRD sets are installed. */
#include "model/resources.h"

#include <stdio.h>
#include <strings.h>

static const struct model_resource resources[] = {
	{ "twill.dev", "v1", "ippools", "IPPool", false, "ippool", "twpool" },
	{ "twill.dev", "v1", "bgpconfigurations", "BGPConfiguration", false,
	  "bgpconfiguration", "twbgpconfig" },
	{ "twill.dev", "v1", "bgppeers", "BGPPeer", false, "bgppeer", "twpeer" },
	{ "twill.dev", "v1", "felixconfigurations", "FelixConfiguration", false,
	  "felixconfiguration", "twfelixconfig" },
	{ "twill.dev", "v1", "ipamblocks", "IPAMBlock", false, "ipamblock", "twblock" },
	{ "twill.dev", "v1", "blockaffinities", "BlockAffinity", false,
	  "blockaffinity", "twaffinity" },
	{ "twill.dev", "v1", "ipamhandles", "IPAMHandle", false, "ipamhandle",
	  "twhandle" },
	{ "twill.dev", "v1", "ipamconfigs", "IPAMConfig", false, "ipamconfig",
	  "twipamconfig" },
	{ "", "v1", "nodes", "Node", false, "node", "no" },
	{ "", "v1", "pods", "Pod", true, "pod", "po" },
	{ "", "v1", "namespaces", "Namespace", false, "namespace", "ns" },
	{ "", "v1", "secrets", "Secret", true, "secret", NULL },
	{ "networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true,
	  "networkpolicy", "netpol" },
	{ "coordination.k8s.io", "v1", "leases", "Lease", true, "lease", NULL },
};

#define RESOURCE_COUNT (sizeof(resources) / sizeof(resources[0]))

const struct model_resource *model_resources(size_t *n)
{
	*n = RESOURCE_COUNT;
	return resources;
}

const struct model_resource *model_resource_by_kind(const char *kind)
{
	size_t i;

	if (!kind)
		return NULL;
	for (i = 0; i < RESOURCE_COUNT; i++)
		if (strcasecmp(resources[i].kind, kind) == 0)
			return &resources[i];
	return NULL;
}

const struct model_resource *model_resource_by_plural(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < RESOURCE_COUNT; i++) {
		const struct model_resource *r = &resources[i];

		if (strcasecmp(r->plural, name) == 0 ||
		    strcasecmp(r->singular, name) == 0 ||
		    strcasecmp(r->kind, name) == 0 ||
		    (r->short_name && strcasecmp(r->short_name, name) == 0))
			return r;
	}
	return NULL;
}

const char *model_resource_api_version(const struct model_resource *r,
				       char *buf, size_t size)
{
	if (r->group[0])
		snprintf(buf, size, "%s/%s", r->group, r->version);
	else
		snprintf(buf, size, "%s", r->version);
	return buf;
}
