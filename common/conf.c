/* SPDX-License-Identifier: MIT */
/*
 * Table-driven YAML configuration loading (libyaml's document API). The
 * document is walked once; every scalar reached through nested mappings gets
 * a dotted name and is looked up in the table. Errors are collected with the
 * position libyaml gives, never printed here: the caller decides.
 */
#include <stdarg.h>
#include <string.h>
#include <yaml.h>

#include "common/buffer.h"
#include "common/conf.h"
#include "common/parse.h"

#define CONF_FILE_MAX (1024 * 1024)
#define CONF_STRING_MAX_DEFAULT 4096
#define CONF_NAME_MAX 256

/* asprintf() that leaves NULL behind on failure: the callers treat a missing
 * message as "invalid value", which is all we can do without memory. */
static void xasprintf(char **ret, const char *format, ...) _printf_(2, 3);
static void xasprintf(char **ret, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        if (vasprintf(ret, format, ap) < 0)
                *ret = NULL;
        va_end(ap);
}

static void yaml_document_deletep(yaml_document_t **d) {
        if (*d)
                yaml_document_delete(*d);
}

static void yaml_parser_deletep(yaml_parser_t **p) {
        if (*p)
                yaml_parser_delete(*p);
}

int conf_error_add(ConfErrors *errors, const char *file, unsigned line, unsigned column, const char *key,
                   const char *format, ...) {
        ConfError *items, *e;
        va_list ap;
        int r;

        if (!errors)
                return 0;
        items = realloc(errors->items, (errors->n + 1) * sizeof(ConfError));
        if (!items)
                return -ENOMEM;
        errors->items = items;
        e = &items[errors->n];
        *e = (ConfError) { .line = line, .column = column };
        e->file = strdup(file ? file : "<config>");
        e->key = key ? strdup(key) : NULL;
        va_start(ap, format);
        r = vasprintf(&e->message, format, ap);
        va_end(ap);
        if (r < 0)
                e->message = NULL;
        errors->n++;
        if (!e->file || (key && !e->key) || !e->message)
                return -ENOMEM;
        return 0;
}

void conf_errors_print(const ConfErrors *errors, FILE *f) {
        for (size_t i = 0; i < errors->n; i++) {
                const ConfError *e = &errors->items[i];
                if (e->line > 0)
                        fprintf(f, "%s:%u:%u: ", e->file, e->line, e->column);
                else
                        fprintf(f, "%s: ", e->file);
                if (e->key)
                        fprintf(f, "%s: ", e->key);
                fprintf(f, "%s\n", e->message ? e->message : "(out of memory)");
        }
}

void conf_errors_free(ConfErrors *errors) {
        for (size_t i = 0; i < errors->n; i++) {
                free(errors->items[i].file);
                free(errors->items[i].key);
                free(errors->items[i].message);
        }
        free(errors->items);
        errors->items = NULL;
        errors->n = 0;
}

const ConfKey *conf_find_key(const ConfKey *table, size_t n_table, const char *name) {
        for (size_t i = 0; i < n_table; i++)
                if (streq(table[i].name, name))
                        return &table[i];
        return NULL;
}

static void *field_of(const ConfKey *key, void *obj) {
        return (uint8_t *) obj + key->offset;
}

static void conf_free_field(const ConfKey *key, void *obj) {
        void *field = field_of(key, obj);

        switch (key->type) {
        case CONF_STRING:
                free(*(char **) field);
                *(char **) field = NULL;
                break;
        case CONF_STRV:
                strv_free(*(char ***) field);
                *(char ***) field = NULL;
                break;
        case CONF_CUSTOM:
                if (key->free)
                        key->free(field);
                break;
        default:
                break;
        }
}

void conf_free(const ConfKey *table, size_t n_table, void *obj) {
        for (size_t i = 0; i < n_table; i++)
                conf_free_field(&table[i], obj);
}

/* Parse one scalar for a key. Returns 0, or negative errno with *ret_message set. */
static int conf_parse_scalar(const ConfKey *key, const char *value, void *obj, char **ret_message) {
        void *field = field_of(key, obj);
        char dmin[FORMAT_DURATION_MAX], dmax[FORMAT_DURATION_MAX];
        uint64_t u;
        bool b;
        int r;

        *ret_message = NULL;
        /* On a key that is not CONF_CUSTOM, parse() is an extra check of the
         * value (e.g. "is this a listen address?"), with field NULL. */
        if (key->type != CONF_CUSTOM && key->parse) {
                r = key->parse(key, value, NULL, ret_message);
                if (r < 0)
                        return r;
        }
        switch (key->type) {
        case CONF_STRING: {
                size_t max = key->max ? key->max : CONF_STRING_MAX_DEFAULT;
                char *s;
                if (strlen(value) < key->min) {
                        xasprintf(ret_message, "must not be shorter than %llu characters", (unsigned long long) key->min);
                        return -EINVAL;
                }
                if (strlen(value) > max) {
                        xasprintf(ret_message, "longer than %zu characters", max);
                        return -ERANGE;
                }
                s = strdup(value);
                if (!s)
                        return -ENOMEM;
                free(*(char **) field);
                *(char **) field = s;
                return 0;
        }
        case CONF_BOOL:
                r = parse_bool(value, &b);
                if (r < 0) {
                        xasprintf(ret_message, "expected true or false, got \"%s\"", value);
                        return r;
                }
                *(bool *) field = b;
                return 0;
        case CONF_UINT:
                r = parse_uint64(value, key->min, key->max, &u);
                if (r == -ERANGE)
                        xasprintf(ret_message, "%s is out of range %llu..%llu", value,
                                 (unsigned long long) key->min, (unsigned long long) key->max);
                else if (r < 0)
                        xasprintf(ret_message, "expected a whole number, got \"%s\"", value);
                if (r < 0)
                        return r;
                *(uint64_t *) field = u;
                return 0;
        case CONF_DURATION:
                r = parse_duration(value, key->min, key->max, &u);
                if (r == -ERANGE)
                        xasprintf(ret_message, "%s is out of range %s..%s", value,
                                 format_duration(dmin, sizeof(dmin), key->min),
                                 format_duration(dmax, sizeof(dmax), key->max));
                else if (r < 0)
                        xasprintf(ret_message, "expected a duration such as 30s, 10min or 2h, got \"%s\"", value);
                if (r < 0)
                        return r;
                *(usec_t *) field = u;
                return 0;
        case CONF_SIZE:
                r = parse_size(value, key->min, key->max, &u);
                if (r == -ERANGE)
                        xasprintf(ret_message, "%s is out of range %llu..%llu bytes", value,
                                 (unsigned long long) key->min, (unsigned long long) key->max);
                else if (r < 0)
                        xasprintf(ret_message, "expected a size such as 4096, 64K or 8MiB, got \"%s\"", value);
                if (r < 0)
                        return r;
                *(uint64_t *) field = u;
                return 0;
        case CONF_ENUM: {
                _cleanup_(freep) char *list = NULL;
                size_t len = 0;
                for (int i = 0; key->choices && key->choices[i]; i++)
                        if (streq(key->choices[i], value)) {
                                *(int *) field = i;
                                return 0;
                        }
                for (int i = 0; key->choices && key->choices[i]; i++)
                        len += strlen(key->choices[i]) + 2;
                list = calloc(1, len + 1);
                if (!list)
                        return -ENOMEM;
                for (int i = 0; key->choices && key->choices[i]; i++) {
                        if (i > 0)
                                strcat(list, ", ");
                        strcat(list, key->choices[i]);
                }
                xasprintf(ret_message, "\"%s\" is not one of: %s", value, list);
                return -EINVAL;
        }
        case CONF_CUSTOM:
                return key->parse(key, value, field, ret_message);
        case CONF_STRV:
        default:
                return -EINVAL;
        }
}

static int strv_push(char ***l, const char *value) {
        size_t n = 0;
        char **nl, *s;

        while (*l && (*l)[n])
                n++;
        s = strdup(value);
        if (!s)
                return -ENOMEM;
        nl = realloc(*l, (n + 2) * sizeof(char *));
        if (!nl) {
                free(s);
                return -ENOMEM;
        }
        nl[n] = s;
        nl[n + 1] = NULL;
        *l = nl;
        return 0;
}

static const char *node_type_name(const yaml_node_t *node) {
        switch (node->type) {
        case YAML_SCALAR_NODE:
                return "a value";
        case YAML_SEQUENCE_NODE:
                return "a list";
        case YAML_MAPPING_NODE:
                return "a mapping";
        default:
                return "nothing";
        }
}

typedef struct Walk {
        const ConfKey *table;
        size_t n_table;
        void *obj;
        const char *filename;
        ConfErrors *errors;
        bool *seen;
        int n_errors;
} Walk;

static int walk_error(Walk *w, const yaml_node_t *node, const char *key, const char *format, ...) _printf_(4, 5);
static int walk_error(Walk *w, const yaml_node_t *node, const char *key, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        w->n_errors++;
        return conf_error_add(w->errors, w->filename, (unsigned) node->start_mark.line + 1,
                              (unsigned) node->start_mark.column + 1, key, "%s", msg);
}

static int walk_value(Walk *w, yaml_document_t *doc, const ConfKey *key, yaml_node_t *node) {
        void *field = field_of(key, w->obj);
        _cleanup_free_ char *msg = NULL;
        int r;

        if (key->type == CONF_STRV) {
                _cleanup_strv_free_ char **l = NULL;
                if (node->type == YAML_SCALAR_NODE) {
                        if (key->parse) {
                                _cleanup_free_ char *m = NULL;
                                r = key->parse(key, (const char *) node->data.scalar.value, NULL, &m);
                                if (r == -ENOMEM)
                                        return r;
                                if (r < 0)
                                        return walk_error(w, node, key->name, "%s", m ? m : "invalid value");
                        }
                        r = strv_push(&l, (const char *) node->data.scalar.value);
                        if (r < 0)
                                return r;
                } else if (node->type == YAML_SEQUENCE_NODE) {
                        for (yaml_node_item_t *i = node->data.sequence.items.start;
                             i < node->data.sequence.items.top; i++) {
                                yaml_node_t *item = yaml_document_get_node(doc, *i);
                                if (!item || item->type != YAML_SCALAR_NODE)
                                        return walk_error(w, item ? item : node, key->name,
                                                          "list items must be plain values");
                                if (key->parse) {
                                        _cleanup_free_ char *m = NULL;
                                        r = key->parse(key, (const char *) item->data.scalar.value, NULL, &m);
                                        if (r == -ENOMEM)
                                                return r;
                                        if (r < 0)
                                                return walk_error(w, item, key->name, "%s", m ? m : "invalid value");
                                }
                                r = strv_push(&l, (const char *) item->data.scalar.value);
                                if (r < 0)
                                        return r;
                        }
                } else
                        return walk_error(w, node, key->name, "expected a list, got %s", node_type_name(node));
                strv_free(*(char ***) field);
                *(char ***) field = TAKE_PTR(l);
                return 0;
        }

        if (node->type != YAML_SCALAR_NODE)
                return walk_error(w, node, key->name, "expected a value, got %s", node_type_name(node));

        r = conf_parse_scalar(key, (const char *) node->data.scalar.value, w->obj, &msg);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return walk_error(w, node, key->name, "%s", msg ? msg : "invalid value");
        return 0;
}

static int walk_mapping(Walk *w, yaml_document_t *doc, yaml_node_t *mapping, const char *prefix) {
        int r;

        for (yaml_node_pair_t *p = mapping->data.mapping.pairs.start; p < mapping->data.mapping.pairs.top; p++) {
                yaml_node_t *k = yaml_document_get_node(doc, p->key);
                yaml_node_t *v = yaml_document_get_node(doc, p->value);
                char name[CONF_NAME_MAX];
                const ConfKey *key;
                bool is_section = false;

                if (!k || !v)
                        continue;
                if (k->type != YAML_SCALAR_NODE) {
                        r = walk_error(w, k, NULL, "keys must be plain names");
                        if (r < 0)
                                return r;
                        continue;
                }
                {
                        bool dup = false;
                        for (yaml_node_pair_t *q = mapping->data.mapping.pairs.start; q < p && !dup; q++) {
                                yaml_node_t *qk = yaml_document_get_node(doc, q->key);
                                dup = qk && qk->type == YAML_SCALAR_NODE &&
                                      streq((const char *) qk->data.scalar.value, (const char *) k->data.scalar.value);
                        }
                        if (dup) {
                                snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "",
                                         (const char *) k->data.scalar.value);
                                r = walk_error(w, k, name, "duplicate key");
                                if (r < 0)
                                        return r;
                                continue;
                        }
                }
                if ((size_t) snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "",
                                      (const char *) k->data.scalar.value) >= sizeof(name)) {
                        r = walk_error(w, k, NULL, "key name too long");
                        if (r < 0)
                                return r;
                        continue;
                }

                key = conf_find_key(w->table, w->n_table, name);
                if (!key) {
                        size_t len = strlen(name);
                        /* A section is a prefix of some key: "api" for "api.key". */
                        for (size_t i = 0; i < w->n_table; i++)
                                if (strncmp(w->table[i].name, name, len) == 0 && w->table[i].name[len] == '.')
                                        is_section = true;
                        if (is_section && v->type == YAML_MAPPING_NODE) {
                                r = walk_mapping(w, doc, v, name);
                        } else if (is_section && v->type == YAML_SCALAR_NODE && v->data.scalar.length == 0) {
                                r = 0; /* "game:" with every setting commented out */
                        } else if (is_section)
                                r = walk_error(w, v, name, "expected a mapping of settings, got %s",
                                               node_type_name(v));
                        else
                                r = walk_error(w, k, name, "unknown key");
                        if (r < 0)
                                return r;
                        continue;
                }

                if (w->seen[key - w->table]) {
                        r = walk_error(w, k, name, "duplicate key");
                        if (r < 0)
                                return r;
                        continue;
                }
                w->seen[key - w->table] = true;
                r = walk_value(w, doc, key, v);
                if (r < 0)
                        return r;
        }
        return 0;
}

int conf_set_defaults(const ConfKey *table, size_t n_table, void *obj) {
        for (size_t i = 0; i < n_table; i++) {
                _cleanup_free_ char *msg = NULL;
                int r;

                if (!table[i].default_value)
                        continue;
                if (table[i].type == CONF_STRV) {
                        /* A list's default is its items separated by spaces. */
                        char ***l = field_of(&table[i], obj);
                        const char *p = table[i].default_value;
                        strv_free(*l);
                        *l = NULL;
                        r = 0;
                        while (r >= 0 && *p) {
                                size_t n = strcspn(p, " ");
                                _cleanup_free_ char *item = strndup(p, n);
                                if (!item)
                                        return -ENOMEM;
                                if (n > 0)
                                        r = strv_push(l, item);
                                p += n;
                                p += strspn(p, " ");
                        }
                } else
                        r = conf_parse_scalar(&table[i], table[i].default_value, obj, &msg);
                if (r < 0)
                        return r;
        }
        return 0;
}

int conf_load_string(const ConfKey *table, size_t n_table, void *obj, const char *filename,
                     const char *text, size_t len, ConfErrors *errors) {
        _cleanup_(yaml_parser_deletep) yaml_parser_t *parser = NULL;
        _cleanup_(yaml_document_deletep) yaml_document_t *doc = NULL;
        yaml_parser_t parser_storage;
        yaml_document_t doc_storage;
        _cleanup_free_ bool *seen = NULL;
        yaml_node_t *root;
        Walk w;
        int r;

        if (!yaml_parser_initialize(&parser_storage))
                return -ENOMEM;
        parser = &parser_storage;
        yaml_parser_set_input_string(parser, (const unsigned char *) text, len);

        if (!yaml_parser_load(parser, &doc_storage)) {
                r = conf_error_add(errors, filename, (unsigned) parser->problem_mark.line + 1,
                                   (unsigned) parser->problem_mark.column + 1, NULL, "YAML syntax error: %s%s%s",
                                   parser->problem ? parser->problem : "unknown problem",
                                   parser->context ? " " : "", parser->context ? parser->context : "");
                return r < 0 ? r : -EINVAL;
        }
        doc = &doc_storage;

        root = yaml_document_get_root_node(doc);
        if (!root)
                return 0; /* empty file: defaults only */
        if (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)
                return 0;
        if (root->type != YAML_MAPPING_NODE) {
                r = conf_error_add(errors, filename, (unsigned) root->start_mark.line + 1,
                                   (unsigned) root->start_mark.column + 1, NULL,
                                   "the configuration must be a mapping of settings");
                return r < 0 ? r : -EINVAL;
        }

        seen = calloc(n_table ? n_table : 1, sizeof(bool));
        if (!seen)
                return -ENOMEM;
        w = (Walk) { .table = table, .n_table = n_table, .obj = obj, .filename = filename, .errors = errors, .seen = seen };
        r = walk_mapping(&w, doc, root, "");
        if (r < 0)
                return r;
        return w.n_errors > 0 ? -EINVAL : 0;
}

int conf_load_file(const ConfKey *table, size_t n_table, void *obj, const char *path, ConfErrors *errors) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_(buffer_free) Buffer b = BUFFER_INIT(CONF_FILE_MAX);
        char chunk[4096];
        size_t n;
        int r;

        f = fopen(path, "re");
        if (!f) {
                r = -errno;
                conf_error_add(errors, path, 0, 0, NULL, "cannot open: %s", strerror(-r));
                return r;
        }
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                r = buffer_append(&b, chunk, n);
                if (r == -ENOBUFS) {
                        conf_error_add(errors, path, 0, 0, NULL, "file is larger than %d bytes", CONF_FILE_MAX);
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        if (ferror(f)) {
                r = -EIO;
                conf_error_add(errors, path, 0, 0, NULL, "read error");
                return r;
        }
        return conf_load_string(table, n_table, obj, path, b.data ? (const char *) b.data : "", b.len, errors);
}

static const char *conf_type_name(const ConfKey *key) {
        switch (key->type) {
        case CONF_STRING:
                return "string";
        case CONF_BOOL:
                return "boolean";
        case CONF_UINT:
                return "number";
        case CONF_DURATION:
                return "duration";
        case CONF_SIZE:
                return "size";
        case CONF_ENUM:
                return "one of";
        case CONF_STRV:
                return "list";
        case CONF_CUSTOM:
        default:
                return "value";
        }
}

void conf_print_help(const ConfKey *table, size_t n_table, FILE *f) {
        for (size_t i = 0; i < n_table; i++) {
                const ConfKey *k = &table[i];
                fprintf(f, "  %s (%s", k->name, conf_type_name(k));
                if (k->type == CONF_ENUM)
                        for (int c = 0; k->choices && k->choices[c]; c++)
                                fprintf(f, "%s%s", c ? "|" : " ", k->choices[c]);
                fprintf(f, ", default: %s)\n      %s\n", k->default_value ? k->default_value : "none",
                        k->help ? k->help : "");
        }
}

static void print_wrapped_comment(FILE *f, const char *indent, const char *text) {
        const char *p = text;

        while (*p) {
                size_t len = strlen(p), cut = len;
                if (len > 72) {
                        cut = 72;
                        while (cut > 0 && p[cut] != ' ')
                                cut--;
                        if (cut == 0)
                                cut = 72;
                }
                fprintf(f, "%s# %.*s\n", indent, (int) cut, p);
                p += cut;
                while (*p == ' ')
                        p++;
        }
}

static void print_yaml_value(FILE *f, const ConfKey *k) {
        const char *v = k->default_value;

        if (!v || !v[0]) {
                fputs(k->type == CONF_STRV ? "[]" : "\"\"", f);
                return;
        }
        if (k->type == CONF_STRV) {
                fputc('[', f);
                for (bool first = true; *v; first = false) {
                        size_t n = strcspn(v, " ");
                        fprintf(f, "%s\"%.*s\"", first ? "" : ", ", (int) n, v);
                        v += n;
                        v += strspn(v, " ");
                }
                fputc(']', f);
        }
        else if (k->type == CONF_STRING && strpbrk(v, ":#[]{},&*!|>'\"%@`"))
                fprintf(f, "\"%s\"", v);
        else
                fputs(v, f);
}

void conf_print_yaml(const ConfKey *table, size_t n_table, FILE *f) {
        char section[CONF_NAME_MAX] = "";

        for (size_t i = 0; i < n_table; i++) {
                const ConfKey *k = &table[i];
                const char *dot = strrchr(k->name, '.');
                size_t slen = dot ? (size_t) (dot - k->name) : 0;

                if (slen != strlen(section) || strncmp(section, k->name, slen) != 0) {
                        snprintf(section, sizeof(section), "%.*s", (int) slen, k->name);
                        fprintf(f, "\n%s:\n", section);
                }
                print_wrapped_comment(f, "  ", k->help ? k->help : "");
                if (k->type == CONF_ENUM) {
                        fprintf(f, "  # One of:");
                        for (int c = 0; k->choices && k->choices[c]; c++)
                                fprintf(f, " %s", k->choices[c]);
                        fputc('\n', f);
                }
                fprintf(f, "  #%s: ", dot ? dot + 1 : k->name);
                print_yaml_value(f, k);
                fputs("\n\n", f);
        }
}

/* Escape what troff would read as requests or escapes. */
static void print_troff(FILE *f, const char *s) {
        if (*s == '.' || *s == '\'')
                fputs("\\&", f);
        for (; *s; s++) {
                if (*s == '\\')
                        fputs("\\e", f);
                else if (*s == '-')
                        fputs("\\-", f);
                else
                        fputc(*s, f);
        }
}

void conf_print_man(const ConfKey *table, size_t n_table, FILE *f) {
        for (size_t i = 0; i < n_table; i++) {
                const ConfKey *k = &table[i];
                fprintf(f, ".TP\n.B ");
                print_troff(f, k->name);
                fprintf(f, "\n(%s", conf_type_name(k));
                if (k->type == CONF_ENUM)
                        for (int c = 0; k->choices && k->choices[c]; c++) {
                                fputs(c ? "|" : " ", f);
                                print_troff(f, k->choices[c]);
                        }
                fputs("; default: ", f);
                print_troff(f, k->default_value && k->default_value[0] ? k->default_value : "none");
                fputs(")\n", f);
                print_troff(f, k->help ? k->help : "");
                fputc('\n', f);
        }
}
