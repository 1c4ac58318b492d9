/* twill-ipam: the CNI IPAM plugin over the block IPAM engine.
 *
 * ADD assigns addresses to the handle "<network>.<CNI_CONTAINERID>" and
 * prints them (plus default routes) in the config's cniVersion; DEL releases
 * the handle (idempotent: an unknown handle is success); CHECK verifies that
 * the handle holds exactly the prevResult's addresses; VERSION needs no
 * config. Pools come from the pod's twill.dev/ipv4pools annotation, then its
 * namespace's, then ipam.ipv4_pools (likewise ipv6); the Pod is only looked
 * up when CNI_ARGS names it (a non-Kubernetes runtime does not). Every
 * failure is a CNI error object on stdout and exit status 1; codes and
 * texts are in plugin_result.h. Logs go to stderr or ipam.log_file.
 * ADD and DEL run the engine while holding the node's host lock
 * (host_lock.h, ipam.lock_dir), so the node's concurrent plugin processes
 * queue instead of colliding on the same block; the pod lookups happen
 * before, outside the lock.
 *
 * With ipam.socket set and a server listening there (`twill-ipam serve`,
 * server.h), the plugin only forwards its environment and config and
 * copies the answer: the same code (run_plugin) runs in a server worker,
 * without this process loading libcurl. Nobody listening: the plugin does the work
 * itself. The server took an ADD but died before answering: error 11 (the
 * server may have assigned; the runtime retries); any other command is
 * then done here (DEL is idempotent, CHECK reads). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_cache.h"
#include "check.h"
#include "curl_dl.h"
#include "cni_config.h"
#include "cni_env.h"
#include "cni_version.h"
#include "engine.h"
#include "handle.h"
#include "host_lock.h"
#include "kube_client.h"
#include "kubeconfig.h"
#include "log.h"
#include "plugin_config.h"
#include "plugin_result.h"
#include "server.h"
#include "server_annotate.h"
#include "server_client.h"
#include "snapshot.h"

extern char **environ;

struct plugin {
	struct cni_env env;
	struct cni_net_config net;
	struct ipam_plugin_config cfg;
	struct kube_config kcfg;
	struct kube_client *client;
	struct ipam_api_cache *cache; /* server worker: owns client; NULL: p owns it */
	char handle_id[IPAM_HANDLE_NAME_MAX + 128];
	char node[256];
};

static int print_json(json_object *obj)
{
	const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!text || puts(text) < 0 || fflush(stdout))
		return -EIO;
	return 0;
}

static int fail(const struct cni_error *err, const char *version)
{
	char *text = cni_error_json(err, version && cni_version_supported(version) ? version
									       : NULL);

	log_error("event=error code=%d msg=\"%s\" details=\"%s\"", err->code, err->msg,
		  err->details);
	puts(text ? text : "{\"code\":999,\"msg\":\"out of memory\"}");
	fflush(stdout);
	free(text);
	return 1;
}

/* Level and destination from the config; returns the log file's fd (the
 * caller closes it after the request: a server worker serves many) or -1. */
static int setup_logging(const struct ipam_plugin_config *cfg, const struct cni_net_config *net)
{
	const char *level = cfg->log_level ? cfg->log_level : net->log_level;
	const char *file = cfg->log_file ? cfg->log_file : net->log_file;
	enum log_level lvl = LOG_LEVEL_WARN;
	int fd = -1;

	if (level)
		log_level_parse(level, &lvl);
	log_set_level(lvl);
	if (file) {
		fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			log_set_fd(fd);
	}
	return fd;
}

static int connect_api(struct plugin *p, struct cni_error *err)
{
	char msg[512];
	int rc;

	rc = kube_config_load(p->cfg.kubeconfig, &p->kcfg, msg, sizeof(msg));
	if (rc < 0)
		return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "kubeconfig: %s", msg);
	if (p->cache)
		rc = ipam_api_cache_client(p->cache, &p->kcfg, 5000L,
					   (long)p->cfg.timeout_seconds * 1000L, &p->client);
	else
		rc = kube_client_new_timeouts(&p->kcfg, 5000L,
					      (long)p->cfg.timeout_seconds * 1000L, &p->client);
	if (rc < 0)
		return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "kubeconfig %s: unusable (%s)",
				     p->cfg.kubeconfig ? p->cfg.kubeconfig : "(default)",
				     strerror(-rc));
	return 0;
}

/* Take the node's host lock (unless ipam.lock_dir is ""). 0 or a CNI
 * code with err set; *fd stays -1 when no lock is used. */
static int lock_node(struct plugin *p, int *fd, struct cni_error *err)
{
	char msg[768];
	int rc;

	*fd = -1;
	if (!p->cfg.lock_dir[0])
		return 0;
	rc = ipam_host_lock_acquire(p->cfg.lock_dir, p->node, (long)p->cfg.timeout_seconds * 1000L,
				    fd, msg, sizeof(msg));
	if (rc == -ETIMEDOUT)
		return cni_error_set_details(err, CNI_ERR_TRY_AGAIN, msg, "%s", msg);
	if (rc < 0)
		return cni_error_set_details(err, CNI_ERR_IO, msg, "%s", msg);
	return 0;
}

/* Pools from annotations of the pod (then its namespace) when CNI_ARGS
 * names one. A pod that does not exist (yet/anymore) has no annotations. */
static int annotated_pools(struct plugin *p, char ***v4, size_t *n4, char ***v6, size_t *n6,
			   struct cni_error *err)
{
	static const struct kube_resource pods = { "", "v1", "pods", true };
	static const struct kube_resource nss = { "", "v1", "namespaces", false };
	const char *ns = p->env.k8s.pod_namespace, *name = p->env.k8s.pod_name;
	json_object *pod = NULL, *nsobj = NULL;
	struct kube_error kerr;
	char what[320];
	int rc;

	*v4 = *v6 = NULL;
	*n4 = *n6 = 0;
	if (!ns || !name)
		return 0;
	memset(&kerr, 0, sizeof(kerr));
	snprintf(what, sizeof(what), "reading pod %s/%s", ns, name);
	rc = kube_get(p->client, &pods, ns, name, &pod, &kerr);
	if (rc == -ENOENT) {
		log_info("event=pod_not_found pod=%s/%s", ns, name);
		rc = 0;
	}
	if (rc < 0)
		return ipam_plugin_error(rc, what, kerr.message, p->kcfg.server, err);
	rc = ipam_plugin_pools_from_annotations(pod, NULL, v4, n4, v6, n6, err);
	if (rc == 0 && !*v4 && !*v6) {
		snprintf(what, sizeof(what), "reading namespace %s", ns);
		rc = kube_get(p->client, &nss, NULL, ns, &nsobj, &kerr);
		if (rc == -ENOENT)
			rc = 0;
		if (rc < 0)
			ipam_plugin_error(rc, what, kerr.message, p->kcfg.server, err);
		else
			rc = ipam_plugin_pools_from_annotations(NULL, nsobj, v4, n4, v6, n6, err);
	}
	json_object_put(pod);
	json_object_put(nsobj);
	if (rc < 0 && !cni_error_is_set(err))
		cni_error_set(err, CNI_ERR_INTERNAL, "reading pod annotations: %s", strerror(-rc));
	return rc < 0 ? err->code : 0;
}

static int cmd_add(struct plugin *p, struct ipam_engine *engine, json_object **out,
		   struct cni_error *err)
{
	struct ipam_request req;
	struct ipam_result *res = NULL;
	struct cni_result r;
	char **v4 = NULL, **v6 = NULL;
	size_t n4 = 0, n6 = 0;
	int rc, code = 0, lock_fd = -1;

	cni_result_init(&r);
	if ((code = annotated_pools(p, &v4, &n4, &v6, &n6, err)))
		goto out;
	if (!(res = calloc(1, sizeof(*res)))) {
		code = cni_error_set(err, CNI_ERR_INTERNAL, "out of memory");
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.handle_id = p->handle_id;
	req.node = p->node;
	req.namespace = p->env.k8s.pod_namespace;
	req.pod = p->env.k8s.pod_name;
	req.num_v4 = p->cfg.assign_ipv4 ? 1 : 0;
	req.num_v6 = p->cfg.assign_ipv6 ? 1 : 0;
	req.pools_v4 = (const char *const *)(v4 ? v4 : p->cfg.pools_v4);
	req.pools_v4_count = v4 ? n4 : p->cfg.pools_v4_count;
	req.pools_v6 = (const char *const *)(v6 ? v6 : p->cfg.pools_v6);
	req.pools_v6_count = v6 ? n6 : p->cfg.pools_v6_count;
	if ((code = lock_node(p, &lock_fd, err)))
		goto out;
	rc = ipam_assign(engine, &req, res);
	ipam_host_lock_release(lock_fd);
	if (rc < 0) {
		code = ipam_plugin_error(rc, "assigning addresses", res->error, p->kcfg.server,
					 err);
		goto out;
	}
	if (ipam_plugin_result_build(res, &r) < 0 ||
	    !(*out = cni_result_to_json(&r, p->net.cni_version))) {
		code = cni_error_set(err, CNI_ERR_INTERNAL, "building the result failed");
		goto out;
	}
	log_info("event=add handle=%s node=%s addresses=%zu", p->handle_id, p->node, res->count);
out:
	cni_result_free(&r);
	free(res);
	ipam_plugin_pools_free(v4, n4);
	ipam_plugin_pools_free(v6, n6);
	return code;
}

static int cmd_del(struct plugin *p, struct ipam_engine *engine, struct cni_error *err)
{
	char msg[IPAM_ERROR_MAX] = "";
	size_t released = 0;
	int rc, code, lock_fd;

	if ((code = lock_node(p, &lock_fd, err)))
		return code;
	rc = ipam_release_handle(engine, p->handle_id, &released, msg, sizeof(msg));
	ipam_host_lock_release(lock_fd);
	if (rc < 0)
		return ipam_plugin_error(rc, "releasing addresses", msg, p->kcfg.server, err);
	log_info("event=del handle=%s released=%zu", p->handle_id, released);
	return 0;
}

static int cmd_check(struct plugin *p, struct cni_error *err)
{
	struct ipam_snapshot snap;
	struct cni_result prev;
	struct ip_addr ips[CNI_RESULT_MAX_IPS];
	struct kube_error kerr;
	char msg[512];
	size_t i;
	int rc;

	if (!cni_version_has_check(p->net.cni_version))
		return cni_error_set(err, CNI_ERR_INCOMPATIBLE_VERSION,
				     "CHECK needs cniVersion 0.4.0 or later, config says %s",
				     p->net.cni_version);
	if (!p->net.prev_result)
		return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "prevResult: required for CHECK");
	if (cni_result_parse(p->net.prev_result, "prevResult", &prev, err) < 0)
		return err->code ? err->code : CNI_ERR_DECODE;
	for (i = 0; i < prev.n_ips; i++)
		ips[i] = prev.ips[i].address.addr;
	memset(&kerr, 0, sizeof(kerr));
	rc = ipam_snapshot_load_blocks(p->client, &snap, &kerr);
	if (rc < 0) {
		cni_result_free(&prev);
		return ipam_plugin_error(rc, "reading IPAM blocks", kerr.message, p->kcfg.server,
					 err);
	}
	rc = ipam_check_handle(snap.blocks, snap.block_count, p->handle_id, ips, prev.n_ips, msg,
			       sizeof(msg));
	ipam_snapshot_free(&snap);
	cni_result_free(&prev);
	if (rc < 0)
		return cni_error_set(err, CNI_ERR_INTERNAL, "CHECK: %s", msg);
	return 0;
}

/* One invocation: CNI_* from the environment, the network configuration
 * in input. Returns the exit status. Runs in the plugin process itself
 * (cache NULL) or in a worker of the node-local server (same code, same
 * environment; the worker's API client and its connection are kept in
 * cache between requests, api_cache.h). */
static int run_plugin(const char *input, size_t len, struct ipam_api_cache *cache)
{
	struct plugin p;
	struct cni_error err;
	struct ipam_engine *engine = NULL;
	json_object *result = NULL;
	char *version = NULL;
	int rc, status = 1, code = 0, log_fd = -1;

	memset(&p, 0, sizeof(p));
	p.cache = cache;
	cni_error_clear(&err);
	if (cni_config_version_only(input, len, &version, &err) < 0 &&
	    cni_command_parse(getenv("CNI_COMMAND")) != CNI_CMD_VERSION) {
		status = fail(&err, NULL);
		goto out;
	}
	cni_error_clear(&err);
	if (cni_env_parse(environ, &p.env, &err) < 0) {
		status = fail(&err, version);
		goto out;
	}
	if (p.env.command == CNI_CMD_VERSION) {
		char *text = cni_version_info_json(version && cni_version_supported(version)
							   ? version : NULL);

		status = text && puts(text) >= 0 ? 0 : 1;
		free(text);
		goto out;
	}
	if (cni_config_parse(input, len, &p.net, &err) < 0 ||
	    ipam_plugin_config_parse(p.net.root, &p.cfg, &err) < 0) {
		status = fail(&err, version);
		goto out;
	}
	log_fd = setup_logging(&p.cfg, &p.net);
	if (p.env.command == CNI_CMD_STATUS || p.env.command == CNI_CMD_GC) {
		/* Nothing node-local to report or collect: addresses live in the
		 * API and are collected by `twillctl ipam gc`. */
		status = 0;
		goto out;
	}
	if (ipam_handle_id(p.net.name, p.env.container_id, p.handle_id, sizeof(p.handle_id)) < 0) {
		cni_error_set(&err, CNI_ERR_INVALID_ENV, "CNI_CONTAINERID: cannot form a handle");
		status = fail(&err, p.net.cni_version);
		goto out;
	}
	if ((rc = ipam_plugin_nodename(&p.cfg, IPAM_NODENAME_FILE, p.node, sizeof(p.node))) < 0) {
		cni_error_set(&err, CNI_ERR_INVALID_CONFIG, "ipam.nodename: unset and %s",
			      strerror(-rc));
		status = fail(&err, p.net.cni_version);
		goto out;
	}
	if ((code = connect_api(&p, &err)))
		goto done;
	if (p.env.command != CNI_CMD_CHECK &&
	    (rc = ipam_engine_new(p.client, NULL, &engine)) < 0) {
		code = cni_error_set(&err, CNI_ERR_INTERNAL, "engine: %s", strerror(-rc));
		goto done;
	}
	switch (p.env.command) {
	case CNI_CMD_ADD:
		code = cmd_add(&p, engine, &result, &err);
		break;
	case CNI_CMD_DEL:
		code = cmd_del(&p, engine, &err);
		break;
	case CNI_CMD_CHECK:
		code = cmd_check(&p, &err);
		break;
	default:
		code = cni_error_set(&err, CNI_ERR_INVALID_ENV, "CNI_COMMAND: unsupported");
		break;
	}
done:
	if (code) {
		status = fail(&err, p.net.cni_version);
		goto out;
	}
	status = result && print_json(result) < 0 ? 1 : 0;
out:
	json_object_put(result);
	ipam_engine_free(engine);
	if (!p.cache)
		kube_client_free(p.client);
	kube_config_free(&p.kcfg);
	ipam_plugin_config_free(&p.cfg);
	cni_config_free(&p.net);
	cni_env_free(&p.env);
	free(version);
	if (log_fd >= 0) {
		log_set_fd(STDERR_FILENO);
		close(log_fd);
	}
	return status;
}

/* A worker's API client, kept between the requests it serves. */
static struct ipam_api_cache worker_api;
/* --log-level, for the operations without a network config of their own */
static enum log_level serve_log_level = LOG_LEVEL_INFO;

static int serve_request(const char *config, size_t len, void *arg)
{
	const char *op = getenv(IPAM_SERVER_OP_VAR);

	(void)arg;
	log_init("ipam");
	log_set_level(LOG_LEVEL_WARN);
	if (op && strcmp(op, IPAM_SERVER_OP_ANNOTATE) == 0) {
		log_init("ipam-server");
		log_set_level(serve_log_level);
		return ipam_server_annotate(config, len, &worker_api);
	}
	if (op) {
		struct cni_error err;

		cni_error_clear(&err);
		cni_error_set(&err, CNI_ERR_INVALID_ENV, IPAM_SERVER_OP_VAR ": unknown operation %s",
			      op);
		return fail(&err, NULL);
	}
	return run_plugin(config, len, &worker_api);
}

static volatile sig_atomic_t stop_serving;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_serving = 1;
}

static int serve_usage(FILE *f, int status)
{
	fprintf(f, "usage: twill-ipam serve [--socket=PATH] [--workers=N] "
		   "[--log-level=LEVEL]\n"
		   "  Node-local IPAM server: plugins whose config has ipam.socket = PATH\n"
		   "  hand their request to it; a pool of worker processes runs them.\n"
		   "  --socket     Unix socket (default " IPAM_SERVER_SOCKET ")\n"
		   "  --workers    requests served at once (default %d)\n"
		   "  --log-level  debug|info|warn|error (default info)\n",
		IPAM_SERVER_WORKERS);
	return status;
}

/* `twill-ipam serve`: server.h. */
static int serve_main(int argc, char **argv)
{
	struct ipam_server_opts opts = { IPAM_SERVER_SOCKET, IPAM_SERVER_WORKERS,
					 IPAM_SERVER_CHILD_TIMEOUT_S,
					 IPAM_SERVER_REQUESTS_PER_WORKER };
	const struct curl_dl *curl;
	struct sigaction sa;
	enum log_level level = LOG_LEVEL_INFO;
	char *end;
	long v;
	int i, fd = -1, rc;

	log_init("ipam-server");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return serve_usage(stdout, 0);
		if (!strncmp(a, "--socket=", 9) && a[9]) {
			opts.socket_path = a + 9;
		} else if (!strncmp(a, "--workers=", 10)) {
			errno = 0;
			v = strtol(a + 10, &end, 10);
			if (errno || *end || v < 1 || v > 256) {
				fprintf(stderr, "twill-ipam serve: --workers: 1..256\n");
				return 2;
			}
			opts.workers = (unsigned)v;
		} else if (!strncmp(a, "--log-level=", 12)) {
			if (log_level_parse(a + 12, &level) < 0) {
				fprintf(stderr, "twill-ipam serve: --log-level: debug|info|warn|error\n");
				return 2;
			}
		} else {
			fprintf(stderr, "twill-ipam serve: unknown argument %s\n", a);
			return serve_usage(stderr, 2);
		}
	}
	log_set_level(level);
	serve_log_level = level;
	/* The point of the server: libcurl loaded and initialised once, here. */
	if (curl_dl_get(&curl) < 0) {
		log_error("event=start_failed reason=\"libcurl: %s\"", curl_dl_error());
		return 1;
	}
	if ((rc = ipam_server_listen(opts.socket_path, &fd)) < 0) {
		log_error("event=start_failed socket=%s err=\"%s\"", opts.socket_path,
			  strerror(-rc));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("event=listening socket=%s workers=%u", opts.socket_path, opts.workers);
	rc = ipam_server_run(fd, &opts, serve_request, NULL, &stop_serving);
	close(fd);
	if (rc < 0) {
		log_error("event=stopped err=\"%s\"", strerror(-rc));
		return 1;
	}
	log_info("event=stopped");
	return 0;
}

int main(int argc, char **argv)
{
	struct cni_error err;
	char sock[IPAM_SOCKET_PATH_MAX + 1], *input = NULL;
	enum cni_command cmd;
	size_t len = 0;
	bool sent = false;
	int rc, status;

	if (argc > 1 && !strcmp(argv[1], "serve"))
		return serve_main(argc - 1, argv + 1);
	log_init("ipam");
	log_set_level(LOG_LEVEL_WARN);
	cni_error_clear(&err);
	if ((rc = cni_read_stdin(STDIN_FILENO, &input, &len)) < 0) {
		cni_error_set(&err, CNI_ERR_IO, "stdin: %s", strerror(-rc));
		return fail(&err, NULL);
	}
	cmd = cni_command_parse(getenv("CNI_COMMAND"));
	if (cmd != CNI_CMD_VERSION && ipam_plugin_socket_path(input, len, sock, sizeof(sock)) == 0) {
		rc = ipam_server_call(sock, environ, input, len, STDOUT_FILENO,
				      IPAM_SERVER_CHILD_TIMEOUT_S + 10, &status, &sent);
		if (rc == 0) {
			free(input);
			return status;
		}
		if (sent && cmd == CNI_CMD_ADD) {
			/* The server may have assigned: running ADD again here
			 * could double it. The runtime retries (after a DEL). */
			struct cni_error verr;
			char *version = NULL;

			cni_error_clear(&verr);
			cni_config_version_only(input, len, &version, &verr);
			cni_error_set(&err, CNI_ERR_TRY_AGAIN,
				      "IPAM server at %s took the request but gave no answer; "
				      "try again", sock);
			status = fail(&err, version);
			free(version);
			free(input);
			return status;
		}
		log_info("event=server_fallback socket=%s reason=\"%s\"", sock,
			 sent ? "no answer" : "not reachable");
	}
	status = run_plugin(input, len, NULL);
	free(input);
	return status;
}
