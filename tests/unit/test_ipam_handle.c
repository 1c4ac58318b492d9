/* Unit tests for ipam/handle: IDs, object names, count bookkeeping. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include "handle.h"

static void test_handle_id(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(ipam_handle_id("k8s-pod-network", "abc123", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "k8s-pod-network.abc123");
	assert_int_equal(ipam_handle_id("", "abc", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ipam_handle_id("net", "", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ipam_handle_id("net", "a\nb", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ipam_handle_id("net", "abcdef", buf, 8), -ENOSPC);
	assert_string_equal(buf, "");
}

static void test_object_name_clean_id_unchanged(void **state)
{
	char name[IPAM_HANDLE_NAME_MAX];

	(void)state;
	assert_int_equal(ipam_handle_object_name("k8s-pod-network.0123abcd", name, sizeof(name)), 0);
	assert_string_equal(name, "k8s-pod-network.0123abcd");
}

static void test_object_name_lossy_gets_hash(void **state)
{
	char a[IPAM_HANDLE_NAME_MAX], b[IPAM_HANDLE_NAME_MAX];

	(void)state;
	assert_int_equal(ipam_handle_object_name("Net_A.c1", a, sizeof(a)), 0);
	assert_int_equal(ipam_handle_object_name("net-a.c1", b, sizeof(b)), 0);
	assert_string_equal(b, "net-a.c1");
	/* "Net_A.c1" sanitises to the same text, so it must differ by a hash */
	assert_int_equal(strncmp(a, "net-a.c1-", 9), 0);
	assert_int_equal(strlen(a), strlen("net-a.c1-") + 8);
	assert_string_not_equal(a, b);
	/* stable: same input, same name */
	assert_int_equal(ipam_handle_object_name("Net_A.c1", b, sizeof(b)), 0);
	assert_string_equal(a, b);
}

static void test_object_name_long_and_edges(void **state)
{
	char id[400], name[IPAM_HANDLE_NAME_MAX];
	size_t len;

	(void)state;
	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	assert_int_equal(ipam_handle_object_name(id, name, sizeof(name)), 0);
	len = strlen(name);
	assert_true(len <= 253);
	assert_true(name[len - 1] != '-' && name[0] != '-');
	assert_int_equal(ipam_handle_object_name("-.x.-", name, sizeof(name)), 0);
	assert_int_equal(name[0], 'x');
	assert_int_equal(ipam_handle_object_name("__", name, sizeof(name)), -EINVAL);
	assert_int_equal(ipam_handle_object_name("", name, sizeof(name)), -EINVAL);
	assert_int_equal(ipam_handle_object_name("abc", name, 10), -ENOSPC);
}

static void test_counts(void **state)
{
	struct ipamhandle h;

	(void)state;
	assert_int_equal(ipam_handle_init(&h, "net.c1"), 0);
	assert_string_equal(h.meta.name, "net.c1");
	assert_string_equal(h.handle_id, "net.c1");
	assert_int_equal(ipam_handle_add(&h, "10.0.0.0/26", 2), 0);
	assert_int_equal(ipam_handle_add(&h, "10.0.0.64/26", 1), 0);
	assert_int_equal(ipam_handle_add(&h, "10.0.0.0/26", 1), 0);
	assert_int_equal(ipam_handle_count(&h, "10.0.0.0/26"), 3);
	assert_int_equal(ipam_handle_total(&h), 4);
	assert_int_equal(h.block_count, 2);
	/* decrement to zero removes the entry */
	assert_int_equal(ipam_handle_add(&h, "10.0.0.64/26", -1), 0);
	assert_int_equal(h.block_count, 1);
	assert_int_equal(ipam_handle_count(&h, "10.0.0.64/26"), 0);
	/* over-release (repair of an over-count) clamps at zero */
	assert_int_equal(ipam_handle_add(&h, "10.0.0.0/26", -10), 0);
	assert_int_equal(h.block_count, 0);
	assert_int_equal(ipam_handle_total(&h), 0);
	/* releasing from an absent block is a no-op */
	assert_int_equal(ipam_handle_add(&h, "10.9.9.0/26", -1), 0);
	assert_int_equal(h.block_count, 0);
	assert_int_equal(ipam_handle_add(&h, "", 1), -EINVAL);
	ipamhandle_free(&h);
}

static void test_handle_json_round_trip(void **state)
{
	struct model_errors errs = MODEL_ERRORS_INIT;
	struct ipamhandle h, back;
	json_object *obj;

	(void)state;
	assert_int_equal(ipam_handle_init(&h, "net.c2"), 0);
	assert_int_equal(ipam_handle_add(&h, "fd00::/122", 2), 0);
	obj = ipamhandle_to_json(&h);
	assert_non_null(obj);
	assert_int_equal(ipamhandle_from_json(obj, &back, &errs), 0);
	assert_false(model_errors_failed(&errs));
	assert_int_equal(ipam_handle_count(&back, "fd00::/122"), 2);
	assert_string_equal(back.handle_id, "net.c2");
	json_object_put(obj);
	ipamhandle_free(&h);
	ipamhandle_free(&back);
	model_errors_free(&errs);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_handle_id),
	cmocka_unit_test(test_object_name_clean_id_unchanged),
	cmocka_unit_test(test_object_name_lossy_gets_hash),
	cmocka_unit_test(test_object_name_long_and_edges),
	cmocka_unit_test(test_counts),
	cmocka_unit_test(test_handle_json_round_trip),
};

TWILL_TEST_MAIN(tests)
