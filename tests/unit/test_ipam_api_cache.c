/* Unit tests for ipam/api_cache (the server worker's kept API client) and
 * lib/kubeconfig's dup/equal it relies on: reuse on an identical config
 * (whatever the timeouts), a new client when a field or a named file
 * changes. No request
 * is made: building a client opens no connection. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_cache.h"
#include "kubeconfig.h"

#define CA_FILE TWILL_TESTDATA "/kubeconfig/ca.crt"

static char token_path[] = "/tmp/twill-api-cache-token-XXXXXX";

static void write_token(const char *text)
{
	FILE *f = fopen(token_path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	int fd = mkstemp(token_path);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	write_token("token-one");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(token_path);
	memcpy(token_path + strlen(token_path) - 6, "XXXXXX", 6);
	return 0;
}

static void base_config(struct kube_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->server = strdup("https://127.0.0.1:6443");
	cfg->ca_file = strdup(CA_FILE);
	cfg->token_file = strdup(token_path);
	cfg->namespace = strdup("kube-system");
	assert_true(cfg->server && cfg->ca_file && cfg->token_file && cfg->namespace);
}

static void test_kubeconfig_dup_equal(void **state)
{
	struct kube_config a, b;

	(void)state;
	base_config(&a);
	assert_int_equal(kube_config_dup(&a, &b), 0);
	assert_true(kube_config_equal(&a, &b));
	assert_ptr_not_equal(a.server, b.server);
	assert_null(b.token);
	free(b.namespace);
	b.namespace = strdup("default");
	assert_false(kube_config_equal(&a, &b));
	free(b.namespace);
	b.namespace = NULL; /* unset differs from set */
	assert_false(kube_config_equal(&a, &b));
	assert_false(kube_config_equal(&b, &a));
	kube_config_free(&a);
	kube_config_free(&b);
}

static void test_reuse_and_rebuild(void **state)
{
	struct ipam_api_cache cache;
	struct kube_config cfg, other;
	struct kube_client *c1, *c2;

	(void)state;
	memset(&cache, 0, sizeof(cache));
	base_config(&cfg);
	assert_int_equal(ipam_api_cache_client(&cache, &cfg, 5000, 30000, &c1), 0);
	assert_non_null(c1);
	assert_int_equal(cache.built, 1);

	/* the same config loaded again (another copy of equal text): reused */
	assert_int_equal(kube_config_dup(&cfg, &other), 0);
	assert_int_equal(ipam_api_cache_client(&cache, &other, 5000, 30000, &c2), 0);
	assert_ptr_equal(c1, c2);
	assert_int_equal(cache.built, 1);
	assert_int_equal(cache.reused, 1);

	/* other timeouts: the same client (set to them) */
	assert_int_equal(ipam_api_cache_client(&cache, &other, 3000, 60000, &c2), 0);
	assert_ptr_equal(c1, c2);
	assert_int_equal(cache.built, 1);

	/* another server */
	free(other.server);
	other.server = strdup("https://10.0.0.1:6443");
	assert_int_equal(ipam_api_cache_client(&cache, &other, 5000, 60000, &c2), 0);
	assert_int_equal(cache.built, 2);
	assert_int_equal(ipam_api_cache_client(&cache, &other, 5000, 60000, &c2), 0);
	assert_int_equal(cache.built, 2);

	/* the token file rotated (new content): a fresh client reads it */
	write_token("token-two-longer");
	assert_int_equal(ipam_api_cache_client(&cache, &other, 5000, 60000, &c2), 0);
	assert_int_equal(cache.built, 3);
	assert_int_equal(cache.reused, 3);

	ipam_api_cache_clear(&cache);
	assert_null(cache.client);
	kube_config_free(&cfg);
	kube_config_free(&other);
}

static void test_failed_build_leaves_cache_empty(void **state)
{
	struct ipam_api_cache cache;
	struct kube_config cfg;
	struct kube_client *c;

	(void)state;
	memset(&cache, 0, sizeof(cache));
	base_config(&cfg);
	assert_int_equal(ipam_api_cache_client(&cache, &cfg, 5000, 30000, &c), 0);
	/* a token file that is gone: kube_client_new refuses, nothing kept */
	unlink(token_path);
	assert_int_equal(ipam_api_cache_client(&cache, &cfg, 5000, 30000, &c), -EINVAL);
	assert_null(c);
	assert_null(cache.client);
	assert_null(cache.cfg.server);
	write_token("token-one");
	assert_int_equal(ipam_api_cache_client(&cache, &cfg, 5000, 30000, &c), 0);
	assert_int_equal(cache.built, 2);
	ipam_api_cache_clear(&cache);
	kube_config_free(&cfg);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_kubeconfig_dup_equal),
	cmocka_unit_test_setup_teardown(test_reuse_and_rebuild, setup, teardown),
	cmocka_unit_test_setup_teardown(test_failed_build_leaves_cache_empty, setup, teardown),
};

TWILL_TEST_MAIN(tests)
