/* libFuzzer target: arbitrary bytes as a CNI result (what a delegated IPAM
 * plugin prints, or a runtime's prevResult). A parsed result, written in
 * every supported version, must parse again to the same counts and
 * addresses: conversion between versions loses nothing it keeps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni_result.h"
#include "cni_version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_result r, back;
	struct cni_error err;
	size_t i, j;

	cni_error_clear(&err);
	if (cni_result_parse_text((const char *)data, size, "fuzz", &r, &err) < 0) {
		if (r.n_ips || r.dns || !err.msg[0])
			__builtin_trap();
		return 0;
	}
	for (i = 0; cni_supported_versions[i]; i++) {
		json_object *o = cni_result_to_json(&r, cni_supported_versions[i]);

		if (!o)
			continue; /* allocation failure */
		cni_error_clear(&err);
		if (cni_result_parse(o, "again", &back, &err) < 0)
			__builtin_trap();
		if (back.n_interfaces != r.n_interfaces || back.n_ips != r.n_ips ||
		    back.n_routes != r.n_routes)
			__builtin_trap();
		for (j = 0; j < r.n_ips; j++)
			if (!ip_equal(&back.ips[j].address.addr, &r.ips[j].address.addr) ||
			    back.ips[j].interface != r.ips[j].interface)
				__builtin_trap();
		cni_result_free(&back);
		json_object_put(o);
	}
	cni_result_free(&r);
	return 0;
}
