/* curl_dl: the libcurl entry points http.c needs, resolved with dlopen() the
 * first time a client is created.
 *
 * One pthread_once covers dlopen, dlsym and curl_global_init, so the
 * library is loaded and initialised exactly once even when several threads
 * create clients at the same time (curl_global_init itself is not
 * thread-safe). The handle is never dlclose()d: curl keeps global state
 * (TLS backends, the connection cache of live handles) for the life of the
 * process. RTLD_LOCAL keeps curl's dependencies out of the global symbol
 * namespace, where they could otherwise satisfy other libraries' lookups. */
#include "curl_dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static pthread_once_t curl_dl_once = PTHREAD_ONCE_INIT;
static struct curl_dl curl_dl_table;
static int curl_dl_rc;
static char curl_dl_reason[256];

/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
static int curl_dl_sym(void *lib, const char *name, void *slot, size_t slot_size)
{
	void *sym;

	dlerror();
	sym = dlsym(lib, name);
	if (!sym) {
		const char *why = dlerror();

		snprintf(curl_dl_reason, sizeof(curl_dl_reason), "%s: symbol %s: %s",
			 CURL_DL_SONAME, name, why ? why : "not found");
		return -ELIBACC;
	}
	memcpy(slot, &sym, slot_size);
	return 0;
}

#define CURL_DL_SYM(lib, field, name)                                                  \
	curl_dl_sym(lib, name, &curl_dl_table.field, sizeof(curl_dl_table.field))

static void curl_dl_load(void)
{
	CURLcode (*global_init)(long flags) = NULL;
	CURLcode code;
	void *lib;
	int rc;

	lib = dlopen(CURL_DL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *why = dlerror();

		snprintf(curl_dl_reason, sizeof(curl_dl_reason), "%s",
			 why ? why : CURL_DL_SONAME ": cannot be loaded");
		rc = -ELIBACC;
		goto out;
	}
	if ((rc = curl_dl_sym(lib, "curl_global_init", &global_init, sizeof(global_init))) ||
	    (rc = CURL_DL_SYM(lib, easy_init, "curl_easy_init")) ||
	    (rc = CURL_DL_SYM(lib, easy_cleanup, "curl_easy_cleanup")) ||
	    (rc = CURL_DL_SYM(lib, easy_reset, "curl_easy_reset")) ||
	    (rc = CURL_DL_SYM(lib, easy_setopt, "curl_easy_setopt")) ||
	    (rc = CURL_DL_SYM(lib, easy_getinfo, "curl_easy_getinfo")) ||
	    (rc = CURL_DL_SYM(lib, easy_perform, "curl_easy_perform")) ||
	    (rc = CURL_DL_SYM(lib, easy_strerror, "curl_easy_strerror")) ||
	    (rc = CURL_DL_SYM(lib, slist_append, "curl_slist_append")) ||
	    (rc = CURL_DL_SYM(lib, slist_free_all, "curl_slist_free_all")))
		goto out;
	code = global_init(CURL_GLOBAL_DEFAULT);
	if (code != CURLE_OK) {
		snprintf(curl_dl_reason, sizeof(curl_dl_reason), "curl_global_init: %s",
			 curl_dl_table.easy_strerror(code));
		rc = -EIO;
	}
out:
	curl_dl_rc = rc;
	if (rc) {
		char quoted[300];

		log_error("event=libcurl_unavailable err=%s",
			  log_quote(quoted, sizeof(quoted), curl_dl_reason));
	}
}

int curl_dl_get(const struct curl_dl **out)
{
	pthread_once(&curl_dl_once, curl_dl_load);
	*out = curl_dl_rc ? NULL : &curl_dl_table;
	return curl_dl_rc;
}

const char *curl_dl_error(void)
{
	return curl_dl_reason;
}
