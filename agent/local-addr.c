/* SPDX-License-Identifier: MIT */
/* The host's interface addresses, for telling the game server's own traffic
 * from traffic that only claims to be it; see local-addr.h. */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/local-addr.h"

int local_addrs_refresh(LocalAddrs *ret) {
        struct ifaddrs *list = NULL;
        LocalAddrs l = {};

        if (getifaddrs(&list) < 0)
                return -errno;
        for (struct ifaddrs *i = list; i && l.n < LOCAL_ADDRS_MAX; i = i->ifa_next) {
                PacketAddr *a = &l.addrs[l.n];

                if (!i->ifa_addr)
                        continue;
                *a = (PacketAddr) {};
                if (i->ifa_addr->sa_family == AF_INET) {
                        const struct sockaddr_in *sin = (const struct sockaddr_in *) i->ifa_addr;
                        a->family = AF_INET;
                        memcpy(a->addr, &sin->sin_addr, 4);
                } else if (i->ifa_addr->sa_family == AF_INET6) {
                        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) i->ifa_addr;
                        a->family = AF_INET6;
                        memcpy(a->addr, &sin6->sin6_addr, 16);
                } else
                        continue;
                l.n++;
        }
        freeifaddrs(list);
        *ret = l;
        return 0;
}

bool local_addrs_contain(const LocalAddrs *l, const PacketAddr *a) {
        size_t len = a->family == AF_INET ? 4 : 16;

        for (size_t i = 0; i < l->n; i++)
                if (l->addrs[i].family == a->family && memcmp(l->addrs[i].addr, a->addr, len) == 0)
                        return true;
        return false;
}
