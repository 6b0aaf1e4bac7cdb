/* SPDX-License-Identifier: MIT */
/* EC2 Query bodies and XML answers, with documents shaped as EC2 sends them. */
#include <string.h>

#include "common/aws.h"
#include "common/ec2.h"
#include "tests/unit/unit.h"

#define U(s) ((const uint8_t *) (s)), (sizeof(s) - 1)

static const char describe_two[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
        "  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>\n"
        "  <reservationSet>\n"
        "    <item>\n"
        "      <reservationId>r-1234567890abcdef0</reservationId>\n"
        "      <ownerId>123456789012</ownerId>\n"
        "      <groupSet/>\n"
        "      <instancesSet>\n"
        "        <item>\n"
        "          <instanceId>i-0aaa</instanceId>\n"
        "          <imageId>ami-0abc</imageId>\n"
        "          <instanceState><code>16</code><name>running</name></instanceState>\n"
        "          <privateDnsName>ip-10-0-0-157.ec2.internal</privateDnsName>\n"
        "          <launchTime>2026-12-04T15:00:00.000Z</launchTime>\n"
        "          <ipAddress>203.0.113.10</ipAddress>\n"
        "          <groupSet><item><groupId>sg-1</groupId><groupName>valheim</groupName></item></groupSet>\n"
        "          <tagSet>\n"
        "            <item><key>Name</key><value>valheim-midgard</value></item>\n"
        "            <item><key>sigrun:world</key><value>Midgard</value></item>\n"
        "          </tagSet>\n"
        "          <networkInterfaceSet><item><association><publicIp>203.0.113.10</publicIp></association>\n"
        "            <privateIpAddressesSet><item><privateIpAddress>10.0.0.157</privateIpAddress></item></privateIpAddressesSet>\n"
        "          </item></networkInterfaceSet>\n"
        "        </item>\n"
        "      </instancesSet>\n"
        "    </item>\n"
        "    <item>\n"
        "      <reservationId>r-2</reservationId>\n"
        "      <instancesSet>\n"
        "        <item>\n"
        "          <instanceId>i-0bbb</instanceId>\n"
        "          <instanceState><code>336</code><name>stopped</name></instanceState>\n"
        "          <tagSet><item><key>sigrun:world</key><value>Vanaheim &amp; Co</value></item></tagSet>\n"
        "        </item>\n"
        "      </instancesSet>\n"
        "    </item>\n"
        "  </reservationSet>\n"
        "</DescribeInstancesResponse>\n";

static void test_describe_instances(void **state) {
        Ec2InstanceList l = {};

        assert_int_equal(ec2_parse_describe_instances(U(describe_two), "sigrun:world", &l), 0);
        assert_int_equal(l.n, 2);
        assert_string_equal(l.items[0].instance_id, "i-0aaa");
        assert_int_equal(l.items[0].state, EC2_STATE_RUNNING);
        assert_string_equal(l.items[0].ip_address, "203.0.113.10");
        assert_string_equal(l.items[0].world, "Midgard");
        assert_string_equal(l.items[0].launch_time, "2026-12-04T15:00:00.000Z");
        /* The high byte of the code is EC2-internal. */
        assert_int_equal(l.items[1].state, EC2_STATE_STOPPED);
        assert_null(l.items[1].ip_address);
        assert_string_equal(l.items[1].world, "Vanaheim & Co");
        ec2_instance_list_done(&l);

        /* Another tag key: no world names. */
        assert_int_equal(ec2_parse_describe_instances(U(describe_two), "other", &l), 0);
        assert_int_equal(l.n, 2);
        assert_null(l.items[0].world);
        ec2_instance_list_done(&l);
}

static void test_describe_empty_and_malformed(void **state) {
        Ec2InstanceList l = { .n = 99 };

        assert_int_equal(ec2_parse_describe_instances(U("<DescribeInstancesResponse><requestId>x</requestId>"
                                                        "<reservationSet/></DescribeInstancesResponse>"),
                                                      "sigrun:world", &l), 0);
        assert_int_equal(l.n, 0);
        ec2_instance_list_done(&l);

        l.n = 99;
        /* Truncated, wrong root, instance without id, DOCTYPE. */
        assert_int_equal(ec2_parse_describe_instances(U("<DescribeInstancesResponse><reservationSet>"), "t", &l), -EBADMSG);
        assert_int_equal(ec2_parse_describe_instances(U("<StartInstancesResponse/>"), "t", &l), -EBADMSG);
        assert_int_equal(ec2_parse_describe_instances(
                                 U("<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
                                   "<instanceState><code>16</code></instanceState>"
                                   "</item></instancesSet></item></reservationSet></DescribeInstancesResponse>"),
                                 "t", &l), -EBADMSG);
        assert_int_equal(ec2_parse_describe_instances(
                                 U("<!DOCTYPE d [<!ENTITY a \"aaaa\">]><DescribeInstancesResponse/>"), "t", &l),
                         -EBADMSG);
        assert_int_equal(ec2_parse_describe_instances(U(""), "t", &l), -EBADMSG);
        /* Untouched on failure. */
        assert_int_equal(l.n, 99);
}

static void test_describe_long_text(void **state) {
        char doc[8192];
        char big[2048];
        Ec2InstanceList l = {};

        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = 0;
        /* A long value we do not keep is fine; a long one we keep is not. */
        snprintf(doc, sizeof doc,
                 "<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
                 "<instanceId>i-1</instanceId><stateReason><message>%s</message></stateReason>"
                 "</item></instancesSet></item></reservationSet></DescribeInstancesResponse>", big);
        assert_int_equal(ec2_parse_describe_instances((const uint8_t *) doc, strlen(doc), "t", &l), 0);
        assert_int_equal(l.n, 1);
        ec2_instance_list_done(&l);

        snprintf(doc, sizeof doc,
                 "<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
                 "<instanceId>%s</instanceId></item></instancesSet></item></reservationSet></DescribeInstancesResponse>", big);
        assert_int_equal(ec2_parse_describe_instances((const uint8_t *) doc, strlen(doc), "t", &l), -EBADMSG);
}

static void test_state_change(void **state) {
        static const char start[] =
                "<StartInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                "<requestId>r</requestId><instancesSet><item><instanceId>i-0bbb</instanceId>"
                "<currentState><code>0</code><name>pending</name></currentState>"
                "<previousState><code>80</code><name>stopped</name></previousState>"
                "</item></instancesSet></StartInstancesResponse>";
        static const char stop[] =
                "<StopInstancesResponse><instancesSet><item><instanceId>i-0aaa</instanceId>"
                "<currentState><code>64</code><name>stopping</name></currentState>"
                "<previousState><code>16</code><name>running</name></previousState>"
                "</item></instancesSet></StopInstancesResponse>";
        Ec2StateChange c = {};

        assert_int_equal(ec2_parse_state_change(U(start), &c), 0);
        assert_string_equal(c.instance_id, "i-0bbb");
        assert_int_equal(c.current, EC2_STATE_PENDING);
        assert_int_equal(c.previous, EC2_STATE_STOPPED);
        ec2_state_change_done(&c);

        assert_int_equal(ec2_parse_state_change(U(stop), &c), 0);
        assert_int_equal(c.current, EC2_STATE_STOPPING);
        assert_int_equal(c.previous, EC2_STATE_RUNNING);
        ec2_state_change_done(&c);

        assert_int_equal(ec2_parse_state_change(U("<StopInstancesResponse><instancesSet/></StopInstancesResponse>"), &c),
                         -EBADMSG);
        assert_int_equal(ec2_parse_state_change(U(describe_two), &c), -EBADMSG);
}

static void test_error_document(void **state) {
        static const char doc[] =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<Response><Errors><Error><Code>IncorrectInstanceState</Code>"
                "<Message>The instance 'i-0aaa' is not in a state from which it can be started.</Message>"
                "</Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>";
        Ec2Error e = {};

        assert_int_equal(ec2_parse_error(U(doc), &e), 0);
        assert_string_equal(e.code, "IncorrectInstanceState");
        assert_string_equal(e.message, "The instance 'i-0aaa' is not in a state from which it can be started.");
        assert_false(ec2_error_is_throttling(e.code));
        ec2_error_done(&e);

        assert_int_equal(ec2_parse_error(U("<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
                                           "</Error></Errors></Response>"), &e), 0);
        assert_true(ec2_error_is_throttling(e.code));
        assert_null(e.message);
        ec2_error_done(&e);

        assert_int_equal(ec2_parse_error(U("<Response><Errors/></Response>"), &e), -EBADMSG);
        assert_int_equal(ec2_parse_error(U("<html>502 Bad Gateway"), &e), -EBADMSG);
}

static void test_bodies(void **state) {
        char *s = NULL;

        assert_int_equal(ec2_describe_instances_body("sigrun:world", &s), 0);
        assert_string_equal(s, "Action=DescribeInstances&Filter.1.Name=tag-key&Filter.1.Value.1=sigrun%3Aworld");
        free(s);
        assert_int_equal(ec2_start_instances_body("i-0abc", &s), 0);
        assert_string_equal(s, "Action=StartInstances&InstanceId.1=i-0abc");
        free(s);
        assert_int_equal(ec2_stop_instances_body("i-0abc", &s), 0);
        assert_string_equal(s, "Action=StopInstances&InstanceId.1=i-0abc");
        free(s);
        assert_int_equal(ec2_stop_instances_body("", &s), -EINVAL);
        assert_int_equal(ec2_describe_instances_body("a b&c=d~", &s), 0);
        assert_string_equal(s, "Action=DescribeInstances&Filter.1.Name=tag-key&Filter.1.Value.1=a%20b%26c%3Dd~");
        free(s);
}

static void test_states(void **state) {
        assert_string_equal(ec2_state_to_string(ec2_state_from_code(0)), "pending");
        assert_string_equal(ec2_state_to_string(ec2_state_from_code(16)), "running");
        assert_string_equal(ec2_state_to_string(ec2_state_from_code(32)), "shutting-down");
        assert_string_equal(ec2_state_to_string(ec2_state_from_code(48)), "terminated");
        assert_string_equal(ec2_state_to_string(ec2_state_from_code(64)), "stopping");
        assert_string_equal(ec2_state_to_string(ec2_state_from_code(80)), "stopped");
        assert_int_equal(ec2_state_from_code(17), EC2_STATE_UNKNOWN);
}

static void test_endpoint_and_credentials(void **state) {
        char *s = NULL;
        AwsCredentials c = {};
        char path[] = "/tmp/test-ec2-credentials-XXXXXX";
        FILE *f;
        int fd;

        unsetenv("AWS_ENDPOINT_URL_EC2");
        unsetenv("AWS_ENDPOINT_URL");
        assert_int_equal(aws_endpoint_resolve("ec2", "eu-north-1", &s), 0);
        assert_string_equal(s, "https://ec2.eu-north-1.amazonaws.com/");
        free(s);
        setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1/", 1);
        assert_int_equal(aws_endpoint_resolve("ec2", "eu-north-1", &s), 0);
        assert_string_equal(s, "http://127.0.0.1:1/");
        free(s);
        setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:2/", 1);
        assert_int_equal(aws_endpoint_resolve("ec2", "eu-north-1", &s), 0);
        assert_string_equal(s, "http://127.0.0.1:2/");
        free(s);
        unsetenv("AWS_ENDPOINT_URL_EC2");
        unsetenv("AWS_ENDPOINT_URL");

        fd = mkstemp(path);
        assert_true(fd >= 0);
        f = fdopen(fd, "w");
        fputs("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key=secret0\n\n"
              "[work]\n# comment\naws_access_key_id=AKIDWORK\n aws_secret_access_key = s1 \n"
              "aws_session_token = tok\n[empty]\n", f);
        fclose(f);
        assert_int_equal(aws_credentials_from_file(path, "work", &c), 0);
        assert_string_equal(c.access_key_id, "AKIDWORK");
        assert_string_equal(c.secret_access_key, "s1");
        assert_string_equal(c.session_token, "tok");
        aws_credentials_done(&c);
        assert_int_equal(aws_credentials_from_file(path, "default", &c), 0);
        assert_string_equal(c.access_key_id, "AKIDDEFAULT");
        assert_null(c.session_token);
        aws_credentials_done(&c);
        assert_int_equal(aws_credentials_from_file(path, "empty", &c), -ENOKEY);
        assert_int_equal(aws_credentials_from_file(path, "missing", &c), -ENOKEY);

        unsetenv("AWS_ACCESS_KEY_ID");
        setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
        setenv("AWS_PROFILE", "work", 1);
        assert_int_equal(aws_credentials_load(&c), 0);
        assert_string_equal(c.access_key_id, "AKIDWORK");
        aws_credentials_done(&c);
        /* The environment wins; an empty token is no token. */
        setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
        setenv("AWS_SECRET_ACCESS_KEY", "s2", 1);
        setenv("AWS_SESSION_TOKEN", "", 1);
        assert_int_equal(aws_credentials_load(&c), 0);
        assert_string_equal(c.access_key_id, "AKIDENV");
        assert_null(c.session_token);
        aws_credentials_done(&c);
        unlink(path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_describe_instances),
                cmocka_unit_test(test_describe_empty_and_malformed),
                cmocka_unit_test(test_describe_long_text),
                cmocka_unit_test(test_state_change),
                cmocka_unit_test(test_error_document),
                cmocka_unit_test(test_bodies),
                cmocka_unit_test(test_states),
                cmocka_unit_test(test_endpoint_and_credentials),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
