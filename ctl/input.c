/* input: reading a manifest file or stdin whole, for the verbs that take
 * -f. Whole-file reads keep the YAML parser simple (it wants one buffer) and
 * manifests are small; CTL_MAX_INPUT bounds the damage of a wrong path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int ctl_read_file(const char *path, char **out, size_t *len)
{
	FILE *f = NULL;
	char *buf = NULL, *grown;
	size_t size = 0, cap = 0, n;
	int ret = 0;

	*out = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0) {
		f = stdin;
	} else {
		f = fopen(path, "rb");
		if (!f)
			return -errno;
	}
	for (;;) {
		if (cap - size < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (cap > CTL_MAX_INPUT + 1)
				cap = CTL_MAX_INPUT + 1;
			if (cap - size == 0) {
				ret = -EFBIG;
				goto out;
			}
			grown = realloc(buf, cap + 1);
			if (!grown) {
				ret = -ENOMEM;
				goto out;
			}
			buf = grown;
		}
		n = fread(buf + size, 1, cap - size, f);
		size += n;
		if (n == 0) {
			if (ferror(f)) {
				ret = errno ? -errno : -EIO;
				goto out;
			}
			break;
		}
	}
	if (size > CTL_MAX_INPUT) {
		ret = -EFBIG;
		goto out;
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf) {
			ret = -ENOMEM;
			goto out;
		}
	}
	buf[size] = '\0';
	*out = buf;
	*len = size;
	buf = NULL;
out:
	free(buf);
	if (f && f != stdin)
		fclose(f);
	return ret;
}
