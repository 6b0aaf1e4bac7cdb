/* SPDX-License-Identifier: MIT */
/* Fuzz the EC2 XML parsers: DescribeInstances, Start/Stop, error documents. */
#include "common/ec2.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Ec2InstanceList l = {};
        Ec2StateChange c = {};
        Ec2Error e = {};

        if (ec2_parse_describe_instances(data, size, "sigrun:world", &l) >= 0) {
                for (size_t i = 0; i < l.n; i++)
                        (void) ec2_state_to_string(l.items[i].state);
                ec2_instance_list_done(&l);
        }
        if (ec2_parse_state_change(data, size, &c) >= 0)
                ec2_state_change_done(&c);
        if (ec2_parse_error(data, size, &e) >= 0) {
                (void) ec2_error_is_throttling(e.code);
                ec2_error_done(&e);
        }
        return 0;
}
