/* Unit tests for lib/informer: the pure re-list diff, cache keys, and the
 * thread lifecycle against an unreachable (loopback) server. */
#include "twill_test.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "informer.h"

static json_object *obj(const char *ns, const char *name, const char *rv)
{
	char text[256];

	if (ns)
		snprintf(text, sizeof(text),
			 "{\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\",\"resourceVersion\":\"%s\"}}",
			 ns, name, rv);
	else
		snprintf(text, sizeof(text),
			 "{\"metadata\":{\"name\":\"%s\",\"resourceVersion\":\"%s\"}}", name, rv);
	return json_tokener_parse(text);
}

static void cache_put(json_object *cache, json_object *o)
{
	char key[128];

	assert_int_equal(informer_key(o, key, sizeof(key)), 0);
	json_object_object_add(cache, key, o);
}

struct diff_log {
	char text[512];
	int stop_at;
	int count;
};

static int log_change(enum informer_change change, const char *key, json_object *old_obj,
		      json_object *new_obj, void *ctx)
{
	static const char *const names[] = { "add", "update", "delete" };
	struct diff_log *l = ctx;
	size_t len = strlen(l->text);

	if (change == INFORMER_ADD)
		assert_true(old_obj == NULL && new_obj != NULL);
	if (change == INFORMER_UPDATE)
		assert_true(old_obj != NULL && new_obj != NULL);
	if (change == INFORMER_DELETE)
		assert_true(old_obj != NULL && new_obj == NULL);
	snprintf(l->text + len, sizeof(l->text) - len, "%s:%s;", names[change], key);
	l->count++;
	return l->stop_at && l->count >= l->stop_at ? 99 : 0;
}

static void test_informer_key(void **state)
{
	char key[16];
	json_object *a = obj("ns1", "a", "1"), *b = obj(NULL, "pool", "2");
	json_object *noname = json_tokener_parse("{\"metadata\":{}}");

	(void)state;
	assert_int_equal(informer_key(a, key, sizeof(key)), 0);
	assert_string_equal(key, "ns1/a");
	assert_int_equal(informer_key(b, key, sizeof(key)), 0);
	assert_string_equal(key, "pool");
	assert_int_equal(informer_key(noname, key, sizeof(key)), -EINVAL);
	assert_int_equal(informer_key(a, key, 4), -ENAMETOOLONG);
	json_object_put(a);
	json_object_put(b);
	json_object_put(noname);
}

static void test_informer_diff_real_changes_only(void **state)
{
	json_object *cache = json_object_new_object(), *items = json_object_new_array();
	struct diff_log l = { .text = "" };

	(void)state;
	cache_put(cache, obj("ns", "same", "10"));
	cache_put(cache, obj("ns", "changed", "11"));
	cache_put(cache, obj("ns", "gone", "12"));
	cache_put(cache, obj("other", "same", "13")); /* same name, other namespace */
	json_object_array_add(items, obj("ns", "same", "10"));
	json_object_array_add(items, obj("ns", "changed", "20"));
	json_object_array_add(items, obj("ns", "new", "21"));
	json_object_array_add(items, obj("other", "same", "13"));
	assert_int_equal(informer_diff(cache, items, log_change, &l), 0);
	assert_string_equal(l.text, "update:ns/changed;add:ns/new;delete:ns/gone;");
	/* pure: inputs untouched */
	assert_int_equal(json_object_object_length(cache), 4);
	assert_int_equal(json_object_array_length(items), 4);
	json_object_put(cache);
	json_object_put(items);
}

static void test_informer_diff_identical_is_silent(void **state)
{
	json_object *cache = json_object_new_object(), *items = json_object_new_array();
	struct diff_log l = { .text = "" };
	int i;
	char name[16];

	(void)state;
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "o%d", i);
		cache_put(cache, obj(NULL, name, "5"));
		json_object_array_add(items, obj(NULL, name, "5"));
	}
	assert_int_equal(informer_diff(cache, items, log_change, &l), 0);
	assert_int_equal(l.count, 0);
	json_object_put(cache);
	json_object_put(items);
}

static void test_informer_diff_empty_sides(void **state)
{
	json_object *cache = json_object_new_object(), *items = json_object_new_array();
	struct diff_log l = { .text = "" };

	(void)state;
	json_object_array_add(items, obj(NULL, "a", "1"));
	json_object_array_add(items, json_tokener_parse("{\"metadata\":{}}")); /* skipped */
	assert_int_equal(informer_diff(cache, items, log_change, &l), 0);
	assert_string_equal(l.text, "add:a;");
	/* everything vanished: all deletes; a NULL list counts as empty */
	memset(&l, 0, sizeof(l));
	cache_put(cache, obj(NULL, "x", "1"));
	cache_put(cache, obj(NULL, "y", "1"));
	assert_int_equal(informer_diff(cache, NULL, log_change, &l), 0);
	assert_int_equal(l.count, 2);
	assert_non_null(strstr(l.text, "delete:x;"));
	assert_non_null(strstr(l.text, "delete:y;"));
	json_object_put(cache);
	json_object_put(items);
}

static void test_informer_diff_no_resource_version(void **state)
{
	json_object *cache = json_object_new_object(), *items = json_object_new_array();
	struct diff_log l = { .text = "" };

	(void)state;
	/* without resourceVersions the content decides */
	cache_put(cache, json_tokener_parse("{\"metadata\":{\"name\":\"a\"},\"v\":1}"));
	cache_put(cache, json_tokener_parse("{\"metadata\":{\"name\":\"b\"},\"v\":1}"));
	json_object_array_add(items, json_tokener_parse("{\"metadata\":{\"name\":\"a\"},\"v\":1}"));
	json_object_array_add(items, json_tokener_parse("{\"metadata\":{\"name\":\"b\"},\"v\":2}"));
	assert_int_equal(informer_diff(cache, items, log_change, &l), 0);
	assert_string_equal(l.text, "update:b;");
	json_object_put(cache);
	json_object_put(items);
}

static void test_informer_diff_stops(void **state)
{
	json_object *cache = json_object_new_object(), *items = json_object_new_array();
	struct diff_log l = { .text = "", .stop_at = 1 };

	(void)state;
	json_object_array_add(items, obj(NULL, "a", "1"));
	json_object_array_add(items, obj(NULL, "b", "1"));
	assert_int_equal(informer_diff(cache, items, log_change, &l), 99);
	assert_int_equal(l.count, 1);
	json_object_put(cache);
	json_object_put(items);
}

static void test_informer_unreachable_counts_errors(void **state)
{
	static const char ca[] = TWILL_TESTDATA "/kubeconfig/ca.crt";
	struct kube_config cfg = { .server = "https://127.0.0.1:1", .ca_file = (char *)ca };
	struct informer_options opts = {
		.resource = { "", "v1", "configmaps", true },
		.backoff_initial_ms = 10,
		.backoff_max_ms = 20,
	};
	struct informer_stats st;
	struct kube_client *client;
	struct informer *inf;
	struct pollfd pfd;
	int i;

	(void)state;
	assert_int_equal(kube_client_new(&cfg, &client), 0);
	assert_int_equal(informer_new(client, &opts, &inf), 0);
	assert_true(informer_fd(inf) >= 0);
	assert_int_equal(informer_start(inf), 0);
	assert_int_equal(informer_start(inf), -EALREADY);
	/* port 1 on loopback refuses: list fails, retries after backoff */
	for (i = 0; i < 500; i++) {
		informer_stats(inf, &st);
		if (st.errors >= 2)
			break;
		usleep(10000);
	}
	assert_true(st.errors >= 2);
	assert_int_equal(st.lists, 0);
	assert_false(informer_synced(inf));
	assert_null(informer_get(inf, "default", "x"));
	pfd.fd = informer_fd(inf);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 0), 0); /* nothing queued */
	assert_int_equal(informer_dispatch(inf), 0);
	json_object *all = informer_list(inf);
	assert_int_equal(json_object_array_length(all), 0);
	json_object_put(all);
	informer_free(inf);
	kube_client_free(client);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_informer_key),
	cmocka_unit_test(test_informer_diff_real_changes_only),
	cmocka_unit_test(test_informer_diff_identical_is_silent),
	cmocka_unit_test(test_informer_diff_empty_sides),
	cmocka_unit_test(test_informer_diff_no_resource_version),
	cmocka_unit_test(test_informer_diff_stops),
	cmocka_unit_test(test_informer_unreachable_counts_errors),
};

TWILL_TEST_MAIN(tests)
