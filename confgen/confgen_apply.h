/* confgen_apply: put a rendered BIRD configuration into service safely.
 *
 * Contract of confgen_apply():
 * 1. If the file at config_path already holds exactly this text, nothing
 *    happens (changed = false): renders are deterministic, so an unchanged
 *    datastore never reloads BIRD — unless reconfigure_unchanged is set (the
 *    caller does not know that the running BIRD has loaded this file: at
 *    start-up, or after a failed `configure`), then only step 4 runs.
 * 2. Otherwise the text goes to a new temporary file beside config_path
 *    (mode 0600: it holds MD5 passwords), fsync'd, and `bird -p -c TMP` must
 *    accept it. If BIRD rejects it, the temporary file is removed, the file
 *    at config_path is left exactly as it was, rejected = true, message holds
 *    BIRD's complaint, and -EINVAL is returned. A bad render therefore never
 *    replaces a working configuration.
 * 3. An accepted file is rename()d over config_path (atomic: readers see the
 *    old or the new file, never a mix) and the directory fsync'd.
 * 4. With a control socket, `birdc -s SOCK configure` asks the running BIRD
 *    to load it; a failure there is -EIO with birdc's output in message (the
 *    new file stays: it passed the parser and BIRD re-reads it on restart).
 * message never contains the configuration text. Child processes get at most
 * CONFGEN_CHILD_TIMEOUT_MS and are killed after that (-ETIMEDOUT). */
#ifndef TWILL_CONFGEN_APPLY_H
#define TWILL_CONFGEN_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#define CONFGEN_CHILD_TIMEOUT_MS 30000

struct confgen_apply_opts {
	const char *config_path;	/* the file BIRD reads */
	const char *bird_path;		/* NULL: "bird" from PATH */
	const char *birdc_path;		/* NULL: "birdc" from PATH */
	const char *control_socket;	/* NULL: do not reconfigure */
	bool reconfigure_unchanged;	/* run step 4 even for an unchanged file */
};

struct confgen_apply_result {
	bool changed;		/* config_path now holds the new text */
	bool rejected;		/* bird -p refused the text */
	bool reconfigured;	/* birdc configure succeeded */
	char message[1024];	/* BIRD's or birdc's words, one line */
};

int confgen_apply(const struct confgen_apply_opts *opts, const char *text, size_t len,
		  struct confgen_apply_result *res);

/* Run argv (argv[0] looked up in PATH), collecting stdout+stderr into out
 * (NUL-terminated, truncated to size). *status gets the wait status. 0,
 * -ETIMEDOUT (child killed), or -errno from spawning. */
int confgen_run(char *const argv[], char *out, size_t size, int *status, int timeout_ms);

#endif
