/*
 * Cheap TLS 1.3 load generator for bench/offload-handshakes.ts: opens connections one after the
 * other, each a full handshake (no session reuse), writes one byte, reads the echo, closes.
 * Prints its own CPU time so the bench can show client vs server cost per handshake.
 *
 *   handshake-client HOST PORT SECONDS [GROUP]      (GROUP: X25519 | P-256, default X25519)
 *
 * Build: gcc -O2 -o handshake-client handshake-client.c -lssl -lcrypto
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s HOST PORT SECONDS [GROUP]\n", argv[0]);
    return 2;
  }
  const char *host = argv[1];
  int port = atoi(argv[2]);
  double seconds = atof(argv[3]);
  const char *group = argc > 4 ? argv[4] : "X25519";

  /* A server that closes first must not kill the generator. */
  signal(SIGPIPE, SIG_IGN);
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  /* Every handshake is a full one: no session cache, no tickets kept. */
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  if (SSL_CTX_set1_groups_list(ctx, group) != 1) {
    fprintf(stderr, "bad group %s\n", group);
    return 2;
  }

  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, host, &addr.sin_addr);

  long ok = 0, failed = 0;
  double end = now_s() + seconds;
  while (now_s() < end) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
      failed++;
      close(fd);
      continue;
    }
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "example.test");
    char byte = 'x';
    if (SSL_connect(ssl) == 1 && SSL_write(ssl, &byte, 1) == 1 && SSL_read(ssl, &byte, 1) == 1) {
      ok++;
    } else {
      failed++;
      ERR_clear_error();
    }
    SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  long cpu_us = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec;
  printf("handshakes=%ld failed=%ld cpu_us=%ld\n", ok, failed, cpu_us);
  SSL_CTX_free(ctx);
  return 0;
}
