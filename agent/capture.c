/* SPDX-License-Identifier: MIT */
/*
 * libpcap, live or from a file. Live: pcap_create + immediate mode + a small
 * snaplen (the GNS verdict needs the headers and the first payload bytes),
 * the BPF filter from the game profile, non-blocking, the selectable fd as an
 * sd-event io source, and pcap_dispatch until it has nothing more.
 */
#include <net/if.h>
#include <stdarg.h>
#include <pcap/pcap.h>
#include <string.h>

#include "agent/capture.h"

/* Enough for Ethernet + VLAN + IPv6 with extension headers + UDP + 64 payload bytes. */
#define CAPTURE_SNAPLEN 256

struct Capture {
        pcap_t *pcap;
        char *ifname;
        sd_event_source *io;
        capture_packet_t cb;
        void *userdata;
        bool offline;
        bool failed;
        char *error;
        capture_failed_t failed_cb;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(pcap_t *, pcap_close);

Capture *capture_free(Capture *c) {
        if (!c)
                return NULL;
        sd_event_source_disable_unref(c->io);
        if (c->pcap)
                pcap_close(c->pcap);
        free(c->ifname);
        free(c->error);
        free(c);
        return NULL;
}

int default_route_interface(char **ret) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[512];

        /* /proc/self/net/route (ProtectProc/ProcSubset hide /proc/net): Iface Destination Gateway Flags ...; the default route has destination 0. */
        f = fopen("/proc/self/net/route", "re");
        if (f) {
                while (fgets(line, sizeof(line), f)) {
                        char ifname[IF_NAMESIZE + 1];
                        unsigned long dest, gw, flags;
                        if (sscanf(line, "%16s %lx %lx %lx", ifname, &dest, &gw, &flags) != 4)
                                continue;
                        if (dest == 0 && (flags & 0x1 /* RTF_UP */)) {
                                *ret = strdup(ifname);
                                return *ret ? 0 : -ENOMEM;
                        }
                }
                fclose(f);
                f = NULL;
        }
        /* /proc/net/ipv6_route: dest(32 hex) plen ... ifname last; default is ::/0 not via lo. */
        f = fopen("/proc/self/net/ipv6_route", "re");
        if (f)
                while (fgets(line, sizeof(line), f)) {
                        char dest[33], ifname[IF_NAMESIZE + 1];
                        unsigned plen;
                        if (sscanf(line, "%32s %x %*s %*s %*s %*s %*s %*s %*s %16s", dest, &plen, ifname) != 3)
                                continue;
                        if (plen == 0 && strspn(dest, "0") == 32 && !streq(ifname, "lo")) {
                                *ret = strdup(ifname);
                                return *ret ? 0 : -ENOMEM;
                        }
                }
        return -ENETUNREACH;
}

static int set_error(char **ret_error, const char *format, ...) _printf_(2, 3);
static int set_error(char **ret_error, const char *format, ...) {
        va_list ap;

        if (!ret_error)
                return 0;
        va_start(ap, format);
        if (vasprintf(ret_error, format, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return 0;
}

int capture_open_live(const char *ifname, const char *filter, size_t buffer_size, Capture **ret, char **ret_error) {
        _cleanup_(capture_freep) Capture *c = NULL;
        char errbuf[PCAP_ERRBUF_SIZE] = "";
        struct bpf_program prog;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        if (ifname && ifname[0])
                c->ifname = strdup(ifname);
        else {
                r = default_route_interface(&c->ifname);
                if (r < 0) {
                        set_error(ret_error, "no default route to capture on; set capture.interface");
                        return r;
                }
        }
        if (!c->ifname)
                return -ENOMEM;

        c->pcap = pcap_create(c->ifname, errbuf);
        if (!c->pcap) {
                set_error(ret_error, "%s", errbuf);
                return -ENODEV;
        }
        if (pcap_set_snaplen(c->pcap, CAPTURE_SNAPLEN) != 0 || pcap_set_promisc(c->pcap, 0) != 0 ||
            pcap_set_immediate_mode(c->pcap, 1) != 0 || pcap_set_buffer_size(c->pcap, (int) MIN(buffer_size, (size_t) INT32_MAX)) != 0 ||
            pcap_set_tstamp_precision(c->pcap, PCAP_TSTAMP_PRECISION_MICRO) != 0) {
                set_error(ret_error, "cannot set capture options on %s", c->ifname);
                return -EINVAL;
        }
        r = pcap_activate(c->pcap);
        if (r < 0) {
                set_error(ret_error, "cannot capture on %s: %s", c->ifname, pcap_geterr(c->pcap));
                return r == PCAP_ERROR_PERM_DENIED ? -EPERM : r == PCAP_ERROR_NO_SUCH_DEVICE ? -ENODEV : -EIO;
        }
        if (filter) {
                if (pcap_compile(c->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
                        set_error(ret_error, "bad capture filter \"%s\": %s", filter, pcap_geterr(c->pcap));
                        return -EINVAL;
                }
                r = pcap_setfilter(c->pcap, &prog);
                pcap_freecode(&prog);
                if (r < 0) {
                        set_error(ret_error, "cannot set capture filter: %s", pcap_geterr(c->pcap));
                        return -EIO;
                }
        }
        if (pcap_setnonblock(c->pcap, 1, errbuf) < 0) {
                set_error(ret_error, "%s", errbuf);
                return -EIO;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

int capture_open_offline(const char *path, Capture **ret, char **ret_error) {
        _cleanup_(capture_freep) Capture *c = NULL;
        char errbuf[PCAP_ERRBUF_SIZE] = "";

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->offline = true;
        /* Works for pcap and pcapng alike. */
        c->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
        if (!c->pcap) {
                set_error(ret_error, "%s", errbuf);
                return -EINVAL;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

static void capture_handler(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
        Capture *c = (Capture *) user;
        usec_t ts = (usec_t) h->ts.tv_sec * USEC_PER_SEC + (usec_t) h->ts.tv_usec;

        c->cb(ts, bytes, h->caplen, c->userdata);
}

/* At most this many pcap_dispatch() rounds per wakeup: the fd is level
 * triggered, so what is left wakes us again after timers and the API ran. */
#define CAPTURE_ROUNDS_MAX 16

static int capture_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Capture *c = userdata;

        for (unsigned i = 0; i < CAPTURE_ROUNDS_MAX; i++) {
                int n = pcap_dispatch(c->pcap, 256, capture_handler, (u_char *) c);
                if (n == 0)
                        break;
                if (n < 0) {
                        /* The interface went away: stop watching, let the owner decide. */
                        c->failed = true;
                        free(c->error);
                        c->error = strdup(pcap_geterr(c->pcap));
                        sd_event_source_set_enabled(s, SD_EVENT_OFF);
                        if (c->failed_cb)
                                c->failed_cb(c->userdata);
                        break;
                }
        }
        return 0;
}

int capture_attach(Capture *c, sd_event *e, capture_packet_t cb, capture_failed_t failed_cb, void *userdata) {
        int fd;

        c->cb = cb;
        c->failed_cb = failed_cb;
        c->userdata = userdata;
        fd = pcap_get_selectable_fd(c->pcap);
        if (fd < 0)
                return -EOPNOTSUPP;
        return sd_event_add_io(e, &c->io, fd, EPOLLIN, capture_on_io, c);
}

int capture_run_offline(Capture *c, capture_packet_t cb, void *userdata, char **ret_error) {
        int n;

        c->cb = cb;
        c->userdata = userdata;
        n = pcap_loop(c->pcap, -1, capture_handler, (u_char *) c);
        if (n == PCAP_ERROR) {
                set_error(ret_error, "%s", pcap_geterr(c->pcap));
                return -EBADMSG;
        }
        return 0;
}

int capture_linktype(const Capture *c) {
        return pcap_datalink(c->pcap);
}

const char *capture_linktype_name(const Capture *c) {
        const char *s = pcap_datalink_val_to_description(pcap_datalink(c->pcap));
        return s ? s : "unknown link type";
}

bool capture_failed(const Capture *c) {
        return c->failed;
}

const char *capture_error(const Capture *c) {
        return c->error;
}

const char *capture_ifname(const Capture *c) {
        return c->ifname;
}

int capture_dropped(Capture *c, uint64_t *ret) {
        struct pcap_stat st;

        if (c->offline || pcap_stats(c->pcap, &st) < 0)
                return -EOPNOTSUPP;
        *ret = (uint64_t) st.ps_drop + st.ps_ifdrop;
        return 0;
}
