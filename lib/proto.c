// SPDX-License-Identifier: BSD-3-Clause
/* Record transport for include/nsbox/proto.h; linked into both pam_nsbox.so (in the PAM
 * application) and nsbox-helper, so it must not log, exit or allocate. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nsbox/proto.h"

int
nsbox_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfd)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(NSBOX_MAX_FDS * sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfd > NSBOX_MAX_FDS)
		return -EINVAL;
	if (nfd) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfd * sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

int
nsbox_send(int sock, const void *buf, size_t len, int fd)
{
	return nsbox_send_fds(sock, buf, len, &fd, fd >= 0);
}

int
nsbox_recv_fds(int sock, void *buf, size_t len, int *fds, size_t nfd, int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	/* room for more than we take, so that extra fds are seen (and closed), not cut off */
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * (NSBOX_MAX_FDS + 2))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	size_t got = 0;
	int bad = nfd > NSBOX_MAX_FDS;
	ssize_t n;

	for (size_t i = 0; i < nfd && i < NSBOX_MAX_FDS; i++)
		fds[i] = -1;
	if (bad)
		return -EINVAL;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < nfd)
				fds[got++] = f;
			else {
				close(f);
				bad = 1;
			}
		}
	}
	if (n == 0 || bad || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n != len) {
		for (size_t i = 0; i < got; i++) {
			close(fds[i]);
			fds[i] = -1;
		}
		return n == 0 ? -ECONNRESET : -EBADMSG;
	}
	return (int)got;
}

static long
ms_until(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

int
nsbox_wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec end;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	/* a signal (the application's SIGCHLD) does not restart the wait with the whole timeout,
	 * and once the deadline passed it is over even if signals keep interrupting it */
	while ((r = poll(&p, 1, timeout_ms < 0 ? -1 : (int)ms_until(&end))) < 0 && errno == EINTR)
		if (timeout_ms >= 0 && ms_until(&end) == 0) {
			r = 0;
			break;
		}
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

int
nsbox_recv(int sock, void *buf, size_t len, int *fd)
{
	int r = nsbox_recv_fds(sock, buf, len, fd, fd != NULL, 0);

	return r < 0 ? r : 0;
}

int
nsbox_str_ok(const char *s, size_t n)
{
	size_t len = strnlen(s, n);

	if (len == n)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int
nsbox_request_ok(const struct nsbox_request *req)
{
	return req->version == NSBOX_PROTO_VERSION && req->op == NSBOX_OP_OPEN &&
	       nsbox_str_ok(req->user, sizeof(req->user)) && req->user[0] &&
	       nsbox_str_ok(req->service, sizeof(req->service)) &&
	       nsbox_str_ok(req->conf, sizeof(req->conf)) && req->conf[0] == '/';
}

int
nsbox_reply_ok(const struct nsbox_reply *rep)
{
	return rep->version == NSBOX_PROTO_VERSION && nsbox_str_ok(rep->msg, sizeof(rep->msg)) &&
	       nsbox_str_ok(rep->id, sizeof(rep->id));
}
