/* SPDX-License-Identifier: MIT */
/*
 * libcurl, loaded when first used. sigrun-agent links this instead of
 * -lcurl: most agents never make an HTTP request (no Discord webhook, the
 * poweroff action), and libcurl's dependency tree (OpenSSL, GnuTLS, LDAP,
 * Kerberos...) costs about 4 MiB of memory just by being mapped. As systemd
 * does with its optional libraries, the symbols are resolved with dlopen()
 * on the first call; callers use the ordinary curl API unchanged. The Lambda
 * and the CLI link libcurl normally.
 *
 * The variadic setopt functions forward one argument whose type curl itself
 * derives from the option number: long, pointer (object, function, blob), or
 * curl_off_t.
 */
#define CURL_DISABLE_TYPECHECK 1

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>

#define LIBCURL_SONAME "libcurl.so.4"

static struct {
        void *handle;
        int state; /* 0 untried, 1 loaded, -1 failed */
        CURLcode (*global_init)(long);
        void (*global_cleanup)(void);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
        CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
        CURLcode (*easy_perform)(CURL *);
        void (*easy_cleanup)(CURL *);
        const char *(*easy_strerror)(CURLcode);
        char *(*easy_escape)(CURL *, const char *, int);
        CURLHcode (*easy_header)(CURL *, const char *, size_t, unsigned int, int, struct curl_header **);
        void (*free)(void *);
        struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
        void (*slist_free_all)(struct curl_slist *);
        CURLM *(*multi_init)(void);
        CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
        CURLMcode (*multi_add_handle)(CURLM *, CURL *);
        CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
        CURLMcode (*multi_socket_action)(CURLM *, curl_socket_t, int, int *);
        CURLMcode (*multi_assign)(CURLM *, curl_socket_t, void *);
        CURLMsg *(*multi_info_read)(CURLM *, int *);
        CURLMcode (*multi_cleanup)(CURLM *);
        const char *(*multi_strerror)(CURLMcode);
} lib;

static int libcurl_load(void) {
        if (lib.state != 0)
                return lib.state;
        lib.state = -1;
        lib.handle = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!lib.handle)
                return -1;
#define SYM(field, name)                                                      \
        do {                                                                  \
                *(void **) &lib.field = dlsym(lib.handle, name);              \
                if (!lib.field)                                               \
                        return -1;                                            \
        } while (0)
        SYM(global_init, "curl_global_init");
        SYM(global_cleanup, "curl_global_cleanup");
        SYM(easy_init, "curl_easy_init");
        SYM(easy_setopt, "curl_easy_setopt");
        SYM(easy_getinfo, "curl_easy_getinfo");
        SYM(easy_perform, "curl_easy_perform");
        SYM(easy_cleanup, "curl_easy_cleanup");
        SYM(easy_strerror, "curl_easy_strerror");
        SYM(easy_escape, "curl_easy_escape");
        SYM(easy_header, "curl_easy_header");
        SYM(free, "curl_free");
        SYM(slist_append, "curl_slist_append");
        SYM(slist_free_all, "curl_slist_free_all");
        SYM(multi_init, "curl_multi_init");
        SYM(multi_setopt, "curl_multi_setopt");
        SYM(multi_add_handle, "curl_multi_add_handle");
        SYM(multi_remove_handle, "curl_multi_remove_handle");
        SYM(multi_socket_action, "curl_multi_socket_action");
        SYM(multi_assign, "curl_multi_assign");
        SYM(multi_info_read, "curl_multi_info_read");
        SYM(multi_cleanup, "curl_multi_cleanup");
        SYM(multi_strerror, "curl_multi_strerror");
#undef SYM
        lib.state = 1;
        return 1;
}

CURLcode curl_global_init(long flags) {
        return libcurl_load() > 0 ? lib.global_init(flags) : CURLE_FAILED_INIT;
}

void curl_global_cleanup(void) {
        if (lib.state > 0)
                lib.global_cleanup();
}

CURL *curl_easy_init(void) {
        return libcurl_load() > 0 ? lib.easy_init() : NULL;
}

/* Only reachable with a handle, so the library is loaded. */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...) {
        va_list ap;
        CURLcode r;

        va_start(ap, option);
        if (option >= CURLOPTTYPE_BLOB)
                r = lib.easy_setopt(curl, option, va_arg(ap, void *));
        else if (option >= CURLOPTTYPE_OFF_T)
                r = lib.easy_setopt(curl, option, va_arg(ap, curl_off_t));
        else if (option >= CURLOPTTYPE_OBJECTPOINT)
                r = lib.easy_setopt(curl, option, va_arg(ap, void *));
        else
                r = lib.easy_setopt(curl, option, va_arg(ap, long));
        va_end(ap);
        return r;
}

CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...) {
        va_list ap;
        CURLcode r;

        va_start(ap, info);
        r = lib.easy_getinfo(curl, info, va_arg(ap, void *));
        va_end(ap);
        return r;
}

CURLcode curl_easy_perform(CURL *curl) {
        return lib.easy_perform(curl);
}

void curl_easy_cleanup(CURL *curl) {
        if (curl && lib.state > 0)
                lib.easy_cleanup(curl);
}

const char *curl_easy_strerror(CURLcode code) {
        return libcurl_load() > 0 ? lib.easy_strerror(code) : "libcurl is not available";
}

char *curl_easy_escape(CURL *curl, const char *s, int length) {
        return libcurl_load() > 0 ? lib.easy_escape(curl, s, length) : NULL;
}

CURLHcode curl_easy_header(CURL *curl, const char *name, size_t index, unsigned int origin, int request,
                           struct curl_header **hout) {
        return lib.easy_header(curl, name, index, origin, request, hout);
}

void curl_free(void *p) {
        if (p && lib.state > 0)
                lib.free(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s) {
        return libcurl_load() > 0 ? lib.slist_append(list, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *list) {
        if (list && lib.state > 0)
                lib.slist_free_all(list);
}

CURLM *curl_multi_init(void) {
        return libcurl_load() > 0 ? lib.multi_init() : NULL;
}

CURLMcode curl_multi_setopt(CURLM *multi, CURLMoption option, ...) {
        va_list ap;
        CURLMcode r;

        va_start(ap, option);
        if (option >= CURLOPTTYPE_BLOB)
                r = lib.multi_setopt(multi, option, va_arg(ap, void *));
        else if (option >= CURLOPTTYPE_OFF_T)
                r = lib.multi_setopt(multi, option, va_arg(ap, curl_off_t));
        else if (option >= CURLOPTTYPE_OBJECTPOINT)
                r = lib.multi_setopt(multi, option, va_arg(ap, void *));
        else
                r = lib.multi_setopt(multi, option, va_arg(ap, long));
        va_end(ap);
        return r;
}

CURLMcode curl_multi_add_handle(CURLM *multi, CURL *easy) {
        return lib.multi_add_handle(multi, easy);
}

CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *easy) {
        return lib.multi_remove_handle(multi, easy);
}

CURLMcode curl_multi_socket_action(CURLM *multi, curl_socket_t s, int ev_bitmask, int *running_handles) {
        return lib.multi_socket_action(multi, s, ev_bitmask, running_handles);
}

CURLMcode curl_multi_assign(CURLM *multi, curl_socket_t s, void *p) {
        return lib.multi_assign(multi, s, p);
}

CURLMsg *curl_multi_info_read(CURLM *multi, int *msgs_in_queue) {
        return lib.multi_info_read(multi, msgs_in_queue);
}

CURLMcode curl_multi_cleanup(CURLM *multi) {
        return multi && lib.state > 0 ? lib.multi_cleanup(multi) : CURLM_OK;
}

const char *curl_multi_strerror(CURLMcode code) {
        return libcurl_load() > 0 ? lib.multi_strerror(code) : "libcurl is not available";
}
