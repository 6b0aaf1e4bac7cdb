/* SPDX-License-Identifier: MIT */
/*
 * EC2 Query API bodies and XML answers. The parsers share one small expat
 * walker that keeps the path of open elements and the text of the current
 * one; each document type is then a handful of "at this path, keep this"
 * rules. Absolute depths are used because EC2 nests <item> in <item>.
 * Documents with a DOCTYPE or entity declarations are refused outright:
 * EC2 never sends them, and they are how XML bombs start.
 */
#include <expat.h>
#include <string.h>

#include "common/aws.h"
#include "common/buffer.h"
#include "common/ec2.h"
#include "common/parse.h"

#define XML_DEPTH_MAX 32U
#define XML_NAME_MAX 48U

typedef struct XmlWalk XmlWalk;
typedef int (*xml_start_t)(XmlWalk *w);
typedef int (*xml_end_t)(XmlWalk *w, const char *text);

struct XmlWalk {
        XML_Parser parser;
        char names[XML_DEPTH_MAX][XML_NAME_MAX];
        unsigned depth;
        Buffer text;
        bool text_truncated;
        int error;
        xml_start_t on_start;
        xml_end_t on_end;
        void *userdata;
};

static bool at(const XmlWalk *w, unsigned depth, const char *name) {
        return depth >= 1 && depth <= w->depth && streq(w->names[depth - 1], name);
}

static void walk_fail(XmlWalk *w, int error) {
        if (w->error == 0)
                w->error = error;
        XML_StopParser(w->parser, XML_FALSE);
}

static void XMLCALL walk_start(void *userdata, const XML_Char *name, const XML_Char **attrs) {
        XmlWalk *w = userdata;
        int r;

        if (w->depth >= XML_DEPTH_MAX)
                return walk_fail(w, -EBADMSG);
        snprintf(w->names[w->depth], XML_NAME_MAX, "%s", name);
        w->depth++;
        buffer_clear(&w->text);
        w->text_truncated = false;
        if (w->on_start) {
                r = w->on_start(w);
                if (r < 0)
                        walk_fail(w, r);
        }
}

static void XMLCALL walk_end(void *userdata, const XML_Char *name) {
        XmlWalk *w = userdata;
        int r;

        if (!w->text_truncated && buffer_terminate(&w->text) < 0)
                w->text_truncated = true;
        /* Over-long text is passed as NULL: fatal only where we keep it. */
        r = w->on_end(w, w->text_truncated ? NULL : w->text.data ? (const char *) w->text.data : "");
        if (r < 0)
                return walk_fail(w, r);
        buffer_clear(&w->text);
        w->text_truncated = false;
        w->depth--;
}

static void XMLCALL walk_text(void *userdata, const XML_Char *s, int len) {
        XmlWalk *w = userdata;

        if (!w->text_truncated && buffer_append(&w->text, s, (size_t) len) < 0)
                w->text_truncated = true;
}

static void XMLCALL walk_doctype(void *userdata, const XML_Char *name, const XML_Char *sysid,
                                 const XML_Char *pubid, int has_internal_subset) {
        walk_fail(userdata, -EBADMSG);
}

static int xml_walk(const uint8_t *buf, size_t len, xml_start_t on_start, xml_end_t on_end, void *userdata) {
        XmlWalk w = {
                .text = BUFFER_INIT(EC2_TEXT_MAX),
                .on_start = on_start,
                .on_end = on_end,
                .userdata = userdata,
        };
        enum XML_Status status;

        if (len > EC2_XML_MAX)
                return -EBADMSG;
        w.parser = XML_ParserCreate("UTF-8");
        if (!w.parser)
                return -ENOMEM;
        XML_SetUserData(w.parser, &w);
        XML_SetElementHandler(w.parser, walk_start, walk_end);
        XML_SetCharacterDataHandler(w.parser, walk_text);
        XML_SetStartDoctypeDeclHandler(w.parser, walk_doctype);

        status = XML_Parse(w.parser, (const char *) buf, (int) len, XML_TRUE);
        if (status != XML_STATUS_OK && w.error == 0)
                w.error = -EBADMSG;
        XML_ParserFree(w.parser);
        buffer_free(&w.text);
        return w.error;
}

static int set_text(char **field, const char *text) {
        char *s;

        if (!text)
                return -EBADMSG;
        s = strdup(text);
        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static Ec2State state_from_text(const char *text) {
        uint64_t code;

        if (!text || parse_uint64(text, 0, 0xffff, &code) < 0)
                return EC2_STATE_UNKNOWN;
        return ec2_state_from_code((long) code);
}

const char *ec2_state_to_string(Ec2State s) {
        switch (s) {
        case EC2_STATE_PENDING:
                return "pending";
        case EC2_STATE_RUNNING:
                return "running";
        case EC2_STATE_SHUTTING_DOWN:
                return "shutting-down";
        case EC2_STATE_TERMINATED:
                return "terminated";
        case EC2_STATE_STOPPING:
                return "stopping";
        case EC2_STATE_STOPPED:
                return "stopped";
        default:
                return "unknown";
        }
}

Ec2State ec2_state_from_code(long code) {
        switch (code & 0xff) {
        case EC2_STATE_PENDING:
        case EC2_STATE_RUNNING:
        case EC2_STATE_SHUTTING_DOWN:
        case EC2_STATE_TERMINATED:
        case EC2_STATE_STOPPING:
        case EC2_STATE_STOPPED:
                return (Ec2State) (code & 0xff);
        default:
                return EC2_STATE_UNKNOWN;
        }
}

static void instance_done(Ec2Instance *i) {
        free(i->instance_id);
        free(i->ip_address);
        free(i->world);
        free(i->launch_time);
        *i = (Ec2Instance) { .state = EC2_STATE_UNKNOWN };
}

void ec2_instance_list_done(Ec2InstanceList *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                instance_done(&l->items[i]);
        free(l->items);
        *l = (Ec2InstanceList) {};
}

void ec2_state_change_done(Ec2StateChange *c) {
        if (!c)
                return;
        free(c->instance_id);
        *c = (Ec2StateChange) { .previous = EC2_STATE_UNKNOWN, .current = EC2_STATE_UNKNOWN };
}

void ec2_error_done(Ec2Error *e) {
        if (!e)
                return;
        free(e->code);
        free(e->message);
        *e = (Ec2Error) {};
}

/* ---- bodies ---- */

int ec2_describe_instances_body(const char *tag_key, char **ret) {
        _cleanup_free_ char *k = NULL;
        char *s;
        int r;

        if (!tag_key || !*tag_key)
                return -EINVAL;
        r = aws_form_escape(tag_key, &k);
        if (r < 0)
                return r;
        if (asprintf(&s, "Action=DescribeInstances&Filter.1.Name=tag-key&Filter.1.Value.1=%s", k) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int instance_action_body(const char *action, const char *instance_id, char **ret) {
        _cleanup_free_ char *id = NULL;
        char *s;
        int r;

        if (!instance_id || !*instance_id)
                return -EINVAL;
        r = aws_form_escape(instance_id, &id);
        if (r < 0)
                return r;
        if (asprintf(&s, "Action=%s&InstanceId.1=%s", action, id) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int ec2_start_instances_body(const char *instance_id, char **ret) {
        return instance_action_body("StartInstances", instance_id, ret);
}

int ec2_stop_instances_body(const char *instance_id, char **ret) {
        return instance_action_body("StopInstances", instance_id, ret);
}

/* ---- DescribeInstances ---- */

/* DescribeInstancesResponse(1)/reservationSet(2)/item(3)/instancesSet(4)/item(5) */
#define INSTANCE_DEPTH 5U

typedef struct DescribeParse {
        const char *tag_key;
        Ec2InstanceList list;
        Ec2Instance cur;
        bool in_instance;
        char *tag_k, *tag_v;
} DescribeParse;

static bool at_instance(const XmlWalk *w) {
        return at(w, 2, "reservationSet") && at(w, 3, "item") && at(w, 4, "instancesSet") &&
               at(w, INSTANCE_DEPTH, "item");
}

static int describe_start(XmlWalk *w) {
        DescribeParse *p = w->userdata;

        if (w->depth == 1 && !at(w, 1, "DescribeInstancesResponse"))
                return -EBADMSG;
        if (w->depth == INSTANCE_DEPTH && at_instance(w)) {
                instance_done(&p->cur);
                p->in_instance = true;
        }
        return 0;
}

static int describe_end(XmlWalk *w, const char *text) {
        DescribeParse *p = w->userdata;
        unsigned d = w->depth;
        Ec2Instance *items;

        if (!p->in_instance)
                return 0;

        if (d == INSTANCE_DEPTH) {
                p->in_instance = false;
                if (!p->cur.instance_id)
                        return -EBADMSG;
                if (p->list.n >= EC2_INSTANCES_MAX)
                        return -E2BIG;
                items = reallocarray(p->list.items, p->list.n + 1, sizeof *items);
                if (!items)
                        return -ENOMEM;
                p->list.items = items;
                p->list.items[p->list.n++] = p->cur;
                p->cur = (Ec2Instance) { .state = EC2_STATE_UNKNOWN };
                return 0;
        }
        if (d == INSTANCE_DEPTH + 1) {
                if (at(w, d, "instanceId"))
                        return set_text(&p->cur.instance_id, text);
                if (at(w, d, "ipAddress"))
                        return set_text(&p->cur.ip_address, text);
                if (at(w, d, "launchTime"))
                        return set_text(&p->cur.launch_time, text);
                return 0;
        }
        if (d == INSTANCE_DEPTH + 2 && at(w, d - 1, "instanceState") && at(w, d, "code")) {
                p->cur.state = state_from_text(text);
                return 0;
        }
        if (d == INSTANCE_DEPTH + 3 && at(w, d - 2, "tagSet") && at(w, d - 1, "item")) {
                if (at(w, d, "key"))
                        return set_text(&p->tag_k, text);
                if (at(w, d, "value"))
                        return set_text(&p->tag_v, text);
                return 0;
        }
        if (d == INSTANCE_DEPTH + 2 && at(w, d - 1, "tagSet") && at(w, d, "item")) {
                int r = 0;
                if (p->tag_k && streq(p->tag_k, p->tag_key))
                        r = set_text(&p->cur.world, p->tag_v ? p->tag_v : "");
                free(p->tag_k);
                free(p->tag_v);
                p->tag_k = p->tag_v = NULL;
                return r;
        }
        return 0;
}

int ec2_parse_describe_instances(const uint8_t *buf, size_t len, const char *tag_key, Ec2InstanceList *ret) {
        DescribeParse p = { .tag_key = tag_key, .cur = { .state = EC2_STATE_UNKNOWN } };
        int r;

        if (!tag_key)
                return -EINVAL;
        r = xml_walk(buf, len, describe_start, describe_end, &p);
        instance_done(&p.cur);
        free(p.tag_k);
        free(p.tag_v);
        if (r < 0) {
                ec2_instance_list_done(&p.list);
                return r;
        }
        *ret = p.list;
        return 0;
}

/* ---- StartInstances / StopInstances ---- */

typedef struct ChangeParse {
        Ec2StateChange change;
        unsigned items;
} ChangeParse;

static int change_start(XmlWalk *w) {
        ChangeParse *p = w->userdata;

        if (w->depth == 1 && !at(w, 1, "StartInstancesResponse") && !at(w, 1, "StopInstancesResponse"))
                return -EBADMSG;
        if (w->depth == 3 && at(w, 2, "instancesSet") && at(w, 3, "item"))
                p->items++;
        return 0;
}

static int change_end(XmlWalk *w, const char *text) {
        ChangeParse *p = w->userdata;
        unsigned d = w->depth;

        if (p->items != 1 || d < 4 || !at(w, 2, "instancesSet") || !at(w, 3, "item"))
                return 0;
        if (d == 4 && at(w, 4, "instanceId"))
                return set_text(&p->change.instance_id, text);
        if (d == 5 && at(w, 5, "code")) {
                if (at(w, 4, "currentState"))
                        p->change.current = state_from_text(text);
                else if (at(w, 4, "previousState"))
                        p->change.previous = state_from_text(text);
        }
        return 0;
}

int ec2_parse_state_change(const uint8_t *buf, size_t len, Ec2StateChange *ret) {
        ChangeParse p = { .change = { .previous = EC2_STATE_UNKNOWN, .current = EC2_STATE_UNKNOWN } };
        int r;

        r = xml_walk(buf, len, change_start, change_end, &p);
        if (r >= 0 && !p.change.instance_id)
                r = -EBADMSG;
        if (r < 0) {
                ec2_state_change_done(&p.change);
                return r;
        }
        *ret = p.change;
        return 0;
}

/* ---- error documents ---- */

static int error_end(XmlWalk *w, const char *text) {
        Ec2Error *e = w->userdata;
        unsigned d = w->depth;

        /* EC2: Response/Errors/Error/Code; other Query APIs: ErrorResponse/Error/Code. */
        if (d < 2 || !at(w, d - 1, "Error"))
                return 0;
        if (at(w, d, "Code") && !e->code)
                return set_text(&e->code, text);
        if (at(w, d, "Message") && !e->message)
                return set_text(&e->message, text);
        return 0;
}

int ec2_parse_error(const uint8_t *buf, size_t len, Ec2Error *ret) {
        Ec2Error e = {};
        int r;

        r = xml_walk(buf, len, NULL, error_end, &e);
        if (r >= 0 && !e.code)
                r = -EBADMSG;
        if (r < 0) {
                ec2_error_done(&e);
                return r;
        }
        *ret = e;
        return 0;
}

bool ec2_error_is_throttling(const char *code) {
        static const char *const codes[] = {
                "RequestLimitExceeded", "Throttling", "ThrottlingException", "TooManyRequestsException",
        };

        if (!code)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(codes); i++)
                if (streq(code, codes[i]))
                        return true;
        return false;
}
