/* L4 connections per second: a connect-send-echo-close client and an echo backend, one epoll
 * thread each (bench/l4.sh compiles this with cc on the fly).
 *
 *   l4_bench backend ADDR:PORT
 *       echoes whatever comes, closes when the peer does
 *   l4_bench client ADDR:PORT CONC SECS [SIZE [NSRC]]
 *       keeps CONC connections in flight for SECS seconds; each connects, sends SIZE bytes
 *       (default 64), reads them back, checks them and closes; then the next one starts.
 *       Source addresses rotate over 127.0.0.1 .. 127.0.0.NSRC (default 8; 1 = the kernel's choice)
 *       with IP_BIND_ADDRESS_NO_PORT, so the client's TIME_WAIT ports are spread over NSRC
 *       address pairs. Prints one line: completed connections, conns/s, failed connections (and
 *       why, when any failed). A failure is a connect error, a reset, an end of stream before the
 *       whole echo, wrong bytes, or no echo within 2 s (also counted for a connection still in
 *       flight at the end); the younger ones in flight at the end count neither way.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define STUCK_SECS 2.0
#define MAX_SIZE 4096

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static struct sockaddr_in parse(const char *s) {
    struct sockaddr_in a = {.sin_family = AF_INET};
    char host[64];
    const char *colon = strrchr(s, ':');
    if (!colon || colon - s >= (long)sizeof host) {
        fprintf(stderr, "l4_bench: want ADDR:PORT, got %s\n", s);
        exit(2);
    }
    memcpy(host, s, colon - s);
    host[colon - s] = 0;
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        fprintf(stderr, "l4_bench: not an IPv4 address: %s\n", host);
        exit(2);
    }
    a.sin_port = htons(atoi(colon + 1));
    return a;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static _Noreturn void backend(struct sockaddr_in addr) {
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(ls, (struct sockaddr *)&addr, sizeof addr) || listen(ls, 4096))
        die("l4_bench backend: bind/listen");
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}, evs[256];
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    char buf[65536];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);
            if (r > 0) {
                /* Small payloads: the socket's send buffer takes all of it. */
                if (write(fd, buf, r) != r)
                    close(fd);
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                close(fd); /* also leaves the epoll set */
            }
        }
    }
}

enum { F_CONNECT, F_RESET, F_SHORT, F_WRONG, F_STUCK, F_KINDS };
static const char *fail_name[F_KINDS] = {"connect", "reset", "short", "wrong bytes", "stuck"};

struct conn {
    int fd, sent, got;
    double started;
};

static struct sockaddr_in target;
static int ep, size, nsrc, next_src, idle;
static char payload[MAX_SIZE];
static long fails[F_KINDS];

/* Opens slot's next connection; on a connect that fails at once the slot stays idle (fd -1) and
 * the main loop tries again. */
static void start(struct conn *c, int slot) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    if (fd < 0)
        die("l4_bench client: socket");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (nsrc > 1) {
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(0x7f000001 + next_src);
        next_src = (next_src + 1) % nsrc;
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&src, sizeof src))
            die("l4_bench client: bind source address");
    }
    c->sent = c->got = 0;
    c->started = now();
    if (connect(fd, (struct sockaddr *)&target, sizeof target) == 0 || errno == EINPROGRESS) {
        c->fd = fd;
        struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = slot};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        return;
    }
    fails[F_CONNECT]++; /* refused at once, or EADDRNOTAVAIL: no ephemeral port left */
    close(fd);
    c->fd = -1;
    idle++;
}

static int client(int conc, double secs) {
    struct conn *cs = calloc(conc, sizeof *cs);
    struct epoll_event *evs = calloc(conc, sizeof *evs);
    char buf[MAX_SIZE];
    long ok = 0;
    for (int i = 0; i < size; i++)
        payload[i] = 'a' + i % 26;
    ep = epoll_create1(0);
    double t0 = now(), end = t0 + secs, last_scan = t0;
    for (int i = 0; i < conc; i++)
        start(&cs[i], i);
    for (;;) {
        int n = epoll_wait(ep, evs, conc, 100);
        for (int i = 0; i < n; i++) {
            int slot = evs[i].data.u32, fail = -1;
            struct conn *c = &cs[slot];
            if (!c->sent) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) {
                    fail = F_CONNECT;
                } else if (write(c->fd, payload, size) != size) {
                    fail = F_RESET;
                } else {
                    c->sent = 1;
                    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = slot};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                    continue;
                }
            } else {
                ssize_t r = read(c->fd, buf, sizeof buf);
                if (r < 0 && (errno == EAGAIN || errno == EINTR))
                    continue;
                if (r < 0)
                    fail = F_RESET;
                else if (r == 0)
                    fail = F_SHORT;
                else if (c->got + r > size || memcmp(buf, payload + c->got, r))
                    fail = F_WRONG;
                else if ((c->got += r) < size)
                    continue;
            }
            close(c->fd);
            if (fail < 0)
                ok++;
            else
                fails[fail]++;
            start(c, slot);
        }
        double t = now();
        if (t >= end)
            break;
        if (idle) {
            if (idle == conc)
                usleep(1000); /* nothing in flight: do not spin on a target that refuses */
            for (int i = 0, was = idle; i < conc && was; i++)
                if (cs[i].fd < 0) {
                    idle--, was--;
                    start(&cs[i], i);
                }
        }
        if (t - last_scan >= 0.5) {
            last_scan = t;
            for (int i = 0; i < conc; i++)
                if (cs[i].fd >= 0 && t - cs[i].started > STUCK_SECS) {
                    close(cs[i].fd);
                    fails[F_STUCK]++;
                    start(&cs[i], i);
                }
        }
    }
    double took = now() - t0, t = now();
    for (int i = 0; i < conc; i++)
        if (cs[i].fd >= 0 && t - cs[i].started > STUCK_SECS)
            fails[F_STUCK]++;
    long failed = 0;
    for (int k = 0; k < F_KINDS; k++)
        failed += fails[k];
    printf("%ld conns in %.1f s: %.0f conns/s, %ld failed", ok, took, ok / took, failed);
    for (int k = 0, first = 1; k < F_KINDS; k++)
        if (fails[k]) {
            printf("%s%s %ld", first ? " (" : ", ", fail_name[k], fails[k]);
            first = 0;
        }
    printf("%s\n", failed ? ")" : "");
    /* The connections still in flight are left to exit(). */
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "backend"))
        backend(parse(argv[2]));
    if (argc >= 5 && !strcmp(argv[1], "client")) {
        target = parse(argv[2]);
        size = argc > 5 ? atoi(argv[5]) : 64;
        nsrc = argc > 6 ? atoi(argv[6]) : 8;
        if (size < 1 || size > MAX_SIZE || nsrc < 1 || nsrc > 254) {
            fprintf(stderr, "l4_bench: SIZE 1..%d, NSRC 1..254\n", MAX_SIZE);
            return 2;
        }
        return client(atoi(argv[3]), atof(argv[4]));
    }
    fprintf(stderr, "usage: l4_bench backend ADDR:PORT\n"
                    "       l4_bench client ADDR:PORT CONC SECS [SIZE [NSRC]]\n");
    return 2;
}
