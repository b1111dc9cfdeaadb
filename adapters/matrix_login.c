/* matrix_login.c — signing the Matrix adapter in: the answers of login (the access token
 * and device id, kept through the core) and whoami (who the token belongs to, a changed
 * configuration asking for a new login), and, with encryption on, starting the e2ee machine
 * from what the store kept. The requests themselves are matrix_poll.c's. */
#include "matrix_crypto.h"
#include "matrix_http.h"
#include "matrix_impl.h"
#include "matrix_parse.h"
#include "sb.h"

#include <stdlib.h>
#include <string.h>

void matrix_remember(matrix *m, const char *key, char **slot, char *value)
{
    int changed = !*slot || strcmp(*slot, value) != 0;
    free(*slot);
    *slot = value;
    if (changed && matrix_keep_resume(m, key, value) != SB_OK)
        sb_log("warn", "matrix", "out of memory: %s is not kept, the next start asks again", key);
}

/* With encryption on, once whoami named the user and device: the e2ee machine from the
 * stored state (or a new account), and the to-device messages a crash left unsent queued
 * first, before any reply that relies on them. */
static int start_crypto(matrix *m)
{
    if (!m->encryption || m->e2ee)
        return SB_OK;
    if (!m->device_id) {
        matrix_fatal(m, "matrix: encryption needs the device id and the homeserver did not say "
                        "it; set [matrix] device_id");
        return SB_OK;
    }
    m->e2ee = matrix_e2ee_new(m->self, m->device_id, m->pickle_key, m->pickle_key_len);
    if (!m->e2ee)
        return SB_ENOMEM;
    size_t i;
    json_t *pair;
    json_array_foreach(m->stored, i, pair) {
        const char *key = json_string_value(json_array_get(pair, 0));
        int rc = matrix_e2ee_load(m->e2ee, key, json_string_value(json_array_get(pair, 1)));
        if (rc == SB_EAUTH && strcmp(key, "account") == 0) {
            matrix_fatal(m, "matrix: the pickle key does not open the stored encryption account; "
                            "start with the pickle key it was made with, or set [matrix] "
                            "device_id to a new device name for a new identity "
                            "(docs/matrix.md: pickle key)");
            return SB_OK;
        }
        if (rc != SB_OK)
            sb_log("warn", "matrix", "stored encryption state is unreadable: left out kind=%.3s reason=\"%s\"",
                   key, sb_strerror(rc));
    }
    int rc = matrix_e2ee_ready(m->e2ee);
    if (rc != SB_OK) { /* whoami again, then all of this again */
        matrix_e2ee_free(m->e2ee);
        m->e2ee = NULL;
        return rc;
    }
    json_array_clear(m->stored);
    sb_log("info", "matrix", "encryption on device=%s curve25519=%s ed25519=%s", m->device_id,
           matrix_e2ee_curve25519(m->e2ee), matrix_e2ee_ed25519(m->e2ee));
    matrix_queue_pending(m, 1, NULL);
    return SB_OK;
}

int matrix_login_answer(matrix *m, const char *body, size_t len)
{
    char *v = NULL;
    int rc;
    if ((rc = matrix_field_parse(body, len, "access_token", &v)) != SB_OK)
        return rc;
    matrix_remember(m, "access_token", &m->token, v); /* kept (store is 0600), never logged */
    m->token_stored = 0;
    if (matrix_field_parse(body, len, "device_id", &v) == SB_OK)
        matrix_remember(m, "device_id", &m->device_id, v);
    m->state = ST_WHOAMI;
    return SB_OK;
}

int matrix_whoami_answer(matrix *m, const char *body, size_t len)
{
    char *v = NULL;
    int rc;
    if (matrix_field_parse(body, len, "device_id", &v) == SB_OK) {
        if (m->config_device && strcmp(m->config_device, v) != 0 && m->token_stored &&
            m->password) {
            /* device_id changed in the config since the stored login (a new identity
             * wanted, docs/matrix.md): log in as that device */
            sb_log("info", "matrix", "the stored login is device %s, configured is %s: "
                   "logging in", v, m->config_device);
            free(v);
            free(m->token);
            m->token = NULL;
            m->token_stored = 0;
            char *wanted = sb_strdup(m->config_device);
            if (wanted)
                matrix_remember(m, "device_id", &m->device_id, wanted);
            m->state = ST_LOGIN;
            return wanted ? SB_OK : SB_ENOMEM;
        }
        if (!m->device_id || strcmp(m->device_id, v) != 0)
            matrix_remember(m, "device_id", &m->device_id, v); /* the token's own device */
        else
            free(v);
    }
    v = NULL;
    if ((rc = matrix_field_parse(body, len, "user_id", &v)) != SB_OK)
        return rc;
    if (m->user_id && strcmp(m->user_id, v) != 0 && m->token_stored) {
        /* user_id changed in the config since the stored login: log in as the new one */
        sb_log("info", "matrix", "the stored login is %s, configured is %s: logging in", v,
               m->user_id);
        free(v);
        free(m->token);
        m->token = NULL;
        m->token_stored = 0;
        m->state = ST_LOGIN;
        return SB_OK;
    }
    if (m->user_id && strcmp(m->user_id, v) != 0)
        sb_log("warn", "matrix", "configured as %s but the token belongs to %s", m->user_id, v);
    free(m->self);
    m->self = v;
    sb_log("info", "matrix", "signed in as %s", m->self);
    if ((rc = start_crypto(m)) != SB_OK)
        return rc;
    if (m->state != ST_DEAD)
        m->state = matrix_state_after(m, 1);
    return SB_OK;
}
