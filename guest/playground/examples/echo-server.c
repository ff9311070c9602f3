/*
 * An epoll echo server with a client, over loopback (127.0.0.1) only.
 *
 * The server listens on a port the kernel picks, then forks a client that
 * sends a few lines and reads each echo back. The server itself is one
 * epoll loop: the listening socket becomes readable when a connection is
 * waiting (accept it, watch it too), a connection becomes readable when
 * data arrives (echo it) or when the client closes (read returns 0: stop
 * watching it, which close() does by itself).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static const char *const lines[] = { "hello", "epoll", "goodbye" };

static void client(struct sockaddr_in *addr)
{
	char buf[64];
	unsigned int i;
	ssize_t n;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0 || connect(s, (struct sockaddr *)addr, sizeof(*addr)) < 0)
		die("client connect");
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (write(s, lines[i], strlen(lines[i])) < 0)
			die("client write");
		/* Short lines over loopback come back in one piece. */
		n = read(s, buf, sizeof(buf) - 1);
		if (n <= 0)
			die("client read");
		buf[n] = 0;
		printf("client: sent \"%s\", got back \"%s\"\n", lines[i], buf);
		fflush(stdout);
	}
	close(s);
	_exit(0);
}

int main(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	struct epoll_event ev, events[8];
	int listener, ep, open_conns = 0, served = 0;
	int i, n;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	/* Port 0: the kernel picks a free one; getsockname says which. */
	if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(listener, 8) < 0 || getsockname(listener, (struct sockaddr *)&addr, &len) < 0)
		die("listen");
	printf("server: listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
	fflush(stdout);

	/* Listening before the fork: the client's connect cannot come too early. */
	if (fork() == 0)
		client(&addr);

	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = listener;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev) < 0)
		die("epoll");

	/* Serve until the one client has come and gone. */
	while (served == 0 || open_conns > 0) {
		n = epoll_wait(ep, events, 8, -1);
		if (n < 0)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			char buf[256];
			ssize_t got;

			if (fd == listener) {
				int conn = accept(listener, NULL, NULL);

				if (conn < 0)
					die("accept");
				ev.events = EPOLLIN;
				ev.data.fd = conn;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, conn, &ev) < 0)
					die("EPOLL_CTL_ADD");
				open_conns++;
				served++;
				printf("server: accepted fd %d\n", conn);
				continue;
			}
			got = read(fd, buf, sizeof(buf));
			if (got > 0) {
				printf("server: echoing %zd bytes on fd %d\n", got, fd);
				if (write(fd, buf, got) != got)
					die("echo");
			} else {
				printf("server: fd %d closed by the client\n", fd);
				close(fd);
				open_conns--;
			}
			fflush(stdout);
		}
	}
	wait(NULL);
	return 0;
}
