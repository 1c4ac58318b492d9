/* Unit tests for lib/kubeconfig: valid variants, every missing piece with
 * its exact message, base64, relative paths, in-cluster, load order. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "kubeconfig.h"

#define KC_DIR TWILL_TESTDATA "/kubeconfig"

static char *read_ca(void)
{
	static char buf[4096];
	FILE *f = fopen(KC_DIR "/ca.crt", "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_kubeconfig_token_and_ca_data(void **state)
{
	struct kube_config cfg;
	char err[512];

	(void)state;
	assert_int_equal(kube_config_load_file(KC_DIR "/valid-token.yaml", &cfg, err, sizeof(err)),
			 0);
	assert_string_equal(cfg.server, "https://127.0.0.1:6443");
	assert_null(cfg.ca_file);
	assert_non_null(cfg.ca_data);
	assert_string_equal(cfg.ca_data, read_ca());
	assert_string_equal(cfg.token, "s3cr3t-token");
	assert_null(cfg.token_file); /* token wins over tokenFile */
	assert_string_equal(cfg.namespace, "kube-system");
	assert_null(cfg.client_cert_file);
	kube_config_free(&cfg);
}

static void test_kubeconfig_relative_paths(void **state)
{
	struct kube_config cfg;
	char err[512];

	(void)state;
	assert_int_equal(kube_config_load_file(KC_DIR "/valid-files.yaml", &cfg, err, sizeof(err)),
			 0);
	assert_string_equal(cfg.server, "https://[::1]:6443");
	assert_string_equal(cfg.ca_file, KC_DIR "/ca.crt");
	assert_string_equal(cfg.token_file, KC_DIR "/secrets/token");
	assert_string_equal(cfg.client_cert_file, "/etc/twill/client.crt");
	assert_string_equal(cfg.client_key_file, KC_DIR "/keys/client.key");
	assert_string_equal(cfg.namespace, "default");
	kube_config_free(&cfg);
}

static void test_kubeconfig_no_user_is_anonymous(void **state)
{
	struct kube_config cfg;

	(void)state;
	assert_int_equal(kube_config_load_file(KC_DIR "/no-user.yaml", &cfg, NULL, 0), 0);
	assert_null(cfg.token);
	assert_null(cfg.token_file);
	kube_config_free(&cfg);
}

/* file -> exact message after "kubeconfig <path>: " */
static void expect_error(const char *file, int rc, const char *message)
{
	struct kube_config cfg;
	char path[512], err[512], expect[1024];

	snprintf(path, sizeof(path), "%s/%s", KC_DIR, file);
	assert_int_equal(kube_config_load_file(path, &cfg, err, sizeof(err)), rc);
	snprintf(expect, sizeof(expect), "kubeconfig %s: %s", path, message);
	assert_string_equal(err, expect);
	assert_null(cfg.server);
	assert_null(cfg.token);
}

static void test_kubeconfig_missing_pieces(void **state)
{
	(void)state;
	expect_error("missing-context.yaml", -EINVAL,
		     "context \"foo\" (current-context) not found");
	expect_error("no-current-context.yaml", -EINVAL, "no current-context set");
	expect_error("missing-cluster.yaml", -EINVAL, "cluster \"c2\" (context \"bar\") not found");
	expect_error("missing-user.yaml", -EINVAL, "user \"ghost\" (context \"bar\") not found");
	expect_error("no-server.yaml", -EINVAL, "cluster \"c1\" has no server");
	expect_error("missing.yaml", -ENOENT, "cannot read: No such file or directory");
}

static void test_kubeconfig_refuses_insecure(void **state)
{
	(void)state;
	expect_error("no-ca.yaml", -EINVAL,
		     "cluster \"c1\" has no certificate-authority or certificate-authority-data "
		     "(TLS verification cannot be disabled)");
	expect_error("insecure.yaml", -EINVAL,
		     "cluster \"c1\": insecure-skip-tls-verify is not supported (TLS verification "
		     "is always on; give certificate-authority)");
	expect_error("http-server.yaml", -EINVAL,
		     "cluster \"c1\": server \"http://10.0.0.1:8080\" is not an https:// URL");
}

static void test_kubeconfig_bad_values(void **state)
{
	(void)state;
	expect_error("bad-base64.yaml", -EINVAL,
		     "user \"u1\": client-certificate-data is not valid base64");
	expect_error("both-ca.yaml", -EINVAL,
		     "cluster \"c1\": both certificate-authority and certificate-authority-data "
		     "are set; use one");
	expect_error("cert-no-key.yaml", -EINVAL,
		     "user \"u1\": a client certificate needs a client key and vice versa");
	expect_error("exec-user.yaml", -EINVAL,
		     "user \"u1\": exec/auth-provider credential plugins are not supported; use "
		     "a token or client certificate");
}

static void test_kubeconfig_not_yaml(void **state)
{
	struct kube_config cfg;
	char err[512];

	(void)state;
	assert_int_equal(kube_config_load_file(KC_DIR "/not-yaml.yaml", &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not-yaml.yaml: not valid YAML: line "));
	assert_int_equal(kube_config_parse("- a\n- b\n", 8, NULL, NULL, &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "kubeconfig <memory>: not a YAML mapping");
	assert_int_equal(kube_config_parse("", 0, NULL, "x", &cfg, err, sizeof(err)), -EINVAL);
}

static void test_base64_decode(void **state)
{
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(kube_base64_decode("aGVsbG8=", 8, &out, &len), 0);
	assert_string_equal(out, "hello");
	assert_int_equal(len, 5);
	free(out);
	/* padding optional, whitespace and line breaks ignored */
	assert_int_equal(kube_base64_decode("aGVs\nbG8", 8, &out, &len), 0);
	assert_string_equal(out, "hello");
	free(out);
	assert_int_equal(kube_base64_decode("", 0, &out, &len), 0);
	assert_int_equal(len, 0);
	free(out);
	assert_int_equal(kube_base64_decode("aGVsbG8*", 8, &out, &len), -EINVAL);
	assert_null(out);
	assert_int_equal(kube_base64_decode("aGVsb", 5, &out, &len), -EINVAL);     /* 4k+1 */
	assert_int_equal(kube_base64_decode("aGk=aGk=", 8, &out, &len), -EINVAL);  /* data after = */
	assert_int_equal(kube_base64_decode("aGk===", 6, &out, &len), -EINVAL);
}

static void test_kubeconfig_in_cluster(void **state)
{
	struct kube_config cfg;
	char err[512];

	(void)state;
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	assert_int_equal(kube_config_in_cluster(KC_DIR "/sa", &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST/PORT not set"));
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(kube_config_in_cluster(KC_DIR "/sa", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.server, "https://[fd00::1]:443");
	assert_string_equal(cfg.ca_file, KC_DIR "/sa/ca.crt");
	assert_string_equal(cfg.token_file, KC_DIR "/sa/token");
	assert_string_equal(cfg.namespace, "twill-system");
	kube_config_free(&cfg);
	/* a service account directory without a CA is refused */
	assert_int_equal(kube_config_in_cluster(KC_DIR "/nonexistent", &cfg, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "ca.crt not readable"));
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

static void test_kubeconfig_load_order(void **state)
{
	struct kube_config cfg;
	char err[512];

	(void)state;
	setenv("KUBECONFIG", KC_DIR "/valid-files.yaml:" KC_DIR "/valid-token.yaml", 1);
	/* explicit path beats $KUBECONFIG */
	assert_int_equal(kube_config_load(KC_DIR "/valid-token.yaml", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.server, "https://127.0.0.1:6443");
	kube_config_free(&cfg);
	/* $KUBECONFIG: its first entry */
	assert_int_equal(kube_config_load(NULL, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.server, "https://[::1]:6443");
	kube_config_free(&cfg);
	/* neither: in-cluster, which fails outside a pod */
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(kube_config_load(NULL, &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "in-cluster config"));
}

/* twillctl's order (kubectl's) adds ~/.kube/config after $KUBECONFIG; the
 * daemons' and plugins' order never reads it. */
static void test_kubeconfig_user_order(void **state)
{
	const char *saved = getenv("HOME");
	char *home = saved ? strdup(saved) : NULL;
	struct kube_config cfg;
	char err[512];

	(void)state;
	unsetenv("KUBERNETES_SERVICE_HOST");
	setenv("KUBECONFIG", KC_DIR "/valid-token.yaml", 1);
	setenv("HOME", KC_DIR "/home", 1);
	assert_int_equal(kube_config_load_user(NULL, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.server, "https://127.0.0.1:6443"); /* $KUBECONFIG first */
	kube_config_free(&cfg);
	unsetenv("KUBECONFIG");
	assert_int_equal(kube_config_load_user(NULL, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.server, "https://10.0.0.1:6443"); /* ~/.kube/config */
	kube_config_free(&cfg);
	assert_int_equal(kube_config_load(NULL, &cfg, err, sizeof(err)), -ENOENT);
	setenv("HOME", KC_DIR "/no-such-home", 1);
	assert_int_equal(kube_config_load_user(NULL, &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "~/.kube/config"));
	if (home)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	free(home);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_kubeconfig_token_and_ca_data),
	cmocka_unit_test(test_kubeconfig_relative_paths),
	cmocka_unit_test(test_kubeconfig_no_user_is_anonymous),
	cmocka_unit_test(test_kubeconfig_missing_pieces),
	cmocka_unit_test(test_kubeconfig_refuses_insecure),
	cmocka_unit_test(test_kubeconfig_bad_values),
	cmocka_unit_test(test_kubeconfig_not_yaml),
	cmocka_unit_test(test_base64_decode),
	cmocka_unit_test(test_kubeconfig_in_cluster),
	cmocka_unit_test(test_kubeconfig_load_order),
	cmocka_unit_test(test_kubeconfig_user_order),
};

TWILL_TEST_MAIN(tests)
