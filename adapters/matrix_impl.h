/* matrix_impl.h — the Matrix adapter's private state, shared by its three files:
 * matrix.c (the core's side, the thread, start and stop), matrix_poll.c (the sync lane:
 * login, whoami, filter, /sync, /messages) and matrix_work.c (the work lane: sends, joins,
 * leaves, typing, receipts). Not a public header: only these files include it. */
#ifndef SB_MATRIX_IMPL_H
#define SB_MATRIX_IMPL_H

#include "matrix.h"
#include "matrix_e2ee.h"
#include "matrix_http.h"
#include "matrix_parse.h"
#include "matrix_room.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#define API "/_matrix/client/v3/"
#define TIMELINE_LIMIT 100
#define SYNC_CAP (64u << 20)
#define SMALL_CAP (1u << 20)
#define REQUEST_TIMEOUT_MS 60000L
#define TYPING_TIMEOUT_MS 30000
#define BEST_EFFORT_TRIES 3
#define GAP_PAGES_MAX 100 /* pages of /messages fetched to fill one limited timeline */

typedef enum { JOB_SEND, JOB_JOIN, JOB_LEAVE, JOB_TYPING, JOB_RECEIPT, JOB_TODEVICE } job_kind;

/* The stages of a reply to an encrypted room (matrix_work.c). */
typedef enum {
    SEND_PREPARE,     /* members, device keys and Olm sessions fetched, one request a time */
    SEND_WAIT_COMMIT, /* encrypted: the ratchets that made it are being committed */
    SEND_SHARE,       /* the room key goes to the devices that lack it (sendToDevice) */
    SEND_PARTS        /* the encrypted events go out, part by part */
} send_stage;

typedef struct job {
    job_kind kind;
    char *room;
    char *text;     /* SEND: Markdown; TODEVICE: the pending message's txn id */
    char *event_id; /* RECEIPT */
    int64_t id;     /* SEND: outbox row id (<= 0: a crisis fallback without a row) */
    int flag;       /* TYPING: on or off */
    size_t part;    /* SEND: the part of a long text going out now (matrix_split.h) */
    size_t parts;   /* SEND: how many parts the text has; known once the first is sent */
    int tries;
    /* SEND to an encrypted room */
    send_stage stage;
    int asked;        /* PREPARE: what the request in flight asks (matrix_e2ee_need) */
    uint64_t awaited; /* WAIT_COMMIT: the batch carrying the ratchets */
    char **cipher;    /* the m.room.encrypted contents, one per part (JSON texts) */
    char *share_txn;  /* SHARE: the pending to-device message with the room key */
    struct job *next;
} job;

typedef struct lane {
    matrix_request req;
    int failures;
    int64_t not_before; /* monotonic ms */
} lane;

typedef enum {
    ST_LOGIN, ST_WHOAMI, ST_KEYS, ST_FILTER, ST_BOOT, ST_SYNC, ST_GAP, ST_WAIT_COMMIT, ST_DEAD
} sync_state;

typedef struct matrix {
    sb_adapter base;
    char *homeserver, *user_id, *password, *token, *device_name, *device_id;
    char *config_device;        /* [matrix] device_id as configured, NULL when not set */
    char *allowed_users, *allowed_servers, *msgtype;
    long sync_timeout_ms, backoff_min_ms, backoff_max_ms;
    long typing_delay_ms;       /* typing shows only for replies slower than this; 0: at once */
    sb_core *core;
    pthread_t thread;
    int started;
    CURLM *multi;
    pthread_mutex_t mu;        /* guards the five fields below */
    job *in_head, *in_tail;    /* sends queued by the core thread */
    uint64_t committed;        /* highest committed batch seq */
    int core_started;          /* committed() was called: every reply pending from before
                                * this start has been handed to send() (adapter.h) */
    int stopping;
    /* adapter thread only from here */
    sync_state state;
    lane sync, work;
    job *head, *tail, *current; /* work queue, and the job in flight */
    char *self;                 /* the bot's user id (whoami) */
    char *since, *pending_since;
    char *filter_id;
    int filter_stored;          /* filter_id came from the store: re-upload if refused */
    int token_stored;           /* token came from the store (a login before a restart) */
    int booted, awaiting, first_start;
    uint64_t seq, awaited_seq;
    job *after_commit;          /* receipts and typing-off for the batch awaiting commit */
    job *typing_wait;           /* typing-on for the batch awaiting commit, not sent yet */
    int64_t typing_at;          /* when they go out if the commit has not come by then */
    job *owed_jobs;             /* receipts and typing-off the last run owed (its resume
                                 * value): queued once core_started, after its replies */
    matrix_rooms *rooms;
    json_t *owed;               /* room -> event id: read receipts committed but not yet sent */
    matrix_sync *held;          /* ST_GAP: a sync waiting for its limited timelines to be filled */
    size_t gap_room;            /* the held room being filled */
    char *gap_from;             /* /messages token of the next page */
    int gap_pages;
    matrix_event *gap_events;   /* fetched so far, newest first */
    size_t gap_count, gap_cap;
    unsigned random_state;
    int64_t start_ms;
    /* end-to-end encryption ([matrix] encryption = yes) */
    int encryption;
    char *pickle_key;           /* wiped on destroy */
    size_t pickle_key_len;
    json_t *stored;             /* [[key, value], ...] read at start, fed to e2ee at whoami */
    matrix_e2ee *e2ee;          /* NULL until whoami (or with encryption off) */
    json_t *keys_body;          /* ST_KEYS: the upload waiting for its commit, then sent */
    uint64_t keys_seq;
    uint64_t seen_committed;    /* the committed seq as the thread last saw it */
    json_t *forgotten;          /* guarded by mu: people forgotten, for e2ee (core thread) */
} matrix;

/* Monotonic milliseconds. */
int64_t matrix_now_ms(void);
/* A job for room (copied); NULL when memory runs out. */
job *matrix_job_new(job_kind kind, const char *room);
/* Frees j and every job after it. */
void matrix_job_free(job *j);
/* Appends j (may be NULL: nothing happens) to the work queue. */
void matrix_job_push(matrix *m, job *j);
/* Puts j (may be NULL) at the front of the work queue: it goes next. */
void matrix_job_push_front(matrix *m, job *j);
/* A JOB_TODEVICE for each pending to-device message not queued yet: at the front of the
 * queue (front 1, at start: before replies that rely on them) or appended to *list. */
void matrix_queue_pending(matrix *m, int front, job **list);
/* Hands the events of b (taken; b is left empty; may be NULL) with a resume position (key
 * may be NULL) and every encryption state change since the last batch to the core, and
 * sets *seq (may be NULL) to the batch's seq, which committed() echoes. Returns SB_OK, or
 * SB_ENOMEM or the encryption's SB_E* code: then nothing is posted, b's events are
 * dropped and *seq is 0. */
int matrix_post_batch(matrix *m, matrix_batch *b, const char *key, const char *value,
                      uint64_t *seq);
/* Keeps a resume value (the device id, the access token, the filter id) through the core:
 * committed with the next batch, read back at the next start with sb_core_resume_get.
 * SB_OK or SB_ENOMEM (not kept: asked for again at the next start). */
int matrix_keep_resume(matrix *m, const char *key, const char *value);
/* One more failure on lane l: its next request waits out the backoff. */
void matrix_lane_back_off(matrix *m, lane *l);
/* Starts a request on lane l: path (freed) below the homeserver, body (taken, may be NULL),
 * with the token when auth. On failure the lane is backed off. SB_OK or SB_ENOMEM/SB_ENET. */
int matrix_lane_start(matrix *m, lane *l, const char *method, sb_buf *path, json_t *body,
                      int auth, long timeout_ms, size_t cap);
/* Schedules the retry of lane l: after wait_ms for a rate limit with a wait, else backoff. */
void matrix_lane_retry(matrix *m, lane *l, matrix_outcome o, long wait_ms, const char *what,
                       long status, const char *errcode);
/* The token was refused: log in again (requeues the job in flight), or stop without a password. */
void matrix_auth_lost(matrix *m, const char *errcode);
/* Tells the core the adapter cannot go on; the thread idles until stopped. */
void matrix_fatal(matrix *m, const char *reason);

/* The sync lane (matrix_poll.c): start its next request; handle its finished request; the
 * awaited batch was committed. */
void matrix_poll_step(matrix *m);
void matrix_poll_done(matrix *m, CURLcode result);
void matrix_poll_committed(matrix *m);
/* Sends the delayed typing indicators once their time has come (now: monotonic ms). */
void matrix_poll_typing(matrix *m, int64_t now);
/* Takes the stored "next_batch" resume value (a since token, or the JSON with the since
 * token and the receipts owed, see matrix_poll.c) at start. */
void matrix_poll_resume(matrix *m, const char *value);
/* Frees what was fetched for a limited timeline. */
void matrix_gap_clear(matrix *m);

/* The work lane (matrix_work.c): start the next job when due; handle its finished request. */
void matrix_work_step(matrix *m, int64_t now);
void matrix_work_done(matrix *m, CURLcode result);

/* The sync lane's next state once signed in (keys: a key upload may come first). */
sync_state matrix_state_after(matrix *m, int keys);
/* Signing in (matrix_login.c): the answer of login, of whoami. SB_OK or an SB_E* code. */
int matrix_login_answer(matrix *m, const char *body, size_t len);
int matrix_whoami_answer(matrix *m, const char *body, size_t len);
/* *slot = value (taken), kept through the core under key when it changed. */
void matrix_remember(matrix *m, const char *key, char **slot, char *value);

#endif
