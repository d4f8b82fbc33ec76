/*
 * Lambda's getting-started function as an fnhost custom runtime in C: greets event.name
 * (default "World"). Behind an HTTP route the event is API Gateway's, which has no top-level
 * "name"; the name then comes from the query string (GET /c/hello?name=Ada), as in
 * functions/hello.
 *
 * The custom-runtime convention: the event is stdin, the response is stdout, the log is stderr,
 * exit status 0 is success. A failure prints Lambda's error object on stdout and exits non-zero.
 * Context comes in environment variables (AWS_REQUEST_ID, AWS_LAMBDA_FUNCTION_NAME, ...).
 *
 * The response matches the Python tutorial byte for byte: the body is json.dumps output, with a
 * space after the colon and non-ASCII characters as \uXXXX escapes.
 *
 * Build: bash functions/c-hello/build.sh OUT.wasm   (clang --target=wasm32-wasi, wasi-libc)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    char *data;
    size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = realloc(b->data, b->cap);
        if (!b->data) {
            fputs("out of memory\n", stderr);
            exit(1);
        }
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

static void fail(const char *type, const char *message) {
    fprintf(stderr, "[ERROR] %s: %s\n", type, message);
    printf("{\"errorType\":\"%s\",\"errorMessage\":\"%s\"}", type, message);
    exit(1);
}

/* --- a small JSON reader: enough to find the top-level "name" string --- */

static const char *ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return 0;
    }
    *out = v;
    return 1;
}

static void utf8(struct buf *b, unsigned c) {
    char s[4];
    size_t n;
    if (c < 0x80) { s[0] = (char)c; n = 1; }
    else if (c < 0x800) { s[0] = (char)(0xc0 | c >> 6); s[1] = (char)(0x80 | (c & 0x3f)); n = 2; }
    else if (c < 0x10000) {
        s[0] = (char)(0xe0 | c >> 12); s[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        s[2] = (char)(0x80 | (c & 0x3f)); n = 3;
    } else {
        s[0] = (char)(0xf0 | c >> 18); s[1] = (char)(0x80 | ((c >> 12) & 0x3f));
        s[2] = (char)(0x80 | ((c >> 6) & 0x3f)); s[3] = (char)(0x80 | (c & 0x3f)); n = 4;
    }
    put(b, s, n);
}

/* Parse a JSON string at p (on the opening quote) into out (UTF-8); returns the end or NULL. */
static const char *string(const char *p, struct buf *out) {
    if (*p++ != '"') return NULL;
    while (*p && *p != '"') {
        if (*p != '\\') { if (out) put(out, p, 1); p++; continue; }
        p++;
        char e = *p++;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            if (out) put(out, &map[simple - "\"\\/bfnrt"], 1);
        } else if (e == 'u') {
            unsigned c, lo;
            if (!hex4(p, &c)) return NULL;
            p += 4;
            if (c >= 0xd800 && c < 0xdc00 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, &lo) &&
                lo >= 0xdc00 && lo < 0xe000) {
                c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
            }
            if (out) utf8(out, c);
        } else {
            return NULL;
        }
    }
    return *p == '"' ? p + 1 : NULL;
}

/* Skip any JSON value; returns the end or NULL. */
static const char *skip(const char *p) {
    p = ws(p);
    if (*p == '"') return string(p, NULL);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = ws(p + 1);
        if (*p == close) return p + 1;
        for (;;) {
            if (close == '}') {
                p = string(ws(p), NULL);
                if (!p || *(p = ws(p)) != ':') return NULL;
                p++;
            }
            if (!(p = skip(p))) return NULL;
            p = ws(p);
            if (*p == ',') { p++; continue; }
            return *p == close ? p + 1 : NULL;
        }
    }
    const char *start = p;
    while (*p && strchr("+-.0123456789eEtruefalsn", *p)) p++;
    return p > start ? p : NULL;
}

/* The value of member `key` of the JSON object at p (the first one, if repeated), or NULL when
 * p is not an object, has no such member, the member is null, or the JSON is malformed. */
static const char *member(const char *p, const char *key) {
    p = ws(p);
    if (*p != '{') return NULL;
    p = ws(p + 1);
    while (*p == '"') {
        struct buf k = {0};
        p = string(p, &k);
        int match = p && k.data && strcmp(k.data, key) == 0;
        free(k.data);
        if (!p || *(p = ws(p)) != ':') return NULL;
        p = ws(p + 1);
        if (match) return strncmp(p, "null", 4) == 0 ? NULL : p;
        if (!(p = skip(p))) return NULL;
        p = ws(p);
        if (*p != ',') return NULL;
        p = ws(p + 1);
    }
    return NULL;
}

/* --- json.dumps of a string, as Python writes it (ensure_ascii: \uXXXX for non-ASCII) --- */

static void python_json_string(struct buf *out, const char *s) {
    puts_(out, "\"");
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p++;
        int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
        if (extra) c &= 0x3f >> extra;
        while (extra-- > 0 && *p) c = (c << 6) | (*p++ & 0x3f);
        char tmp[16];
        if (c == '"') puts_(out, "\\\"");
        else if (c == '\\') puts_(out, "\\\\");
        else if (c == '\n') puts_(out, "\\n");
        else if (c == '\r') puts_(out, "\\r");
        else if (c == '\t') puts_(out, "\\t");
        else if (c == '\b') puts_(out, "\\b");
        else if (c == '\f') puts_(out, "\\f");
        else if (c >= 0x20 && c < 0x7f) { tmp[0] = (char)c; put(out, tmp, 1); }
        else if (c >= 0x10000) {
            c -= 0x10000;
            snprintf(tmp, sizeof tmp, "\\u%04x\\u%04x", 0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
            puts_(out, tmp);
        } else {
            snprintf(tmp, sizeof tmp, "\\u%04x", c);
            puts_(out, tmp);
        }
    }
    puts_(out, "\"");
}

int main(void) {
    struct buf event = {0}, name = {0}, message = {0}, body = {0}, response = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) put(&event, chunk, n);
    if (!event.data) fail("Runtime.UnmarshalError", "empty event");

    /* event.name, else event.queryStringParameters.name; null counts as absent. */
    const char *value = member(event.data, "name");
    if (!value) {
        const char *query = member(event.data, "queryStringParameters");
        if (query) value = member(query, "name");
    }
    if (value) {
        if (*value != '"') fail("ValidationError", "name must be a string");
        if (!string(value, &name)) fail("Runtime.UnmarshalError", "the event is not valid JSON");
        put(&name, "", 0); /* "" is a name too: make sure the buffer exists */
    } else {
        puts_(&name, "World");
    }

    fprintf(stderr, "Hello function invoked for %s\n", name.data);

    puts_(&message, "Hello, ");
    puts_(&message, name.data);
    puts_(&message, "! This is your first AWS Lambda function.");
    puts_(&body, "{\"message\": ");
    python_json_string(&body, message.data);
    puts_(&body, "}");

    /* The body is itself a JSON string inside the response: escape it once more. */
    puts_(&response, "{\"statusCode\":200,\"body\":\"");
    for (const char *c = body.data; *c; c++) {
        if (*c == '"' || *c == '\\') put(&response, "\\", 1);
        put(&response, c, 1);
    }
    puts_(&response, "\"}");
    fwrite(response.data, 1, response.len, stdout);
    return 0;
}
