/* Unit tests for lib/kube_watch: event line decoding across chunk splits. */
#include "twill_test.h"

#include <errno.h>

#include "kube_watch.h"

/* Three events, one with a multi-byte UTF-8 character, a blank line and a
 * CRLF line ending in between. */
static const char stream[] =
	"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"}}}\n"
	"\n"
	"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"caf\xc3\xa9\"}}}\r\n"
	"{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"c\"}}}\n";

struct record {
	int count;
	char log[256];
	int stop_after;
};

static int record_event(enum kube_event_type type, json_object *object, void *ctx)
{
	struct record *r = ctx;
	json_object *meta, *name;
	size_t len = strlen(r->log);

	assert_true(json_object_object_get_ex(object, "metadata", &meta));
	assert_true(json_object_object_get_ex(meta, "name", &name));
	snprintf(r->log + len, sizeof(r->log) - len, "%s:%s;", kube_event_type_name(type),
		 json_object_get_string(name));
	r->count++;
	return r->stop_after && r->count >= r->stop_after ? 1 : 0;
}

static void test_watch_whole_stream(void **state)
{
	struct kube_watch_decoder dec;
	struct record r = { 0 };

	(void)state;
	kube_watch_decoder_init(&dec, record_event, &r);
	assert_int_equal(kube_watch_decoder_feed(&dec, stream, sizeof(stream) - 1), 0);
	assert_int_equal(r.count, 3);
	assert_string_equal(r.log, "ADDED:a;MODIFIED:caf\xc3\xa9;DELETED:c;");
	assert_int_equal(kube_watch_decoder_pending(&dec), 0);
	kube_watch_decoder_free(&dec);
}

static void test_watch_split_everywhere(void **state)
{
	size_t len = sizeof(stream) - 1, cut1, cut2;

	(void)state;
	/* every pair of cut points: three chunks of every size */
	for (cut1 = 0; cut1 <= len; cut1++) {
		for (cut2 = cut1; cut2 <= len; cut2 += 7) {
			struct kube_watch_decoder dec;
			struct record r = { 0 };

			kube_watch_decoder_init(&dec, record_event, &r);
			assert_int_equal(kube_watch_decoder_feed(&dec, stream, cut1), 0);
			assert_int_equal(kube_watch_decoder_feed(&dec, stream + cut1, cut2 - cut1), 0);
			assert_int_equal(kube_watch_decoder_feed(&dec, stream + cut2, len - cut2), 0);
			assert_string_equal(r.log, "ADDED:a;MODIFIED:caf\xc3\xa9;DELETED:c;");
			kube_watch_decoder_free(&dec);
		}
	}
}

static void test_watch_byte_by_byte(void **state)
{
	struct kube_watch_decoder dec;
	struct record r = { 0 };
	size_t i;

	(void)state;
	kube_watch_decoder_init(&dec, record_event, &r);
	for (i = 0; i < sizeof(stream) - 1; i++)
		assert_int_equal(kube_watch_decoder_feed(&dec, stream + i, 1), 0);
	assert_int_equal(r.count, 3);
	assert_int_equal(dec.events, 3);
	kube_watch_decoder_free(&dec);
}

static void test_watch_partial_line_pending(void **state)
{
	struct kube_watch_decoder dec;
	struct record r = { 0 };

	(void)state;
	kube_watch_decoder_init(&dec, record_event, &r);
	assert_int_equal(kube_watch_decoder_feed(&dec, stream, 20), 0);
	assert_int_equal(r.count, 0);
	assert_int_equal(kube_watch_decoder_pending(&dec), 20);
	kube_watch_decoder_free(&dec);
}

static void test_watch_stop_from_callback(void **state)
{
	struct kube_watch_decoder dec;
	struct record r = { .stop_after = 2 };

	(void)state;
	kube_watch_decoder_init(&dec, record_event, &r);
	assert_int_equal(kube_watch_decoder_feed(&dec, stream, sizeof(stream) - 1), 1);
	assert_int_equal(r.count, 2);
	kube_watch_decoder_free(&dec);
}

static void test_watch_malformed(void **state)
{
	static const char *const bad[] = {
		"not json\n",
		"[1,2]\n",
		"{\"type\":\"ADDED\"}\n",
		"{\"type\":\"EXPLODED\",\"object\":{}}\n",
		"{\"type\":7,\"object\":{}}\n",
		"{\"type\":\"ADDED\",\"object\":\"str\"}\n",
		"{\"type\":\"ADDED\",\"object\":{}} trailing\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kube_watch_decoder dec;
		struct record r = { 0 };

		kube_watch_decoder_init(&dec, record_event, &r);
		assert_int_equal(kube_watch_decoder_feed(&dec, bad[i], strlen(bad[i])), -EBADMSG);
		assert_int_equal(r.count, 0);
		kube_watch_decoder_free(&dec);
	}
}

static int count_error(enum kube_event_type type, json_object *object, void *ctx)
{
	json_object *code;

	(void)ctx;
	assert_int_equal(type, KUBE_EVENT_ERROR);
	assert_true(json_object_object_get_ex(object, "code", &code));
	return -json_object_get_int(code);
}

static void test_watch_error_event_passed(void **state)
{
	static const char line[] = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
				   "\"reason\":\"Expired\"}}\n";
	struct kube_watch_decoder dec;
	enum kube_event_type t;

	(void)state;
	kube_watch_decoder_init(&dec, count_error, NULL);
	assert_int_equal(kube_watch_decoder_feed(&dec, line, sizeof(line) - 1), -410);
	kube_watch_decoder_free(&dec);
	assert_int_equal(kube_event_type_parse("BOOKMARK", &t), 0);
	assert_int_equal(t, KUBE_EVENT_BOOKMARK);
	assert_int_equal(kube_event_type_parse("added", &t), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_watch_whole_stream),
	cmocka_unit_test(test_watch_split_everywhere),
	cmocka_unit_test(test_watch_byte_by_byte),
	cmocka_unit_test(test_watch_partial_line_pending),
	cmocka_unit_test(test_watch_stop_from_callback),
	cmocka_unit_test(test_watch_malformed),
	cmocka_unit_test(test_watch_error_event_passed),
};

TWILL_TEST_MAIN(tests)
