/* SPDX-License-Identifier: MIT */
/*
 * AWS credentials, endpoints and SigV4-signed EC2 requests through libcurl.
 * See aws.h for why building and performing a request are kept apart.
 */
#include <ctype.h>
#include <string.h>

#include "common/aws.h"
#include "common/log.h"

struct AwsRequest {
        CURL *curl;
        struct curl_slist *headers;
        char *body;
        char *userpwd;
        char *sigv4;
        char *url;
        Buffer response;
        bool overflow;
};

static char *strdup_nonempty(const char *s) {
        return s && *s ? strdup(s) : NULL;
}

void aws_credentials_done(AwsCredentials *c) {
        if (!c)
                return;
        if (c->secret_access_key)
                explicit_bzero(c->secret_access_key, strlen(c->secret_access_key));
        free(c->access_key_id);
        free(c->secret_access_key);
        free(c->session_token);
        *c = (AwsCredentials) {};
}

static int credentials_set(const char *id, const char *secret, const char *token, AwsCredentials *ret) {
        AwsCredentials c = {};

        if (!id || !*id || !secret || !*secret)
                return -ENOKEY;
        c.access_key_id = strdup(id);
        c.secret_access_key = strdup(secret);
        c.session_token = strdup_nonempty(token);
        if (!c.access_key_id || !c.secret_access_key || (token && *token && !c.session_token)) {
                aws_credentials_done(&c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

int aws_credentials_from_env(AwsCredentials *ret) {
        return credentials_set(getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"),
                               getenv("AWS_SESSION_TOKEN"), ret);
}

static char *strip(char *s) {
        char *e;

        while (isspace((unsigned char) *s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = 0;
        return s;
}

int aws_credentials_from_file(const char *path, const char *profile, AwsCredentials *ret) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *id = NULL, *secret = NULL, *token = NULL;
        char line[4096];
        bool in_profile = false;

        f = fopen(path, "re");
        if (!f)
                return -errno;

        while (fgets(line, sizeof line, f)) {
                char *s = strip(line), *eq, *k, *v, **field;

                if (*s == 0 || *s == '#' || *s == ';')
                        continue;
                if (*s == '[') {
                        char *end = strchr(s, ']');
                        if (!end)
                                continue;
                        *end = 0;
                        in_profile = streq(strip(s + 1), profile);
                        continue;
                }
                if (!in_profile)
                        continue;
                eq = strchr(s, '=');
                if (!eq)
                        continue;
                *eq = 0;
                k = strip(s);
                v = strip(eq + 1);
                if (streq(k, "aws_access_key_id"))
                        field = &id;
                else if (streq(k, "aws_secret_access_key"))
                        field = &secret;
                else if (streq(k, "aws_session_token"))
                        field = &token;
                else
                        continue;
                free(*field);
                *field = strdup(v);
                if (!*field)
                        return -ENOMEM;
        }
        if (secret)
                explicit_bzero(line, sizeof line);
        return credentials_set(id, secret, token, ret);
}

int aws_credentials_load(AwsCredentials *ret) {
        _cleanup_free_ char *path = NULL;
        const char *p, *profile;
        int r;

        r = aws_credentials_from_env(ret);
        if (r != -ENOKEY)
                return r;

        p = getenv("AWS_SHARED_CREDENTIALS_FILE");
        if (!p || !*p) {
                const char *home = getenv("HOME");
                if (!home || !*home)
                        return -ENOKEY;
                if (asprintf(&path, "%s/.aws/credentials", home) < 0)
                        return -ENOMEM;
                p = path;
        }
        profile = getenv("AWS_PROFILE");
        if (!profile || !*profile)
                profile = "default";
        r = aws_credentials_from_file(p, profile, ret);
        return r == -ENOENT ? -ENOKEY : r;
}

int aws_region_from_env(char **ret) {
        const char *r = getenv("AWS_REGION");
        char *s;

        if (!r || !*r)
                r = getenv("AWS_DEFAULT_REGION");
        if (!r || !*r)
                return -ENOENT;
        s = strdup(r);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int aws_endpoint_resolve(const char *service, const char *region, char **ret) {
        char var[64] = "AWS_ENDPOINT_URL_";
        const char *e;
        size_t n = strlen(var);
        char *s;

        for (const char *c = service; *c && n < sizeof var - 1; c++)
                var[n++] = (char) toupper((unsigned char) *c);
        var[n] = 0;

        e = getenv(var);
        if (!e || !*e)
                e = getenv("AWS_ENDPOINT_URL");
        if (e && *e)
                s = strdup(e);
        else if (asprintf(&s, "https://%s.%s.amazonaws.com/", service, region) < 0)
                s = NULL;
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int aws_form_escape(const char *s, char **ret) {
        /* curl_easy_escape() encodes everything but RFC 3986 unreserved
         * characters, which is what SigV4's canonical form expects. */
        char *e = curl_easy_escape(NULL, s, 0), *copy;

        if (!e)
                return -ENOMEM;
        copy = strdup(e);
        curl_free(e);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

void aws_curl_set_ca(CURL *curl) {
        static const char amazon_linux_bundle[] = "/etc/pki/tls/certs/ca-bundle.crt";
        const char *ca = getenv("CURL_CA_BUNDLE");

        if (ca && *ca)
                (void) curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
        else if (access(amazon_linux_bundle, R_OK) == 0)
                (void) curl_easy_setopt(curl, CURLOPT_CAINFO, amazon_linux_bundle);
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
        AwsRequest *req = userdata;
        size_t n = size * nmemb;

        if (buffer_append(&req->response, ptr, n) < 0) {
                req->overflow = true;
                return 0; /* makes curl fail with CURLE_WRITE_ERROR */
        }
        return n;
}

AwsRequest *aws_request_free(AwsRequest *req) {
        if (!req)
                return NULL;
        if (req->curl)
                curl_easy_cleanup(req->curl);
        curl_slist_free_all(req->headers);
        if (req->userpwd)
                explicit_bzero(req->userpwd, strlen(req->userpwd));
        free(req->userpwd);
        free(req->sigv4);
        free(req->url);
        free(req->body);
        buffer_free(&req->response);
        free(req);
        return NULL;
}

static int append_header(struct curl_slist **list, const char *h) {
        struct curl_slist *l = curl_slist_append(*list, h);
        if (!l)
                return -ENOMEM;
        *list = l;
        return 0;
}

int aws_request_new(const AwsCredentials *creds, const char *region, const char *service,
                    const char *endpoint, const char *form_body, long timeout_ms, AwsRequest **ret) {
        _cleanup_(aws_request_freep) AwsRequest *req = NULL;
        _cleanup_free_ char *token_header = NULL;
        bool has_version;
        CURL *c;

        if (!creds || !creds->access_key_id || !creds->secret_access_key || !region || !*region ||
            !service || !endpoint || !form_body)
                return -EINVAL;
        /* libcurl splits USERPWD at the first colon. */
        if (strchr(creds->access_key_id, ':'))
                return -EINVAL;

        req = calloc(1, sizeof *req);
        if (!req)
                return -ENOMEM;
        req->response = BUFFER_INIT(AWS_RESPONSE_MAX);

        has_version = strncmp(form_body, "Version=", 8) == 0 || strstr(form_body, "&Version=");
        if (asprintf(&req->body, "%s%s%s", form_body, has_version ? "" : (*form_body ? "&" : ""),
                     has_version ? "" : "Version=" AWS_EC2_API_VERSION) < 0) {
                req->body = NULL;
                return -ENOMEM;
        }
        if (asprintf(&req->userpwd, "%s:%s", creds->access_key_id, creds->secret_access_key) < 0) {
                req->userpwd = NULL;
                return -ENOMEM;
        }
        if (asprintf(&req->sigv4, "aws:amz:%s:%s", region, service) < 0) {
                req->sigv4 = NULL;
                return -ENOMEM;
        }
        req->url = strdup(endpoint);
        if (!req->url)
                return -ENOMEM;

        /* No "Header:" removals here: 7.88 signs an empty header it then drops. */
        if (append_header(&req->headers, "Content-Type: application/x-www-form-urlencoded; charset=utf-8") < 0)
                return -ENOMEM;
        /* Never an empty token header: 7.88 would sign it and then drop it. */
        if (creds->session_token && *creds->session_token) {
                if (asprintf(&token_header, "X-Amz-Security-Token: %s", creds->session_token) < 0) {
                        token_header = NULL;
                        return -ENOMEM;
                }
                if (append_header(&req->headers, token_header) < 0)
                        return -ENOMEM;
        }

        c = req->curl = curl_easy_init();
        if (!c)
                return -ENOMEM;
        if (curl_easy_setopt(c, CURLOPT_URL, req->url) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long) strlen(req->body)) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, req->headers) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_AWS_SIGV4, req->sigv4) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_USERPWD, req->userpwd) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEDATA, req) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_USERAGENT, "sigrun/" PACKAGE_VERSION) != CURLE_OK)
                return -EIO;
        if (timeout_ms > 0) {
                (void) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
                (void) curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        }
        aws_curl_set_ca(c);

        *ret = TAKE_PTR(req);
        return 0;
}

CURL *aws_request_get_curl(AwsRequest *req) {
        return req ? req->curl : NULL;
}

int aws_curl_code_to_errno(CURLcode code) {
        switch (code) {
        case CURLE_OK:
                return 0;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
                return -EHOSTUNREACH;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        default:
                return -EIO;
        }
}

int aws_request_perform(AwsRequest *req) {
        CURLcode code;

        code = curl_easy_perform(req->curl);
        if (req->overflow)
                return -ENOBUFS;
        if (code != CURLE_OK)
                log_debug("EC2 request to %s failed: %s", req->url, curl_easy_strerror(code));
        return aws_curl_code_to_errno(code);
}

int aws_request_result(AwsRequest *req, long *ret_status, const uint8_t **ret_body, size_t *ret_len) {
        long status = 0;
        int r;

        if (req->overflow)
                return -ENOBUFS;
        if (curl_easy_getinfo(req->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status == 0)
                return -EIO;
        r = buffer_terminate(&req->response);
        if (r < 0)
                return r;
        *ret_status = status;
        *ret_body = req->response.data;
        *ret_len = req->response.len;
        return 0;
}
