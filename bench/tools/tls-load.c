/*
 * tls-load: a cheap TLS load generator for tlsedge's benchmarks.
 * Keeps N non-blocking connections busy doing full TLS handshakes (no session reuse, no
 * certificate verification: the client's own cost must stay below the server's), optionally one
 * small HTTP request per connection, and prints one JSON line with the rate and its own CPU time.
 * Built on wolfSSL (Debian libwolfssl-dev): measured here at ~0.55 ms of CPU per TLS 1.3 handshake,
 * against ~0.7 ms for GnuTLS and ~0.85 ms for OpenSSL 3.0 clients — and a Node server's ~0.8 ms.
 *
 *   tls-load --port 8443 [--host 127.0.0.1] [--sni NAME] [--concurrency 32] [--seconds 5]
 *            [--tls 1.3|1.2] [--request PATH] [--group X25519|P-256|P-384]
 *
 * Paced keep-alive mode (--rate R with --request PATH): each connection handshakes once, then
 * sends requests on a fixed schedule (R per second over all connections) and waits for each
 * response (Content-Length framing). Latency is measured from the *scheduled* send time, so a
 * stalled server is charged for the requests it delayed (no coordinated omission); prints p50,
 * p90, p99 and max in milliseconds.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum phase { CONNECTING, HANDSHAKING, WRITING, READING, WAITING };

struct conn {
  int fd;
  WOLFSSL *ssl;
  enum phase phase;
  size_t sent;
  /* paced mode: when the current request was due, and the response bytes still expected */
  double due;
  long expect; /* -1: still reading the head */
  char head[4096];
  size_t headLen;
};

static const char *host = "127.0.0.1", *sni = "localhost", *path = NULL;
static word16 group = WOLFSSL_ECC_X25519;
static int port = 8443, concurrency = 32, tls13 = 1;
static double seconds = 5;
static double rate = 0; /* paced keep-alive requests per second (0: off) */
static double measureFrom; /* paced mode: ignore the first half second (handshakes, warm-up) */
static double *latencies;
static long latencyCount, latencyCap;
static WOLFSSL_CTX *ctx;
static int ep;
static char request[1024];
static size_t request_len;
static long handshakes, requests, failures;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void watch(struct conn *c, unsigned events, int op) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(ep, op, c->fd, &ev);
}

static void open_conn(struct conn *c) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &addr.sin_addr);
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct linger lg = {1, 0}; /* RST on close: no TIME_WAIT pile-up on loopback */
  setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  c->ssl = wolfSSL_new(ctx);
  wolfSSL_set_fd(c->ssl, c->fd);
  wolfSSL_UseSNI(c->ssl, WOLFSSL_SNI_HOST_NAME, sni, (unsigned short)strlen(sni));
  if (tls13) wolfSSL_UseKeyShare(c->ssl, group);
  c->phase = CONNECTING;
  c->sent = 0;
  if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
    failures++;
  }
  watch(c, EPOLLOUT, EPOLL_CTL_ADD);
}

static void close_conn(struct conn *c, int failed) {
  if (failed) failures++;
  wolfSSL_free(c->ssl);
  close(c->fd);
  open_conn(c);
}

static void record_latency(double s) {
  if (latencyCount == latencyCap) {
    latencyCap = latencyCap ? latencyCap * 2 : 65536;
    latencies = realloc(latencies, (size_t)latencyCap * sizeof *latencies);
  }
  latencies[latencyCount++] = s;
}

/* Paced mode: consumes response bytes; true once the whole response (head + Content-Length) is in. */
static int response_done(struct conn *c, const char *buf, size_t n) {
  if (c->expect < 0) {
    size_t take = n < sizeof c->head - c->headLen ? n : sizeof c->head - c->headLen;
    memcpy(c->head + c->headLen, buf, take);
    c->headLen += take;
    char *end = memmem(c->head, c->headLen, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t headBytes = (size_t)(end - c->head) + 4;
    long length = 0;
    for (char *p = c->head; p < end; p++) {
      if ((p == c->head || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0) length = atol(p + 15);
    }
    c->expect = length - (long)(c->headLen - headBytes) - (long)(n - take);
  } else {
    c->expect -= (long)n;
  }
  return c->expect <= 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void step(struct conn *c) {
  for (;;) {
    int r = 0, err;
    switch (c->phase) {
    case CONNECTING:
      c->phase = HANDSHAKING;
      /* fall through */
    case HANDSHAKING:
      r = wolfSSL_connect(c->ssl);
      if (r == WOLFSSL_SUCCESS) {
        handshakes++;
        if (!path) { close_conn(c, 0); return; }
        if (rate > 0) { /* the main loop sends when due; spread the first requests over one period */
          if (c->due == 0) c->due = now() + ((double)rand() / RAND_MAX) * (concurrency / rate);
          c->phase = WAITING;
          return;
        }
        c->phase = WRITING;
        continue;
      }
      break;
    case WRITING:
      r = wolfSSL_write(c->ssl, request + c->sent, (int)(request_len - c->sent));
      if (r > 0) {
        c->sent += (size_t)r;
        if (c->sent == request_len) {
          c->phase = READING;
          c->expect = -1;
          c->headLen = 0;
        }
        continue;
      }
      break;
    case WAITING:
      return;
    case READING: {
      char buf[16384];
      r = wolfSSL_read(c->ssl, buf, sizeof buf);
      if (r > 0 && rate > 0) {
        if (response_done(c, buf, (size_t)r)) {
          if (c->due >= measureFrom) record_latency(now() - c->due);
          requests++;
          c->due += concurrency / rate;
          c->phase = WAITING;
          return;
        }
        continue;
      }
      if (r > 0) continue; /* read until the server closes (Connection: close) */
      err = wolfSSL_get_error(c->ssl, r);
      if (err != WOLFSSL_ERROR_WANT_READ && err != WOLFSSL_ERROR_WANT_WRITE) { requests++; close_conn(c, 0); return; }
      break;
    }
    }
    err = wolfSSL_get_error(c->ssl, r);
    if (err == WOLFSSL_ERROR_WANT_READ) { watch(c, EPOLLIN, EPOLL_CTL_MOD); return; }
    if (err == WOLFSSL_ERROR_WANT_WRITE) { watch(c, EPOLLOUT, EPOLL_CTL_MOD); return; }
    close_conn(c, 1);
    return;
  }
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--host")) host = argv[i + 1];
    else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--sni")) sni = argv[i + 1];
    else if (!strcmp(argv[i], "--concurrency")) concurrency = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--tls")) tls13 = strcmp(argv[i + 1], "1.2") != 0;
    else if (!strcmp(argv[i], "--request")) path = argv[i + 1];
    else if (!strcmp(argv[i], "--rate")) rate = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--group")) group = !strcmp(argv[i + 1], "P-256") ? WOLFSSL_ECC_SECP256R1 : !strcmp(argv[i + 1], "P-384") ? WOLFSSL_ECC_SECP384R1 : WOLFSSL_ECC_X25519;
    else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
  }
  wolfSSL_Init();
  ctx = wolfSSL_CTX_new(tls13 ? wolfTLSv1_3_client_method() : wolfTLSv1_2_client_method());
  wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
  if (path) request_len = (size_t)snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", path, sni, rate > 0 ? "" : "Connection: close\r\n");
  if (rate > 0 && !path) { fprintf(stderr, "--rate needs --request PATH\n"); return 2; }

  ep = epoll_create1(0);
  struct conn *conns = calloc((size_t)concurrency, sizeof *conns);
  for (int i = 0; i < concurrency; i++) open_conn(&conns[i]);
  double start = now(), deadline = start + seconds;
  measureFrom = start + 0.5;
  /* Paced mode wakes on a timerfd armed for the next due request: a coarse epoll timeout would send
     late and pad every measured latency. */
  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct epoll_event tev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, timer, &tev);
  struct epoll_event events[256];
  while (now() < deadline) {
    int n = epoll_wait(ep, events, 256, 100);
    for (int i = 0; i < n; i++) {
      if (events[i].data.ptr == NULL) {
        uint64_t expirations;
        if (read(timer, &expirations, sizeof expirations) < 0) { /* spurious: nothing to clear */ }
        continue;
      }
      step(events[i].data.ptr);
    }
    if (rate > 0) {
      double t = now(), next = deadline;
      for (int i = 0; i < concurrency; i++) {
        struct conn *c = &conns[i];
        if (c->phase == WAITING && c->due <= t) {
          c->phase = WRITING;
          c->sent = 0;
          step(c);
        }
        if (c->phase == WAITING && c->due < next) next = c->due;
      }
      struct itimerspec at = {0};
      at.it_value.tv_sec = (time_t)next;
      at.it_value.tv_nsec = (long)((next - (double)(time_t)next) * 1e9);
      if (at.it_value.tv_sec == 0 && at.it_value.tv_nsec == 0) at.it_value.tv_nsec = 1;
      timerfd_settime(timer, TFD_TIMER_ABSTIME, &at, NULL);
    }
  }
  double elapsed = now() - start;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  if (rate > 0) {
    qsort(latencies, (size_t)latencyCount, sizeof *latencies, cmp_double);
    double p50 = latencyCount ? latencies[latencyCount / 2] : 0, p90 = latencyCount ? latencies[latencyCount * 9 / 10] : 0;
    double p99 = latencyCount ? latencies[latencyCount * 99 / 100] : 0, max = latencyCount ? latencies[latencyCount - 1] : 0;
    printf("{\"requests\":%ld,\"measured\":%ld,\"failures\":%ld,\"seconds\":%.3f,\"p50Ms\":%.3f,\"p90Ms\":%.3f,\"p99Ms\":%.3f,\"maxMs\":%.3f,\"clientCpuSeconds\":%.3f}\n",
           requests, latencyCount, failures, elapsed, p50 * 1e3, p90 * 1e3, p99 * 1e3, max * 1e3, cpu);
    return 0;
  }
  printf("{\"handshakes\":%ld,\"requests\":%ld,\"failures\":%ld,\"seconds\":%.3f,\"rate\":%.1f,\"clientCpuSeconds\":%.3f}\n",
         handshakes, requests, failures, elapsed, handshakes / elapsed, cpu);
  return 0;
}
