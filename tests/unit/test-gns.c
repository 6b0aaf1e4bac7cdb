/* SPDX-License-Identifier: MIT */
/* GNS first-byte classifier: every first byte, and the length rules around each limit. */
#include <string.h>

#include "agent/gns.h"
#include "common/macro.h"
#include "tests/unit/unit.h"

static uint8_t buf[2048];

static GnsKind classify(uint8_t first, size_t len) {
        memset(buf, 0, sizeof(buf));
        buf[0] = first;
        return gns_classify(buf, len);
}

static GnsKind expected_kind(uint8_t first) {
        switch (first) {
        case 0x20:
                return GNS_CHALLENGE_REQUEST;
        case 0x21:
                return GNS_CHALLENGE_REPLY;
        case 0x22:
                return GNS_CONNECT_REQUEST;
        case 0x23:
                return GNS_CONNECT_OK;
        case 0x24:
                return GNS_CONNECTION_CLOSED;
        case 0x25:
                return GNS_NO_CONNECTION;
        default:
                return first & 0x80 ? GNS_DATA : GNS_OTHER;
        }
}

static void test_every_first_byte(void **state) {
        for (unsigned b = 0; b < 256; b++) {
                /* 600 bytes is valid for every kind, padded ones included */
                GnsKind k = classify((uint8_t) b, 600);

                if (k != expected_kind((uint8_t) b))
                        fail_msg("first byte 0x%02x: %s, expected %s", b, gns_kind_to_string(k),
                                 gns_kind_to_string(expected_kind((uint8_t) b)));
        }
}

static void test_minimum_length(void **state) {
        for (unsigned b = 0; b < 256; b++)
                for (size_t len = 0; len < GNS_DATAGRAM_MIN; len++)
                        assert_int_equal(classify((uint8_t) b, len), GNS_MALFORMED);

        assert_int_equal(gns_classify(NULL, 0), GNS_MALFORMED);
        assert_int_equal(classify(0x21, 5), GNS_CHALLENGE_REPLY);
        assert_int_equal(classify(0x22, 5), GNS_CONNECT_REQUEST);
        assert_int_equal(classify(0x23, 5), GNS_CONNECT_OK);
        assert_int_equal(classify(0x25, 5), GNS_NO_CONNECTION);
        assert_int_equal(classify(0x01, 5), GNS_OTHER);
}

static void test_data_header(void **state) {
        assert_int_equal(classify(0x80, 5), GNS_MALFORMED);
        assert_int_equal(classify(0x80, 6), GNS_MALFORMED);
        assert_int_equal(classify(0x80, 7), GNS_DATA);
        assert_int_equal(classify(0xC3, 6), GNS_MALFORMED);
        assert_int_equal(classify(0xC3, 7), GNS_DATA);
}

static void test_padding(void **state) {
        assert_int_equal(classify(0x20, 5), GNS_MALFORMED);
        assert_int_equal(classify(0x20, GNS_PADDED_MIN - 1), GNS_MALFORMED);
        assert_int_equal(classify(0x20, GNS_PADDED_MIN), GNS_CHALLENGE_REQUEST);
        assert_int_equal(classify(0x24, GNS_PADDED_MIN - 1), GNS_MALFORMED);
        assert_int_equal(classify(0x24, GNS_PADDED_MIN), GNS_CONNECTION_CLOSED);
        /* the answers need no padding */
        assert_int_equal(classify(0x21, 100), GNS_CHALLENGE_REPLY);
        assert_int_equal(classify(0x25, 100), GNS_NO_CONNECTION);
}

static void test_maximum_length(void **state) {
        for (unsigned b = 0; b < 256; b++) {
                assert_int_equal(classify((uint8_t) b, GNS_DATAGRAM_MAX), expected_kind((uint8_t) b));
                assert_int_equal(classify((uint8_t) b, GNS_DATAGRAM_MAX + 1), GNS_MALFORMED);
        }
}

static void test_a2s(void **state) {
        static const uint8_t info[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x54, 'S', 'o', 'u', 'r', 'c', 'e' };
        uint8_t big[1400];

        assert_int_equal(gns_classify(info, sizeof(info)), GNS_A2S);
        assert_int_equal(gns_classify(info, 5), GNS_A2S);
        assert_int_equal(gns_classify(info, 4), GNS_MALFORMED);

        /* A2S replies may be larger than any GNS datagram: still A2S, never data */
        memset(big, 0xFF, sizeof(big));
        assert_int_equal(gns_classify(big, sizeof(big)), GNS_A2S);

        /* three FF bytes are a data packet with flags 0xFF */
        big[3] = 0xFE;
        assert_int_equal(gns_classify(big, 100), GNS_DATA);
}

static void test_classify_udp(void **state) {
        uint8_t payload[600] = { 0x20 };
        UdpDatagram d = { .payload = payload, .len = 600, .wire_len = 600 };

        assert_int_equal(gns_classify_udp(&d), GNS_CHALLENGE_REQUEST);

        /* a snaplen of 96 cut the padding off: judged by its real size */
        d.len = 96 - 42;
        assert_int_equal(gns_classify_udp(&d), GNS_CHALLENGE_REQUEST);

        /* but a datagram that really is that short is not what the game sends */
        d.wire_len = d.len;
        assert_int_equal(gns_classify_udp(&d), GNS_MALFORMED);

        /* too little captured to read the first bytes */
        d.len = 3, d.wire_len = 600;
        assert_int_equal(gns_classify_udp(&d), GNS_MALFORMED);

        /* oversized on the wire */
        payload[0] = 0x80;
        d.len = 100, d.wire_len = 1472;
        assert_int_equal(gns_classify_udp(&d), GNS_MALFORMED);
}

static void test_kind_to_string(void **state) {
        for (GnsKind a = 0; a < _GNS_KIND_MAX; a++) {
                assert_non_null(gns_kind_to_string(a));
                for (GnsKind b = a + 1; b < _GNS_KIND_MAX; b++)
                        assert_string_not_equal(gns_kind_to_string(a), gns_kind_to_string(b));
        }
        assert_string_equal(gns_kind_to_string(GNS_CONNECT_OK), "connect_ok");
        assert_null(gns_kind_to_string(_GNS_KIND_MAX));
        assert_null(gns_kind_to_string((GnsKind) -1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_first_byte),
                cmocka_unit_test(test_minimum_length),
                cmocka_unit_test(test_data_header),
                cmocka_unit_test(test_padding),
                cmocka_unit_test(test_maximum_length),
                cmocka_unit_test(test_a2s),
                cmocka_unit_test(test_classify_udp),
                cmocka_unit_test(test_kind_to_string),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
