/* SPDX-License-Identifier: MIT */
/* Configuration from the environment and sigrun.env; see env.h. */
#include <ctype.h>
#include <string.h>

#include "common/parse.h"
#include "lambda/env.h"

void lambda_config_done(LambdaConfig *c) {
        if (!c)
                return;
        free(c->application_id);
        if (c->bot_token)
                explicit_bzero(c->bot_token, strlen(c->bot_token));
        free(c->bot_token);
        free(c->world_tag);
        strv_free(c->operator_roles);
        free(c->region);
        free(c->discord_api);
        explicit_bzero(c->agent_key, sizeof c->agent_key);
        *c = (LambdaConfig) {};
}

static const char *env_nonempty(const char *name) {
        const char *v = getenv(name);
        return v && *v ? v : NULL;
}

static int dup_env(const char *name, const char *fallback, char **ret) {
        const char *v = env_nonempty(name);

        if (!v)
                v = fallback;
        if (!v) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

static int split_roles(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;

        l = calloc(1, sizeof *l);
        if (!l)
                return -ENOMEM;
        while (s && *s) {
                size_t len = strcspn(s, ", ");
                if (len > 0) {
                        char **nl = reallocarray(l, n + 2, sizeof *l);
                        if (!nl)
                                return -ENOMEM;
                        l = nl;
                        l[n] = strndup(s, len);
                        if (!l[n])
                                return -ENOMEM;
                        l[++n] = NULL;
                }
                s += len;
                s += strspn(s, ", ");
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int fail(char **ret_error, int r, const char *msg) {
        if (ret_error)
                *ret_error = strdup(msg);
        return r;
}

int lambda_config_load(LambdaConfig *ret, bool require_public_key, char **ret_error) {
        LambdaConfig c = { .agent_port = SIGRUN_AGENT_PORT_DEFAULT };
        const char *v;
        uint64_t port;
        int r;

        v = env_nonempty("DISCORD_PUBLIC_KEY");
        if (v) {
                if (parse_hex(v, c.public_key, sizeof c.public_key) < 0) {
                        r = fail(ret_error, -EINVAL, "DISCORD_PUBLIC_KEY: not 64 hex digits");
                        goto out;
                }
                c.has_public_key = true;
        } else if (require_public_key) {
                r = fail(ret_error, -EINVAL, "DISCORD_PUBLIC_KEY: not set");
                goto out;
        }

        v = env_nonempty("SIGRUN_AGENT_KEY");
        if (v) {
                if (parse_hex(v, c.agent_key, sizeof c.agent_key) < 0) {
                        r = fail(ret_error, -EINVAL, "SIGRUN_AGENT_KEY: not 64 hex digits");
                        goto out;
                }
                c.has_agent_key = true;
        }

        v = env_nonempty("SIGRUN_AGENT_PORT");
        if (v) {
                if (parse_uint64(v, 1, 65535, &port) < 0) {
                        r = fail(ret_error, -EINVAL, "SIGRUN_AGENT_PORT: not a port number (1-65535)");
                        goto out;
                }
                c.agent_port = (uint16_t) port;
        }

        if ((r = dup_env("DISCORD_APPLICATION_ID", NULL, &c.application_id)) < 0 ||
            (r = dup_env("DISCORD_BOT_TOKEN", NULL, &c.bot_token)) < 0 ||
            (r = dup_env("SIGRUN_WORLD_TAG", SIGRUN_WORLD_TAG_DEFAULT, &c.world_tag)) < 0 ||
            (r = dup_env("SIGRUN_DISCORD_API", SIGRUN_DISCORD_API_DEFAULT, &c.discord_api)) < 0 ||
            (r = dup_env("AWS_REGION", env_nonempty("AWS_DEFAULT_REGION"), &c.region)) < 0 ||
            (r = split_roles(getenv("SIGRUN_OPERATOR_ROLES"), &c.operator_roles)) < 0) {
                r = fail(ret_error, r, "out of memory");
                goto out;
        }
        /* A trailing slash would double up in "/applications/...". */
        for (size_t n = strlen(c.discord_api); n > 0 && c.discord_api[n - 1] == '/'; n--)
                c.discord_api[n - 1] = 0;

        *ret = c;
        return 0;
out:
        lambda_config_done(&c);
        return r;
}

int env_file_load(const char *path, unsigned *ret_line) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[4096];
        unsigned n = 0;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof line, f)) {
                char *s = line, *eq, *value, *end;

                n++;
                while (isspace((unsigned char) *s))
                        s++;
                end = s + strlen(s);
                while (end > s && isspace((unsigned char) end[-1]))
                        *--end = 0;
                if (*s == 0 || *s == '#')
                        continue;
                if (strncmp(s, "export ", 7) == 0)
                        s += 7;
                eq = strchr(s, '=');
                if (!eq || eq == s)
                        goto bad;
                *eq = 0;
                for (char *k = s; *k; k++)
                        if (!isalnum((unsigned char) *k) && *k != '_')
                                goto bad;
                value = eq + 1;
                end = value + strlen(value);
                if (end - value >= 2 && (*value == '"' || *value == '\'') && end[-1] == *value) {
                        end[-1] = 0;
                        value++;
                }
                if (!getenv(s) && setenv(s, value, 0) < 0)
                        return -errno;
        }
        return 0;
bad:
        if (ret_line)
                *ret_line = n;
        return -EINVAL;
}
