/* SPDX-License-Identifier: MIT */
/*
 * IMDSv2 client (see imds.h). A query is a small sequence: the token, then
 * one GET per wanted item, each started from the completion of the one
 * before. Nothing here blocks and nothing logs above debug.
 */
#include <ctype.h>
#include <string.h>

#include <jansson.h>

#include "common/imds.h"
#include "common/log.h"

/* IMDS items are short: an instance id, a region, an address, a small JSON. */
#define IMDS_TEXT_MAX 256U

typedef enum ImdsStep {
        IMDS_STEP_TOKEN,
        IMDS_STEP_INSTANCE_ID,
        IMDS_STEP_REGION,
        IMDS_STEP_PUBLIC_IPV4,
        IMDS_STEP_ROLE,
        IMDS_STEP_CREDENTIALS,
        IMDS_STEP_DONE,
} ImdsStep;

struct ImdsQuery {
        CurlEvent *curl_event;
        char *endpoint;
        unsigned want;
        ImdsStep step;
        char *token;
        CURL *current;           /* the running transfer (owned by curl-event) */
        ImdsInfo info;
        imds_done_t done;
        void *userdata;
};

void imds_info_done(ImdsInfo *info) {
        if (!info)
                return;
        free(info->instance_id);
        free(info->region);
        free(info->public_ipv4);
        free(info->role);
        aws_credentials_done(&info->credentials);
        free(info->expiration);
        *info = (ImdsInfo) {};
}

int imds_parse_text(const char *body, size_t len, char **ret) {
        size_t start = 0, end = len;
        char *s;

        if (!body || !ret)
                return -EINVAL;
        while (start < end && isspace((unsigned char) body[start]))
                start++;
        while (end > start && isspace((unsigned char) body[end - 1]))
                end--;
        if (start == end || end - start > IMDS_TEXT_MAX)
                return -EBADMSG;
        for (size_t i = start; i < end; i++)
                if (!isgraph((unsigned char) body[i]))
                        return -EBADMSG;

        s = strndup(body + start, end - start);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int imds_parse_role_list(const char *body, size_t len, char **ret_role) {
        const char *nl;

        if (!body || !ret_role)
                return -EINVAL;
        nl = memchr(body, '\n', len);
        if (nl)
                len = (size_t) (nl - body);
        if (len == 0)
                return -ENOENT;
        return imds_parse_text(body, len, ret_role);
}

static int json_string_dup(json_t *o, const char *key, bool required, char **ret) {
        json_t *v = json_object_get(o, key);

        if (!v || json_is_null(v)) {
                *ret = NULL;
                return required ? -EBADMSG : 0;
        }
        if (!json_is_string(v))
                return -EBADMSG;
        if (json_string_length(v) == 0) {
                *ret = NULL;
                return required ? -EBADMSG : 0;
        }
        *ret = strndup(json_string_value(v), json_string_length(v));
        return *ret ? 0 : -ENOMEM;
}

int imds_parse_credentials(const char *body, size_t len, AwsCredentials *ret,
                           char **ret_expiration) {
        AwsCredentials c = {};
        _cleanup_free_ char *expiration = NULL;
        json_t *root;
        json_t *code;
        int r;

        if (!body || !ret)
                return -EINVAL;

        root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
        if (!root || !json_is_object(root)) {
                json_decref(root);
                return -EBADMSG;
        }

        code = json_object_get(root, "Code");
        if (code && (!json_is_string(code) || !streq(json_string_value(code), "Success"))) {
                r = -EBADMSG;
                goto finish;
        }

        r = json_string_dup(root, "AccessKeyId", true, &c.access_key_id);
        if (r >= 0)
                r = json_string_dup(root, "SecretAccessKey", true, &c.secret_access_key);
        if (r >= 0)
                r = json_string_dup(root, "Token", false, &c.session_token);
        if (r >= 0)
                r = json_string_dup(root, "Expiration", false, &expiration);
        if (r < 0)
                goto finish;

        *ret = c;
        c = (AwsCredentials) {};
        if (ret_expiration)
                *ret_expiration = TAKE_PTR(expiration);
        r = 0;
finish:
        aws_credentials_done(&c);
        json_decref(root);
        return r;
}

static int query_next(ImdsQuery *q);

static void query_finish(ImdsQuery *q, int r) {
        q->step = IMDS_STEP_DONE;
        q->current = NULL;
        /* The callback may free q: nothing touches it afterwards. */
        q->done(r, &q->info, q->userdata);
}

static int status_to_errno(long status) {
        if (status == 200)
                return 0;
        if (status == 401 || status == 403)
                return -EACCES;
        if (status == 404)
                return -ENOENT;
        return -EIO;
}

static int store_answer(ImdsQuery *q, const char *body, size_t len) {
        switch (q->step) {
        case IMDS_STEP_TOKEN:
                return imds_parse_text(body, len, &q->token);
        case IMDS_STEP_INSTANCE_ID:
                return imds_parse_text(body, len, &q->info.instance_id);
        case IMDS_STEP_REGION:
                return imds_parse_text(body, len, &q->info.region);
        case IMDS_STEP_PUBLIC_IPV4:
                return imds_parse_text(body, len, &q->info.public_ipv4);
        case IMDS_STEP_ROLE:
                return imds_parse_role_list(body, len, &q->info.role);
        case IMDS_STEP_CREDENTIALS:
                return imds_parse_credentials(body, len, &q->info.credentials, &q->info.expiration);
        default:
                return -EINVAL;
        }
}

static void on_done(CURL *easy, CURLcode result, long status, void *userdata) {
        ImdsQuery *q = userdata;
        const char *body;
        size_t len = 0;
        int r;

        q->current = NULL;

        if (result != CURLE_OK) {
                log_debug("IMDS request failed: %s", curl_easy_strerror(result));
                return query_finish(q, aws_curl_code_to_errno(result));
        }

        /* An instance without a public address answers 404: that is an answer. */
        if (q->step == IMDS_STEP_PUBLIC_IPV4 && status == 404) {
                q->step++;
                r = query_next(q);
                if (r < 0)
                        query_finish(q, r);
                return;
        }

        r = status_to_errno(status);
        if (r < 0) {
                log_debug("IMDS step %d answered HTTP %ld", (int) q->step, status);
                return query_finish(q, r);
        }

        body = curl_event_body(q->curl_event, easy, &len);
        r = store_answer(q, body ?: "", body ? len : 0);
        if (r < 0)
                return query_finish(q, r == -ENOMEM ? r : (r == -ENOENT ? r : -EBADMSG));

        q->step++;
        r = query_next(q);
        if (r < 0)
                query_finish(q, r);
}

static bool step_wanted(const ImdsQuery *q, ImdsStep step) {
        switch (step) {
        case IMDS_STEP_TOKEN:
                return true;
        case IMDS_STEP_INSTANCE_ID:
                return q->want & IMDS_WANT_INSTANCE_ID;
        case IMDS_STEP_REGION:
                return q->want & IMDS_WANT_REGION;
        case IMDS_STEP_PUBLIC_IPV4:
                return q->want & IMDS_WANT_PUBLIC_IPV4;
        case IMDS_STEP_ROLE:
        case IMDS_STEP_CREDENTIALS:
                return q->want & IMDS_WANT_CREDENTIALS;
        default:
                return false;
        }
}

static int step_path(const ImdsQuery *q, char **ret) {
        const char *p;

        switch (q->step) {
        case IMDS_STEP_TOKEN:
                p = "latest/api/token";
                break;
        case IMDS_STEP_INSTANCE_ID:
                p = "latest/meta-data/instance-id";
                break;
        case IMDS_STEP_REGION:
                p = "latest/meta-data/placement/region";
                break;
        case IMDS_STEP_PUBLIC_IPV4:
                p = "latest/meta-data/public-ipv4";
                break;
        case IMDS_STEP_ROLE:
                p = "latest/meta-data/iam/security-credentials/";
                break;
        case IMDS_STEP_CREDENTIALS:
                return asprintf(ret, "%s/latest/meta-data/iam/security-credentials/%s",
                                q->endpoint, q->info.role) < 0 ? -ENOMEM : 0;
        default:
                return -EINVAL;
        }
        return asprintf(ret, "%s/%s", q->endpoint, p) < 0 ? -ENOMEM : 0;
}

/* Start the next wanted step, or report the result when there is none. */
static int query_next(ImdsQuery *q) {
        _cleanup_free_ char *url = NULL, *header = NULL;
        struct curl_slist *headers = NULL, *h;
        CURL *easy;
        int r;

        while (q->step < IMDS_STEP_DONE && !step_wanted(q, q->step))
                q->step++;
        if (q->step == IMDS_STEP_DONE) {
                query_finish(q, 0);
                return 0;
        }

        r = step_path(q, &url);
        if (r < 0)
                return r;

        if (q->step == IMDS_STEP_TOKEN)
                r = asprintf(&header, "X-aws-ec2-metadata-token-ttl-seconds: %d", IMDS_TOKEN_TTL_SECONDS);
        else
                r = asprintf(&header, "X-aws-ec2-metadata-token: %s", q->token);
        if (r < 0)
                return -ENOMEM;

        h = curl_slist_append(NULL, header);
        if (!h)
                return -ENOMEM;
        headers = h;

        easy = curl_easy_init();
        if (!easy) {
                curl_slist_free_all(headers);
                return -ENOMEM;
        }
        if (curl_easy_setopt(easy, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, IMDS_REQUEST_TIMEOUT_MS) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_NOPROXY, "*") != CURLE_OK ||
            (q->step == IMDS_STEP_TOKEN &&
             curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "PUT") != CURLE_OK)) {
                curl_easy_cleanup(easy);
                curl_slist_free_all(headers);
                return -EIO;
        }

        r = curl_event_add_with_headers(q->curl_event, easy, headers, on_done, q);
        if (r < 0)
                return r;
        q->current = easy;
        return 0;
}

int imds_query_start(CurlEvent *ce, const char *endpoint, unsigned want, imds_done_t done,
                     void *userdata, ImdsQuery **ret) {
        ImdsQuery *q;
        size_t n;
        int r;

        if (!ce || !done || !ret)
                return -EINVAL;

        if (!endpoint || !*endpoint)
                endpoint = IMDS_DEFAULT_ENDPOINT;

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->curl_event = ce;
        q->want = want;
        q->done = done;
        q->userdata = userdata;
        q->endpoint = strdup(endpoint);
        if (!q->endpoint) {
                imds_query_free(q);
                return -ENOMEM;
        }
        n = strlen(q->endpoint);
        while (n > 0 && q->endpoint[n - 1] == '/')
                q->endpoint[--n] = 0;

        /* With nothing to fetch the callback would run before we return; the
         * token alone is never what a caller wants. */
        if (want == 0) {
                imds_query_free(q);
                return -EINVAL;
        }

        r = query_next(q);
        if (r < 0) {
                imds_query_free(q);
                return r;
        }
        *ret = q;
        return 0;
}

ImdsQuery *imds_query_free(ImdsQuery *q) {
        if (!q)
                return NULL;
        if (q->current)
                curl_event_cancel(q->curl_event, q->current);
        if (q->token)
                explicit_bzero(q->token, strlen(q->token));
        free(q->token);
        imds_info_done(&q->info);
        free(q->endpoint);
        free(q);
        return NULL;
}
