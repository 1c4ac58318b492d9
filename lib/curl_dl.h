/* curl_dl: libcurl, loaded on first use instead of at program start.
 *
 * Contract:
 * - curl_dl_get() dlopen()s libcurl (SONAME CURL_DL_SONAME, the Debian
 *   package libcurl4), resolves the few entry points lib/http.c uses and
 *   runs curl_global_init(), exactly once per process (thread-safe). Later
 *   calls return the same table.
 * - Returns 0 with *out set, or -ELIBACC when the library or one of its
 *   symbols cannot be loaded, or -EIO when curl_global_init() fails. The
 *   reason (dlerror() text or the CURLcode) is logged once, on the first
 *   failure, and curl_dl_error() returns it afterwards.
 * - Why: libcurl pulls in about 30 shared libraries (TLS, Kerberos, LDAP,
 *   SSH, IDN, ...) whose loading, relocation and constructors cost ~15 ms
 *   of CPU per exec. Programs that may not talk to the API at all (the CNI
 *   plugin without a kubeconfig, twillctl's offline verbs) pay it only when
 *   they really make a request. Linking is unchanged otherwise: the headers
 *   still come from libcurl's -dev package, so types and constants are
 *   checked at compile time against the library's own declarations. */
#ifndef TWILL_CURL_DL_H
#define TWILL_CURL_DL_H

#include <curl/curl.h>

#define CURL_DL_SONAME "libcurl.so.4"

struct curl_dl {
	CURL *(*easy_init)(void);
	void (*easy_cleanup)(CURL *handle);
	void (*easy_reset)(CURL *handle);
	CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *handle);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
	void (*slist_free_all)(struct curl_slist *list);
};

int curl_dl_get(const struct curl_dl **out);

/* Why the load failed ("" when it did not, or was not tried yet). */
const char *curl_dl_error(void);

#endif
