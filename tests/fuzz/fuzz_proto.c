// SPDX-License-Identifier: BSD-3-Clause
/* libFuzzer target for the module<->helper transport (lib/proto.c): arbitrary records with
 * arbitrary fds over a real SOCK_SEQPACKET socketpair into nsbox_recv, then the checks the helper
 * (nsbox_request_ok) and the module (nsbox_reply_ok) make before they trust a field. Runs
 * unprivileged. Built and run by `make fuzz`; replayed over its corpus by `make check`.
 *
 * Input: byte 0 says how (bits 0-1: fds attached, 0..3; bit 2: the receiver takes no fd, as the
 * supervisor's CLOSE loop; bits 3-4: request, reply, or a record of the wrong size; bit 5: the
 * peer hangs up before sending; bit 6: an empty record), the rest is the record's bytes.
 * Checked: a record is accepted only when it is exactly the expected size with at most the one
 * fd the receiver asked for; every fd that was not handed over is closed; whatever passes the
 * validation holds NUL-terminated strings that are read here in full (ASan sees an overrun).
 */
#include "../../lib/proto.c"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <stdbool.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FD_SPAN 64 /* every fd this input can make is below base + FD_SPAN */

static size_t
use(const char *s)
{
	char copy[1024];

	return (size_t)snprintf(copy, sizeof(copy), "%s", s);
}

static void
check_request(const struct nsbox_request *req)
{
	if (!nsbox_request_ok(req))
		return;
	if (req->op != NSBOX_OP_OPEN || req->version != NSBOX_PROTO_VERSION || !req->user[0] ||
	    req->conf[0] != '/')
		__builtin_trap();
	if (use(req->user) >= sizeof(req->user) || use(req->service) >= sizeof(req->service) ||
	    use(req->conf) >= sizeof(req->conf))
		__builtin_trap();
	for (const char *c = req->user; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			__builtin_trap();
}

static void
check_reply(const struct nsbox_reply *rep)
{
	if (!nsbox_reply_ok(rep))
		return;
	if (use(rep->msg) >= sizeof(rep->msg) || use(rep->id) >= sizeof(rep->id))
		__builtin_trap();
	/* the module reads the addresses only after its own nsbox_str_ok */
	if (nsbox_str_ok(rep->ipv4, sizeof(rep->ipv4)))
		use(rep->ipv4);
	if (nsbox_str_ok(rep->ipv6, sizeof(rep->ipv6)))
		use(rep->ipv6);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union {
		struct nsbox_request req;
		struct nsbox_reply rep;
		char raw[sizeof(struct nsbox_request) + sizeof(struct nsbox_reply)];
	} in;
	const unsigned nfd = size ? data[0] & 3 : 0;
	const bool want_fd = size && !(data[0] & 4);
	const unsigned kind = size ? (data[0] >> 3) & 3 : 0;
	const bool hangup = size && (data[0] & 32), empty = size && (data[0] & 64);
	const size_t want = kind == 1 ? sizeof(struct nsbox_reply)
			    : kind == 2 ? sizeof(struct nsbox_request) / 2
					: sizeof(struct nsbox_request);
	int sv[2], fds[3] = { -1, -1, -1 }, fd = -2, base, r;
	size_t len = size ? size - 1 : 0;
	uint64_t open_before = 0;

	if (len > sizeof(in.raw) + 64)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	base = sv[0] < sv[1] ? sv[0] : sv[1];
	for (int f = 0; f < FD_SPAN; f++)
		if (base + f != sv[0] && base + f != sv[1] && fcntl(base + f, F_GETFD) >= 0)
			open_before |= 1ull << f;
	if (hangup)
		close(sv[1]);
	else {
		for (unsigned i = 0; i < nfd; i++)
			if ((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
				abort();
		/* nsbox_send attaches one fd; more take a hand-made control message */
		struct iovec iov = { .iov_base = (void *)(uintptr_t)(data + 1),
				     .iov_len = empty ? 0 : len };
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(fds))];
		} ctl;
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
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
		if (sendmsg(sv[1], &msg, MSG_NOSIGNAL) < 0)
			abort();
		for (unsigned i = 0; i < nfd; i++)
			close(fds[i]);
		close(sv[1]);
	}

	memset(&in, 0xa5, sizeof(in)); /* no accidental terminator from a zeroed buffer */
	r = nsbox_recv(sv[0], in.raw, want, want_fd ? &fd : NULL);
	if (want_fd && r < 0 && fd != -1)
		__builtin_trap(); /* a failed receive hands over nothing */
	if (r == 0) {
		if (hangup || empty || len != want || nfd > (want_fd ? 1u : 0u))
			__builtin_trap();
		if (want_fd && (nfd == 1) != (fd >= 0))
			__builtin_trap();
		if (fd >= 0) {
			if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
				__builtin_trap();
			close(fd);
		}
		if (kind == 1)
			check_reply(&in.rep);
		else if (kind == 0)
			check_request(&in.req);
	} else if (r != -EBADMSG && r != -ECONNRESET)
		__builtin_trap();
	if ((hangup || empty) && r != -ECONNRESET)
		__builtin_trap();
	close(sv[0]);

	/* nothing the record carried stays open */
	for (int f = 0; f < FD_SPAN; f++)
		if ((fcntl(base + f, F_GETFD) >= 0) != !!(open_before & (1ull << f)))
			__builtin_trap();

	/* the validators also see every input as it is, without the transport */
	memset(&in, 0, sizeof(in));
	memcpy(in.raw, data + (size > 0), len < sizeof(in.raw) ? len : sizeof(in.raw));
	check_request(&in.req);
	check_reply(&in.rep);
	return 0;
}
