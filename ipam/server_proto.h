/* server_proto: the bytes between the twill-ipam plugin and its node-local
 * server (`twill-ipam serve`, server.h) on a Unix stream socket.
 *
 * Request (client -> server), then the client shuts down its write side:
 *     "TWIPAM1\n"                  magic and protocol version
 *     "K=V\0" ... "\0"             the forwarded environment, an empty
 *                                  entry ends it (at most 64 entries and
 *                                  IPAM_SERVER_ENV_MAX bytes)
 *     <network configuration>      the plugin's stdin, to EOF (at most
 *                                  CNI_STDIN_MAX bytes)
 * Reply (server -> client), then the server closes:
 *     <plugin stdout> "\0" <status> "\n"
 * where <status> is the plugin's exit status in decimal, or "refused" when
 * the server did not run the request (a request it cannot decode, e.g. a
 * client of another version): the client then does the work itself. A reply
 * without the trailer means the server (or its child) died mid-request.
 * CNI output is JSON, which never holds a NUL byte, so the last NUL of a
 * reply is the trailer's.
 *
 * Forwarded variables: every CNI_* (the invocation) and KUBECONFIG,
 * KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT (where the kubeconfig
 * loader looks when the config names no kubeconfig), and TWILL_SERVER_OP,
 * which selects the operation: unset, the IPAM plugin; "pod-annotations",
 * twill-cni's Pod annotation patch (server_annotate.h), whose "network
 * configuration" is that request's JSON. Nothing else: the request must
 * not change how the server's worker runs otherwise. A server older than
 * TWILL_SERVER_OP refuses such a request (not forwarded), and the client
 * does the work itself.
 *
 * Contract: encode returns 0 with a malloc'd buffer, or -ENOMEM / -E2BIG
 * (environment or config over the limits). decode works in place: the
 * request's strings point into buf, which must outlive it; 0 or -EPROTO
 * (bad magic, missing terminator, an entry without '=' or one that is not
 * forwarded, over the limits) or -ENOMEM. reply_parse: 0 with the body's
 * length and status (IPAM_SERVER_REFUSED for "refused"), -EPROTO when the
 * trailer is missing or malformed. */
#ifndef TWILL_IPAM_SERVER_PROTO_H
#define TWILL_IPAM_SERVER_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define IPAM_SERVER_MAGIC "TWIPAM1\n"
#define IPAM_SERVER_MAGIC_LEN 8
#define IPAM_SERVER_ENV_MAX (64 * 1024)
#define IPAM_SERVER_ENV_COUNT_MAX 64
#define IPAM_SERVER_REFUSED (-1)

struct ipam_server_request {
	char *env[IPAM_SERVER_ENV_COUNT_MAX + 1]; /* NULL-terminated, into buf */
	size_t env_count;
	const char *config; /* into buf; config_len bytes */
	size_t config_len;
};

/* Whether "K=V" (or a bare name "K") travels with a request. */
bool ipam_server_forwarded(const char *entry);

int ipam_server_request_encode(char *const *envp, const char *config, size_t len, char **out,
			       size_t *out_len);
int ipam_server_request_decode(char *buf, size_t len, struct ipam_server_request *out);

/* Trailer for status (>= 0, or IPAM_SERVER_REFUSED) into buf: its length,
 * or -ENOSPC. */
int ipam_server_trailer(int status, char *buf, size_t size);
int ipam_server_reply_parse(const char *buf, size_t len, size_t *body_len, int *status);

#endif
