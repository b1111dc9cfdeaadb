/* irc_config.c — the [irc] section read and checked (irc_config.h): defaults, the URL, and
 * the SASL keys that only make sense together. */
#include "irc_config.h"

#include "sb.h"

const char *irc_options_read(const sb_config *cfg, irc_options *out)
{
    const char *url = config_get(cfg, "irc", "url");
    const char *user = config_get(cfg, "irc", "sasl_user");
    const char *password = config_get(cfg, "irc", "sasl_password");
    int required = config_get_bool(cfg, "irc", "sasl_required", 0);
    *out = (irc_options){
        .origin = config_get(cfg, "irc", "origin"),
        .ca_file = config_get(cfg, "irc", "ca_file"),
        .burst = config_get_long(cfg, "irc", "burst", 5),
        .rate = config_get_long(cfg, "irc", "rate", 2),
        .reconnect_min_ms = config_get_long(cfg, "irc", "reconnect_min_ms", 10000),
        .reconnect_max_ms = config_get_long(cfg, "irc", "reconnect_max_ms", 300000),
        .session = {
            .nick = config_get(cfg, "irc", "nick"),
            .username = config_get(cfg, "irc", "username"),
            .realname = config_get(cfg, "irc", "realname"),
            .channels = config_get(cfg, "irc", "channels"),
            .sasl_user = user && *user ? user : NULL,
            .sasl_password = user && *user ? password : NULL,
            .sasl_required = required,
            .version = "securebase " SB_VERSION,
            .ping_interval_ms = config_get_long(cfg, "irc", "ping_interval", 120) * 1000,
            .ping_timeout_ms = config_get_long(cfg, "irc", "ping_timeout", 60) * 1000,
        },
    };
    if (irc_url_parse(url, &out->url) != SB_OK)
        return "url: expected ws://HOST[:PORT][/PATH] or wss://...";
    if (user && *user && !(password && *password))
        return "sasl_user is set but there is no sasl_password (or SECUREBASE_IRC_PASSWORD)";
    if (required && !(user && *user && password && *password))
        return "sasl_required needs sasl_user and sasl_password";
    return NULL;
}
