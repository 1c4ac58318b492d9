/* node status: `twillctl node status [--socket PATH] [-o table|json]` — this
 * node's BGP sessions as its BIRD sees them, read from BIRD's control socket
 * (`show protocols all`).
 *
 * The session type (mesh / rr / node / global) and the peer's name come from
 * the `description` twill's renderer writes on every BGP protocol, so the
 * command needs no API access and works on a node whose datastore link is
 * down, which is when one wants it most. Every BGP protocol BIRD has is a
 * configured session; the exit status is 1 when any of them is not
 * Established (each such session is also named on stderr with BIRD's last
 * error), 1 when BIRD cannot be asked, 2 on usage errors, else 0. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bird_ctl.h"
#include "ctl.h"

#define DEFAULT_SOCKET "/run/bird/bird.ctl"

static void usage(FILE *f)
{
	fprintf(f, "usage: twillctl node status [--socket PATH] [-o table|json] [--timeout MS]\n"
		   "  --socket   BIRD's control socket (default $TWILL_BIRD_SOCKET or "
		   DEFAULT_SOCKET ")\n"
		   "  -o         table (default) or json\n"
		   "exit status: 0 all BGP sessions Established, 1 one is not (or BIRD\n"
		   "cannot be asked), 2 usage error\n");
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static const char *session_state(const struct bird_ctl_proto *p)
{
	if (p->bgp_state)
		return p->bgp_state;
	return or_dash(p->info);
}

static void print_table(const struct bird_ctl_protos *ps)
{
	size_t i;

	printf("%-24s %-10s %-7s %-20s %-12s %-24s %8s %8s\n", "PEER", "AS", "TYPE", "NAME",
	       "STATE", "SINCE", "IMPORTED", "EXPORTED");
	for (i = 0; i < ps->count; i++) {
		const struct bird_ctl_proto *p = &ps->items[i];
		char as[16] = "-";

		if (strcmp(p->proto, "BGP") != 0)
			continue;
		if (p->neighbor_as)
			snprintf(as, sizeof(as), "%u", p->neighbor_as);
		printf("%-24s %-10s %-7s %-20s %-12s %-24s %8lu %8lu\n",
		       or_dash(p->neighbor_address), as, or_dash(p->twill_type),
		       or_dash(p->twill_peer ? p->twill_peer : p->name), session_state(p),
		       or_dash(p->since), p->imported, p->exported);
	}
}

static int add_str(struct json_object *o, const char *k, const char *v)
{
	struct json_object *s = v ? json_object_new_string(v) : NULL;

	if (v && !s)
		return -ENOMEM;
	return json_object_object_add(o, k, s) < 0 ? -ENOMEM : 0;
}

static int add_int(struct json_object *o, const char *k, int64_t v)
{
	struct json_object *n = json_object_new_int64(v);

	if (!n)
		return -ENOMEM;
	return json_object_object_add(o, k, n) < 0 ? -ENOMEM : 0;
}

static int print_json(const struct bird_ctl_protos *ps)
{
	struct json_object *arr = json_object_new_array(), *o = NULL;
	size_t i;
	int rc = -ENOMEM;

	if (!arr)
		return -ENOMEM;
	for (i = 0; i < ps->count; i++) {
		const struct bird_ctl_proto *p = &ps->items[i];

		if (strcmp(p->proto, "BGP") != 0)
			continue;
		o = json_object_new_object();
		if (!o || add_str(o, "protocol", p->name) || add_str(o, "peer", p->neighbor_address) ||
		    add_int(o, "asNumber", p->neighbor_as) || add_int(o, "localAS", p->local_as) ||
		    add_str(o, "type", p->twill_type) ||
		    add_str(o, "name", p->twill_peer) || add_str(o, "state", p->state) ||
		    add_str(o, "bgpState", session_state(p)) || add_str(o, "since", p->since) ||
		    add_str(o, "info", p->info) || add_str(o, "lastError", p->last_error) ||
		    add_int(o, "imported", (int64_t)p->imported) ||
		    add_int(o, "exported", (int64_t)p->exported) ||
		    json_object_object_add(o, "established",
					   json_object_new_boolean(bird_ctl_established(p))) < 0)
			goto out;
		if (json_object_array_add(arr, o) < 0)
			goto out;
		o = NULL;
	}
	printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	rc = 0;
out:
	json_object_put(o);
	json_object_put(arr);
	return rc;
}

static int status(const char *socket_path, bool json, int timeout_ms)
{
	struct bird_ctl_protos ps = { 0 };
	char err[512], *reply = NULL;
	size_t len, i, down = 0, total = 0;
	int rc;

	rc = bird_ctl_command(socket_path, "show protocols all", timeout_ms, &reply, &len, err,
			      sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "twillctl node status: cannot ask BIRD at %s: %s\n", socket_path,
			err[0] ? err : strerror(-rc));
		return 1;
	}
	rc = bird_ctl_parse_protocols(reply, len, &ps, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "twillctl node status: unreadable reply from BIRD: %s\n",
			err[0] ? err : strerror(-rc));
		rc = 1;
		goto out;
	}
	if (json ? print_json(&ps) < 0 : (print_table(&ps), 0)) {
		fprintf(stderr, "twillctl node status: out of memory\n");
		rc = 1;
		goto out;
	}
	for (i = 0; i < ps.count; i++) {
		const struct bird_ctl_proto *p = &ps.items[i];

		if (strcmp(p->proto, "BGP") != 0)
			continue;
		total++;
		if (bird_ctl_established(p))
			continue;
		down++;
		fprintf(stderr,
			"twillctl node status: session %s to %s (%s %s) is not Established: "
			"%s%s%s\n",
			p->name, or_dash(p->neighbor_address), or_dash(p->twill_type),
			or_dash(p->twill_peer), session_state(p), p->last_error ? ", last error: " : "",
			p->last_error ? p->last_error : "");
	}
	if (!json)
		printf("%zu of %zu BGP sessions Established\n", total - down, total);
	rc = down ? 1 : 0;
out:
	bird_ctl_protos_free(&ps);
	free(reply);
	return rc;
}

static int node_status_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("TWILL_BIRD_SOCKET");
	bool json = false;
	int c, timeout_ms = 5000;
	char *end;

	if (!sock || !*sock)
		sock = DEFAULT_SOCKET;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:o:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "json") == 0) {
				json = true;
			} else if (strcmp(optarg, "table") != 0) {
				fprintf(stderr, "twillctl node status: -o table or json\n");
				return 2;
			}
			break;
		case 't':
			timeout_ms = (int)strtol(optarg, &end, 10);
			if (*end || timeout_ms <= 0 || timeout_ms > 600000) {
				fprintf(stderr, "twillctl node status: --timeout is 1..600000 ms\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return status(sock, json, timeout_ms);
}

int ctl_node_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "status") == 0)
		return node_status_main(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
