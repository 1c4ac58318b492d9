/* kube_status: the API server answers errors with a metav1.Status object
 * ({"kind":"Status","code":409,"reason":"Conflict","message":"..."}), but
 * proxies and load balancers in between may answer with HTML or nothing, so
 * the HTTP code is authoritative and the Status only refines it (409 is the
 * one code whose meaning depends on the reason). Messages are built once here
 * so every caller reports the same readable line. */
#include "kube_status.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

int kube_status_to_errno(int http_code, const char *reason)
{
	switch (http_code) {
	case 400:
		return -EINVAL;
	case 401:
		return -EACCES;
	case 403:
		return -EPERM;
	case 404:
		return -ENOENT;
	case 405:
		return -EOPNOTSUPP;
	case 409:
		if (reason && strcmp(reason, "AlreadyExists") == 0)
			return -EEXIST;
		return -EAGAIN;
	case 410:
		return -ESTALE;
	case 413:
		return -EMSGSIZE;
	case 429:
	case 503:
		return -EBUSY;
	case 504:
		return -ETIMEDOUT;
	default:
		if (http_code >= 400 && http_code < 500)
			return -EINVAL;
		return -EIO;
	}
}

static const char *kube_status_default_reason(int http_code)
{
	switch (http_code) {
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "RequestEntityTooLarge";
	case 415: return "UnsupportedMediaType";
	case 422: return "Invalid";
	case 429: return "TooManyRequests";
	case 500: return "InternalError";
	case 503: return "ServiceUnavailable";
	case 504: return "Timeout";
	default: return "Unknown";
	}
}

static const char *kube_status_hint(int http_code)
{
	if (http_code == 401)
		return " (no valid credentials: check the kubeconfig's user token or client certificate)";
	if (http_code == 403)
		return " (authenticated but not allowed: check the service account's RBAC rules)";
	return "";
}

int kube_status_parse(const char *method, const char *path, int http_code,
		      const char *body, size_t body_len, struct kube_error *err)
{
	struct json_tokener *tok = NULL;
	json_object *status = NULL, *field;
	const char *reason = NULL, *message = NULL;
	int rc;

	if (body && body_len > 0) {
		tok = json_tokener_new();
		if (tok && body_len <= (size_t)INT32_MAX)
			status = json_tokener_parse_ex(tok, body, (int)body_len);
		if (status && !json_object_is_type(status, json_type_object)) {
			json_object_put(status);
			status = NULL;
		}
	}
	if (status) {
		if (json_object_object_get_ex(status, "reason", &field) &&
		    json_object_is_type(field, json_type_string) && json_object_get_string_len(field))
			reason = json_object_get_string(field);
		if (json_object_object_get_ex(status, "message", &field) &&
		    json_object_is_type(field, json_type_string))
			message = json_object_get_string(field);
	}
	if (!reason)
		reason = kube_status_default_reason(http_code);
	rc = kube_status_to_errno(http_code, reason);
	if (err) {
		err->code = http_code;
		snprintf(err->reason, sizeof(err->reason), "%s", reason);
		snprintf(err->message, sizeof(err->message), "%s %s: %d %s: %s%s",
			 method ? method : "?", path ? path : "?", http_code, reason,
			 message && *message ? message : "(no message)", kube_status_hint(http_code));
		err->message[strcspn(err->message, "\n")] = '\0';
	}
	json_object_put(status);
	if (tok)
		json_tokener_free(tok);
	return rc;
}

void kube_error_transport(struct kube_error *err, const char *method, const char *path,
			  int rc, const char *detail)
{
	if (!err)
		return;
	err->code = 0;
	char ebuf[64];
	const char *etext = strerror_r(-rc, ebuf, sizeof(ebuf));

	snprintf(err->reason, sizeof(err->reason), "%s", etext);
	snprintf(err->message, sizeof(err->message), "%s %s: %s", method ? method : "?",
		 path ? path : "?", detail && *detail ? detail : etext);
	err->message[strcspn(err->message, "\n")] = '\0';
}
