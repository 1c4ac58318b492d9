/* fd_io: whole-buffer reads and writes on a file descriptor.
 *
 * Contract:
 * - fd_write_all(): writes all len bytes, retrying on EINTR and short
 *   writes. On a socket it sends with MSG_NOSIGNAL, so a peer that went
 *   away is -EPIPE instead of a SIGPIPE killing the process; on anything
 *   else (pipe, file, tty) it writes. 0 or -errno.
 * - fd_read_all(): reads to EOF into a malloc'd, NUL-terminated buffer
 *   (*len bytes, the caller frees). 0, -EFBIG when the input is longer than
 *   max bytes, -ENOMEM, or the read's -errno (EINTR is retried; a receive
 *   timeout on a socket is -EAGAIN). */
#ifndef TWILL_FD_IO_H
#define TWILL_FD_IO_H

#include <stddef.h>

int fd_write_all(int fd, const void *buf, size_t len);
int fd_read_all(int fd, size_t max, char **out, size_t *len);

#endif
