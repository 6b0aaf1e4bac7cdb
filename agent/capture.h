/* SPDX-License-Identifier: MIT */
/*
 * The packet source: libpcap on a live interface (non-blocking, its
 * selectable fd in the sd-event loop) or a pcap/pcapng file for --replay.
 * Either way each packet reaches the same callback with its link type, so
 * live and replay share every decision after this point.
 */
#pragma once

#include <systemd/sd-event.h>

#include "common/macro.h"

typedef void (*capture_packet_t)(usec_t timestamp, const uint8_t *data, size_t caplen, void *userdata);
/* The live capture broke (the interface went away); capture_error() says why. */
typedef void (*capture_failed_t)(void *userdata);

typedef struct Capture Capture;

/* ifname NULL or "": the interface of the default route. */
int capture_open_live(const char *ifname, const char *filter, size_t buffer_size, Capture **ret, char **ret_error);
int capture_open_offline(const char *path, Capture **ret, char **ret_error);
Capture *capture_free(Capture *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Capture *, capture_free);

/* Live: dispatch packets from the event loop. */
int capture_attach(Capture *c, sd_event *e, capture_packet_t cb, capture_failed_t failed_cb, void *userdata);
/* Offline: read the whole file; returns 0 at the end, -EBADMSG when the file is cut or corrupt
 * (packets before the damage have been delivered; *ret_error says what happened). */
int capture_run_offline(Capture *c, capture_packet_t cb, void *userdata, char **ret_error);

int capture_linktype(const Capture *c);
const char *capture_linktype_name(const Capture *c);
const char *capture_ifname(const Capture *c);
/* The live capture broke (the interface went away): its count means nothing now. */
bool capture_failed(const Capture *c);
const char *capture_error(const Capture *c);
/* Packets the kernel dropped (live only). */
int capture_dropped(Capture *c, uint64_t *ret);

/* Name of the interface that carries the default route (IPv4, else IPv6). */
int default_route_interface(char **ret);
