/* checkpointer.h — WAL checkpoints off the commit path. sqlite's automatic checkpoint runs
 * inside the COMMIT that crosses 1000 WAL pages, with two fdatasyncs, so every few batches
 * one commit waited for it. The checkpointer instead owns a second connection to the same
 * file and a thread of its own: PASSIVE checkpoints (they never block the writer) when the
 * writer has added CHECKPOINTER_PAGES pages since the last one, or when a commit has waited
 * CHECKPOINTER_INTERVAL_MS for one; when the writer has been idle CHECKPOINTER_IDLE_MS, a
 * PASSIVE then a TRUNCATE, so a quiet WAL is zero bytes (no old page images of deleted rows
 * linger, and the next batch needs fresh room on the disk, so a full disk is noticed); a
 * TRUNCATE too (it waits for the writer between two batches) when the WAL has grown past
 * CHECKPOINTER_MAX_PAGES because the writer never paused long enough for it to be reset.
 * That connection reads and writes no rows: design.md invariant 3 (one thread owns the
 * state) holds. Durability is unchanged: see docs/storage.md. */
#ifndef SB_CHECKPOINTER_H
#define SB_CHECKPOINTER_H

#include <sqlite3.h>

#define CHECKPOINTER_PAGES 1000       /* sqlite's own autocheckpoint threshold */
#define CHECKPOINTER_INTERVAL_MS 1000 /* a commit waits at most this for a checkpoint */
#define CHECKPOINTER_IDLE_MS 200      /* a writer this long without a commit is idle */
#define CHECKPOINTER_MAX_PAGES 16384  /* 64 MiB of 4 KiB pages: then TRUNCATE */

typedef struct checkpointer checkpointer;

/* Opens a second connection to the WAL database at path and starts the thread. Returns
 * SB_OK with *out set, SB_ENOMEM, or the store's code for a file that cannot be opened.
 * On failure *out is NULL. */
int checkpointer_start(const char *path, checkpointer **out);
/* Hands the checkpoints of writer (a connection to the same file, used by one thread) to
 * the checkpointer: wal_autocheckpoint = 0 on it, its commits tell the checkpointer how big
 * the WAL is, and its busy handler waits for a TRUNCATE in 1 ms steps (about 5 s at most).
 * Call once, before writer commits. Cannot fail. */
void checkpointer_attach(checkpointer *c, sqlite3 *writer);
/* Takes the lock that keeps the checkpointer's thread from checkpointing: for a caller
 * about to run its own checkpoint on the writer (a wipe after a forget), which sqlite
 * refuses while another connection checkpoints. Pair with checkpointer_unlock. NULL is
 * fine (no checkpointer). */
void checkpointer_lock(checkpointer *c);
void checkpointer_unlock(checkpointer *c);
/* Stops the thread (a checkpoint in progress finishes first) and closes the connection.
 * The writer's autocheckpoint stays off; closing the writer checkpoints what is left.
 * NULL is fine. */
void checkpointer_stop(checkpointer *c);

#endif
