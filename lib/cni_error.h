/* cni_error: CNI error objects (spec "Error" section) with the spec's codes.
 *
 * Contract: every failure twill-cni reports goes through one struct cni_error
 * holding a code (enum cni_error_code), a one-line msg naming the problem and,
 * where there is one, the offending field or variable ("ipam.type",
 * "CNI_IFNAME"), and optional details. cni_error_set() keeps the FIRST error
 * set on a struct: the root cause wins over the follow-on failures of a
 * rollback. cni_error_json() renders {"cniVersion","code","msg","details"}
 * as the plugin prints it on stdout before exiting non-zero.
 * Codes 1-99 are reserved by the spec; 100+ are twill's own. The numbers
 * are the spec's (SPEC.md "Error", libcni types.go): 4 is invalid
 * environment variables and 7 invalid network config. */
#ifndef TWILL_CNI_ERROR_H
#define TWILL_CNI_ERROR_H

#include <stdbool.h>
#include <stddef.h>

enum cni_error_code {
	CNI_OK = 0,
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,        /* the spec's "invalid necessary environment variables" */
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,     /* the spec's "invalid network config" */
	CNI_ERR_TRY_AGAIN = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_NOT_AVAILABLE_LIMITED = 51,
	CNI_ERR_INTERNAL = 999,
};

#define CNI_ERROR_MSG_MAX 512

struct cni_error {
	int code;                       /* 0: no error recorded */
	char msg[CNI_ERROR_MSG_MAX];
	char details[CNI_ERROR_MSG_MAX];
};

void cni_error_clear(struct cni_error *err);
/* Record code + printf message unless an error is already recorded. Returns
 * the code so callers can `return cni_error_set(...)` style. err may be NULL. */
int cni_error_set(struct cni_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, and set details (e.g. a strerror or the IPAM plugin's stderr). */
int cni_error_set_details(struct cni_error *err, int code, const char *details,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
bool cni_error_is_set(const struct cni_error *err);
/* The spec's short description of a code ("incompatible CNI version"...). */
const char *cni_error_code_name(int code);
/* Malloc'd JSON text of the error object for cniVersion (NULL: "1.1.0").
 * NULL on -ENOMEM. */
char *cni_error_json(const struct cni_error *err, const char *cni_version);

#endif
