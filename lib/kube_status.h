/* kube_status: Kubernetes API error responses -> errno + one readable line.
 *
 * Contract: kube_status_parse() turns a non-2xx response (normally a
 * metav1.Status JSON object, but any body, including none or HTML from a
 * proxy, is accepted) into a struct kube_error and returns the negative errno
 * callers act on. The mapping (by HTTP code, refined by Status.reason):
 *     400 BadRequest                -> -EINVAL
 *     401 Unauthorized              -> -EACCES   (credentials missing/invalid)
 *     403 Forbidden                 -> -EPERM    (authenticated, not allowed)
 *     404 NotFound                  -> -ENOENT
 *     405 MethodNotAllowed          -> -EOPNOTSUPP
 *     409 reason AlreadyExists      -> -EEXIST
 *     409 Conflict (stale resourceVersion, anything else) -> -EAGAIN
 *     410 Gone / Expired            -> -ESTALE   (re-list needed)
 *     413                           -> -EMSGSIZE
 *     415, 422 Invalid, other 4xx   -> -EINVAL
 *     429 TooManyRequests, 503      -> -EBUSY    (retry later)
 *     504 Timeout                   -> -ETIMEDOUT
 *     other 5xx and anything else   -> -EIO
 * err->message is one line "<METHOD> <path>: <code> <Reason>: <message>"
 * with a hint appended for 401/403 naming what to check. */
#ifndef TWILL_KUBE_STATUS_H
#define TWILL_KUBE_STATUS_H

#include <stddef.h>

struct kube_error {
	int code;          /* HTTP status, 0 for transport errors */
	char reason[64];   /* Status.reason ("Conflict", "NotFound", ...) */
	char message[512]; /* one readable line, see above */
};

/* errno for an HTTP status and Status.reason (reason may be NULL). */
int kube_status_to_errno(int http_code, const char *reason);

/* Fill err (may be NULL) from a non-2xx response; returns the errno. method
 * and path only decorate the message. body may be NULL or not JSON. */
int kube_status_parse(const char *method, const char *path, int http_code,
		      const char *body, size_t body_len, struct kube_error *err);

/* For transport failures (negative errno from lib/http): code 0, reason
 * derived from the errno, message "<METHOD> <path>: <detail>". */
void kube_error_transport(struct kube_error *err, const char *method, const char *path,
			  int rc, const char *detail);

#endif
