/* matrix_invite.h — the Matrix rules of who the coach talks to: whose invite it accepts,
 * and when a message in a group room is addressed to it (and what is left once the address
 * is taken off). Pure string rules, no JSON, no network; matrix_room.c applies them. */
#ifndef SB_MATRIX_INVITE_H
#define SB_MATRIX_INVITE_H

/* 1 when user (a Matrix user id) may invite the bot: listed in allowed_users, or on a server
 * in allowed_servers ("*" allows every server). Lists are separated by commas or spaces.
 * When both lists are NULL or empty, only users on self's own server are allowed. */
int matrix_user_allowed(const char *user, const char *allowed_users, const char *allowed_servers,
                        const char *self);

/* The server name of a user id ("@a:example.org" -> "example.org"), NULL when malformed.
 * Borrowed: points into user. */
const char *matrix_user_server(const char *user);

/* 1 when body names the bot: its whole user id, or its localpart or display_name (may be
 * NULL) as a word. */
int matrix_names_bot(const char *body, const char *self, const char *display_name);

/* Whether a group-room message is for the bot: a "!" command, an m.mentions hit (already in
 * mentions_bot) or the bot's user id / localpart / display_name (may be NULL) as a word. */
int matrix_addressed(const char *body, int mentions_bot, const char *self, const char *display_name);

/* The body with a leading address to the bot ("bot: ", "@bot:server, ") removed, so that
 * "botuser: !help" reaches the core as "!help". Borrowed: points into body. */
const char *matrix_strip_address(const char *body, const char *self, const char *display_name);

#endif
