/* Unit tests for the pure helpers of felix/rtnl: attribute building (plain
 * and nested) read back through rtnl_attr_parse, the message size limit, and
 * the ifindex <-> name lookups. No socket is opened. */
#include "twill_test.h"

#include <errno.h>
#include <stdlib.h>

#include <linux/rtnetlink.h>

#include "rtnl.h"

static char msgbuf[RTNL_MSG_MAX] __attribute__((aligned(4)));

static struct nlmsghdr *fresh(void)
{
	struct nlmsghdr *h = (struct nlmsghdr *)msgbuf;

	memset(msgbuf, 0, sizeof(msgbuf));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	return h;
}

static void test_attrs_round_trip(void **state)
{
	struct nlmsghdr *h = fresh();
	struct rtmsg *rtm = NLMSG_DATA(h);
	struct rtattr *tb[RTA_MAX + 1];
	uint8_t dst[4] = {10, 244, 1, 0};

	(void)state;
	assert_int_equal(rtnl_attr_put(h, RTA_DST, dst, 4), 0);
	assert_int_equal(rtnl_attr_put_u32(h, RTA_TABLE, 254), 0);
	assert_int_equal(rtnl_attr_put_u32(h, RTA_OIF, 7), 0);
	assert_int_equal(h->nlmsg_len % 4, 0);
	rtnl_attr_parse(tb, RTA_MAX, RTM_RTA(rtm), h->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm)));
	assert_non_null(tb[RTA_DST]);
	assert_int_equal(RTA_PAYLOAD(tb[RTA_DST]), 4);
	assert_memory_equal(RTA_DATA(tb[RTA_DST]), dst, 4);
	assert_int_equal(*(uint32_t *)RTA_DATA(tb[RTA_TABLE]), 254);
	assert_int_equal(*(uint32_t *)RTA_DATA(tb[RTA_OIF]), 7);
	assert_null(tb[RTA_GATEWAY]);
}

static void test_nested(void **state)
{
	struct nlmsghdr *h = fresh();
	struct rtmsg *rtm = NLMSG_DATA(h);
	struct rtattr *tb[RTA_MAX + 1], *inner[8], *nest;

	(void)state;
	nest = rtnl_nest_start(h, RTA_METRICS);
	assert_non_null(nest);
	assert_int_equal(rtnl_attr_put_u32(h, 2, 1400), 0);
	assert_int_equal(rtnl_attr_put_u32(h, 3, 9), 0);
	rtnl_nest_end(h, nest);
	assert_int_equal(rtnl_attr_put_u32(h, RTA_PRIORITY, 5), 0);
	rtnl_attr_parse(tb, RTA_MAX, RTM_RTA(rtm), h->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm)));
	assert_non_null(tb[RTA_METRICS]);
	assert_int_equal(*(uint32_t *)RTA_DATA(tb[RTA_PRIORITY]), 5);
	rtnl_attr_parse(inner, 7, RTA_DATA(tb[RTA_METRICS]), RTA_PAYLOAD(tb[RTA_METRICS]));
	assert_int_equal(*(uint32_t *)RTA_DATA(inner[2]), 1400);
	assert_int_equal(*(uint32_t *)RTA_DATA(inner[3]), 9);
}

static void test_message_limit(void **state)
{
	struct nlmsghdr *h = fresh();
	uint8_t big[RTNL_MSG_MAX];
	uint32_t before;

	(void)state;
	memset(big, 0, sizeof(big));
	before = h->nlmsg_len;
	assert_int_equal(rtnl_attr_put(h, RTA_DST, big, sizeof(big) - 16), -EMSGSIZE);
	assert_int_equal(h->nlmsg_len, before); /* unchanged on failure */
	assert_int_equal(rtnl_attr_put(h, RTA_DST, big, 900), 0);
	assert_non_null(rtnl_nest_start(h, RTA_METRICS)); /* an empty nest still fits */
	assert_int_equal(rtnl_attr_put(h, RTA_DST, big, 200), -EMSGSIZE);
}

static void test_parse_ignores_out_of_range_types(void **state)
{
	struct nlmsghdr *h = fresh();
	struct rtmsg *rtm = NLMSG_DATA(h);
	struct rtattr *tb[4];

	(void)state;
	assert_int_equal(rtnl_attr_put_u32(h, 2, 1), 0);
	assert_int_equal(rtnl_attr_put_u32(h, 30, 2), 0); /* above max: dropped */
	assert_int_equal(rtnl_attr_put_u32(h, 2, 3), 0);  /* duplicate: the later wins */
	rtnl_attr_parse(tb, 3, RTM_RTA(rtm), h->nlmsg_len - NLMSG_LENGTH(sizeof(*rtm)));
	assert_int_equal(*(uint32_t *)RTA_DATA(tb[2]), 3);
	assert_null(tb[0]);
	assert_null(tb[3]);
	/* A truncated buffer stops the walk instead of reading past it. */
	rtnl_attr_parse(tb, 3, RTM_RTA(rtm), 3);
	assert_null(tb[2]);
}

static void test_link_lookups(void **state)
{
	struct rtnl_link_name by_index[3] = {{1, "lo"}, {4, "eth0"}, {9, "tw0123456789a"}};
	struct rtnl_link_name by_name[3] = {{4, "eth0"}, {1, "lo"}, {9, "tw0123456789a"}};
	struct rtnl_links links = {by_index, by_name, 3};
	struct rtnl_links empty = {NULL, NULL, 0};

	(void)state;
	assert_int_equal(rtnl_links_index(&links, "eth0"), 4);
	assert_int_equal(rtnl_links_index(&links, "tw0123456789a"), 9);
	assert_int_equal(rtnl_links_index(&links, "nope"), 0);
	assert_int_equal(rtnl_links_index(&links, ""), 0);
	assert_string_equal(rtnl_links_name(&links, 1), "lo");
	assert_null(rtnl_links_name(&links, 5));
	assert_int_equal(rtnl_links_index(&empty, "eth0"), 0);
	assert_null(rtnl_links_name(&empty, 1));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_attrs_round_trip),
	cmocka_unit_test(test_nested),
	cmocka_unit_test(test_message_limit),
	cmocka_unit_test(test_parse_ignores_out_of_range_types),
	cmocka_unit_test(test_link_lookups),
};

TWILL_TEST_MAIN(tests)
