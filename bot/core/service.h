/* service.h — running under systemd: the readiness and watchdog protocol (sd_notify) and
 * the secrets systemd hands over as credentials. Every call is a no-op outside systemd
 * (no NOTIFY_SOCKET, no CREDENTIALS_DIRECTORY), so the console and tests never notice. */
#ifndef SB_SERVICE_H
#define SB_SERVICE_H

/* Tells systemd the coach is serving (Type=notify), with a one-line status. Cannot fail. */
void service_ready(const char *status);
/* Tells systemd a reload (SIGHUP) has begun, or has ended with status. Cannot fail. */
void service_reloading(void);
void service_reloaded(const char *status);
/* Tells systemd the coach is stopping. Cannot fail. */
void service_stopping(void);
/* How often to ping the watchdog, in milliseconds: half of WatchdogSec=, or 0 when no
 * watchdog watches this process. */
long service_watchdog_interval_ms(void);
/* Pings the watchdog ("still alive"); call from the loop whose wedging should restart us. */
void service_watchdog_ping(void);

/* The secret systemd passed as credential name (LoadCredential=NAME:...), read from
 * $CREDENTIALS_DIRECTORY/NAME without a trailing newline. Returns NULL when there is no
 * such credential (or it is empty, over 4 KiB, or memory runs out). Caller frees. */
char *service_credential(const char *name);
/* The credential name for a secret's environment variable: SECUREBASE_MATRIX_PASSWORD ->
 * "matrix-password". Writes at most size bytes (always terminated); returns SB_OK, or
 * SB_EINVAL when env does not start with SECUREBASE_ or does not fit. */
int service_credential_name(const char *env, char *out, unsigned long size);

#endif
