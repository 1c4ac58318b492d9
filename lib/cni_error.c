/* cni_error: the error object every twill-cni failure ends up as.
 *
 * "First error wins" keeps the message useful: when an ADD fails, rollback
 * steps may fail too (the veth is already gone, the IPAM plugin is missing),
 * and those must not overwrite the cause the runtime should show the user.
 * Messages are truncated rather than rejected: an error path must never fail. */
#include "cni_error.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cni_error_clear(struct cni_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

bool cni_error_is_set(const struct cni_error *err)
{
	return err && err->code != 0;
}

__attribute__((format(printf, 4, 0)))
static int error_vset(struct cni_error *err, int code, const char *details, const char *fmt,
		      va_list ap)
{
	if (!err || err->code != 0)
		return code;
	err->code = code ? code : CNI_ERR_INTERNAL;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	snprintf(err->details, sizeof(err->details), "%s", details ? details : "");
	return code;
}

int cni_error_set(struct cni_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int cni_error_set_details(struct cni_error *err, int code, const char *details, const char *fmt,
			  ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, code, details, fmt, ap);
	va_end(ap);
	return code;
}

const char *cni_error_code_name(int code)
{
	switch (code) {
	case CNI_OK: return "ok";
	case CNI_ERR_INCOMPATIBLE_VERSION: return "incompatible CNI version";
	case CNI_ERR_UNSUPPORTED_FIELD: return "unsupported field in network configuration";
	case CNI_ERR_UNKNOWN_CONTAINER: return "container unknown or does not exist";
	case CNI_ERR_INVALID_CONFIG: return "invalid network configuration";
	case CNI_ERR_IO: return "I/O failure";
	case CNI_ERR_DECODE: return "failed to decode content";
	case CNI_ERR_INVALID_ENV: return "invalid environment variables";
	case CNI_ERR_TRY_AGAIN: return "try again later";
	case CNI_ERR_NOT_AVAILABLE: return "plugin not available";
	case CNI_ERR_NOT_AVAILABLE_LIMITED: return "plugin not available, connectivity limited";
	default: return "internal error";
	}
}

char *cni_error_json(const struct cni_error *err, const char *cni_version)
{
	json_object *obj = json_object_new_object();
	char *text = NULL;
	int code = err && err->code ? err->code : CNI_ERR_INTERNAL;
	const char *msg = err && err->msg[0] ? err->msg : cni_error_code_name(code);

	if (!obj)
		return NULL;
	if (json_object_object_add(obj, "cniVersion",
				   json_object_new_string(cni_version ? cni_version : "1.1.0")) ||
	    json_object_object_add(obj, "code", json_object_new_int(code)) ||
	    json_object_object_add(obj, "msg", json_object_new_string(msg)))
		goto out;
	if (err && err->details[0] &&
	    json_object_object_add(obj, "details", json_object_new_string(err->details)))
		goto out;
	text = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
out:
	json_object_put(obj);
	return text;
}
