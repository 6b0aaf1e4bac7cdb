/* SPDX-License-Identifier: MIT */
/*
 * EC2 Query API, the part Sigrun uses: form bodies for DescribeInstances
 * (worlds are instances carrying a tag key), StartInstances and StopInstances,
 * and expat parsers for their XML answers and for EC2's error document.
 *
 * Pure functions over bytes, no I/O: common/aws.c sends the bodies, and both
 * the Lambda (blocking) and the agent's watchdog (curl-multi) parse the
 * answers with these.
 */
#pragma once

#include "common/macro.h"

/* EC2's instance state codes (the low byte of instanceState/code). */
typedef enum Ec2State {
        EC2_STATE_PENDING = 0,
        EC2_STATE_RUNNING = 16,
        EC2_STATE_SHUTTING_DOWN = 32,
        EC2_STATE_TERMINATED = 48,
        EC2_STATE_STOPPING = 64,
        EC2_STATE_STOPPED = 80,
        EC2_STATE_UNKNOWN = -1,
} Ec2State;

const char *ec2_state_to_string(Ec2State s);
/* Maps a raw code (the high byte is internal to EC2 and ignored). */
Ec2State ec2_state_from_code(long code);

/* Limits on what a (possibly hostile or broken) answer can make us hold. */
#define EC2_INSTANCES_MAX 1000U
#define EC2_TEXT_MAX 1024U
#define EC2_XML_MAX (4U * 1024U * 1024U)

typedef struct Ec2Instance {
        char *instance_id;
        Ec2State state;
        char *ip_address;  /* public IPv4, NULL when none */
        char *world;       /* value of the world tag, NULL when the tag is absent */
        char *launch_time; /* ISO 8601 as EC2 wrote it, NULL when absent */
} Ec2Instance;

typedef struct Ec2InstanceList {
        Ec2Instance *items;
        size_t n;
} Ec2InstanceList;

void ec2_instance_list_done(Ec2InstanceList *l);

typedef struct Ec2StateChange {
        char *instance_id;
        Ec2State previous;
        Ec2State current;
} Ec2StateChange;

void ec2_state_change_done(Ec2StateChange *c);

typedef struct Ec2Error {
        char *code;    /* e.g. "IncorrectInstanceState" */
        char *message;
} Ec2Error;

void ec2_error_done(Ec2Error *e);

/* Form bodies, without Version (aws_request_new() appends it). */
int ec2_describe_instances_body(const char *tag_key, char **ret);
int ec2_start_instances_body(const char *instance_id, char **ret);
int ec2_stop_instances_body(const char *instance_id, char **ret);

/* DescribeInstancesResponse: every instance of every reservation; world is
 * the value of tag_key. -EBADMSG for malformed XML or the wrong document. */
int ec2_parse_describe_instances(const uint8_t *buf, size_t len, const char *tag_key, Ec2InstanceList *ret);
/* StartInstancesResponse / StopInstancesResponse: the first instance's change. */
int ec2_parse_state_change(const uint8_t *buf, size_t len, Ec2StateChange *ret);
/* <Response><Errors><Error><Code/><Message/></Error></Errors></Response>. */
int ec2_parse_error(const uint8_t *buf, size_t len, Ec2Error *ret);

/* True for codes that mean "slow down": RequestLimitExceeded, Throttling... */
bool ec2_error_is_throttling(const char *code);
