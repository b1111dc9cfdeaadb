/* matrix.h — the Matrix adapter: people talk to the coach in their Matrix client.
 * It runs its own thread with libcurl (long-polling /sync, sending from the outbox with
 * idempotent transaction ids) and speaks to the core only through adapter.h. */
#ifndef SB_MATRIX_H
#define SB_MATRIX_H

#include "adapter.h"
#include "config.h"

/* Creates the adapter from the [matrix] section of cfg (keys: see the top of matrix.c).
 * Returns NULL and writes one line to stderr when the section is incomplete (no homeserver,
 * neither password nor access token, password without user_id, a bad msgtype) or memory
 * runs out. Copies what it keeps from cfg. Free with a->destroy after a->stop. */
sb_adapter *matrix_adapter_new(const sb_config *cfg);

#endif
