/* libFuzzer target: arbitrary bytes as a reply from BIRD's control socket.
 * bird_ctl_parse_protocols() must never crash or leak; on success every
 * protocol has its table row (name, proto, table, state, since, info), the
 * twill type and peer come as a pair, and on failure the list is empty. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bird_ctl.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			__builtin_trap();                                      \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bird_ctl_protos ps;
	char err[256];
	size_t i;
	int rc;

	rc = bird_ctl_parse_protocols((const char *)data, size, &ps, err, sizeof(err));
	if (rc < 0) {
		CHECK(rc == -EPROTO || rc == -ENOMEM);
		CHECK(ps.items == NULL && ps.count == 0);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		return 0;
	}
	CHECK(rc == 0);
	for (i = 0; i < ps.count; i++) {
		const struct bird_ctl_proto *p = &ps.items[i];

		CHECK(p->name && p->proto && p->table && p->state && p->since && p->info);
		CHECK(p->name[0] && p->proto[0]);
		CHECK(!p->twill_type == !p->twill_peer);
		CHECK(!p->twill_type || p->description);
		if (bird_ctl_established(p))
			CHECK(strcmp(p->proto, "BGP") == 0);
	}
	bird_ctl_protos_free(&ps);
	return 0;
}
