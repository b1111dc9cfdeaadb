/* monitor.h — GET /healthz and GET /metrics over HTTP, for a service manager, a load check
 * or Prometheus, on the address of [metrics] listen (off unless set; meant for loopback).
 * Served by libwebsockets' server role on a thread of its own; it reads metrics.h's
 * counters only, never the store, so it cannot show anyone's data or slow the core. */
#ifndef SB_MONITOR_H
#define SB_MONITOR_H

#include <stddef.h>

typedef struct monitor monitor;

/* Starts serving on listen, "HOST:PORT" ("127.0.0.1:9464", "[::1]:9464",
 * "localhost:9464"; port 0 picks a free one, which is logged). /healthz answers 503 when
 * the core has not turned for stale_seconds. Returns SB_OK with *out set; SB_EINVAL when
 * listen is not HOST:PORT, SB_ENET when nothing can listen there, SB_ENOMEM; err (errsize
 * bytes) then says why and *out is NULL. Stop and free with monitor_stop. */
int monitor_start(const char *listen, long stale_seconds, monitor **out, char *err,
                  size_t errsize);
/* Stops the thread, closes the listener and frees m. NULL is fine. */
void monitor_stop(monitor *m);

#endif
