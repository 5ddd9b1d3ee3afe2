/* A hook tool as a charm runs it: send argv to the agent socket, print the answer.
 *
 * The C twin of client.py (same protocol, see server.py), built once when a C compiler
 * is there, because a hook tool's start-up is paid on every call a charm makes.
 * Request: netstrings context, tool, argument count, arguments, stdin ("0" or "1"+data).
 * Answer: netstrings exit code, stdout, stderr. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int put(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w <= 0) return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

static int netstring(int fd, const char *s, size_t n) {
    char head[32];
    int h = snprintf(head, sizeof head, "%zu:", n);
    if (put(fd, head, (size_t)h) || put(fd, s, n) || put(fd, ",", 1)) return -1;
    return 0;
}

static char *slurp(int fd, size_t *len) {
    size_t cap = 65536, used = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (used == cap) buf = realloc(buf, cap *= 2);
        if (!buf) return NULL;
        ssize_t r = read(fd, buf + used, cap - used);
        if (r < 0) { free(buf); return NULL; }
        if (r == 0) break;
        used += (size_t)r;
    }
    *len = used;
    return buf;
}

/* Parse one netstring at *pos; returns its start and sets *n, or NULL. */
static const char *field(const char *buf, size_t len, size_t *pos, size_t *n) {
    size_t i = *pos, v = 0;
    while (i < len && buf[i] >= '0' && buf[i] <= '9') v = v * 10 + (size_t)(buf[i++] - '0');
    if (i >= len || buf[i] != ':' || i + 1 + v >= len || buf[i + 1 + v] != ',') return NULL;
    *n = v;
    *pos = i + 2 + v;
    return buf + i + 1;
}

int main(int argc, char **argv) {
    const char *tool = basename(argv[0]);
    const char *address = getenv("JUJU_AGENT_SOCKET_ADDRESS");
    const char *context = getenv("JUJU_CONTEXT_ID");
    if (!address || !context) {
        fprintf(stderr, "ERROR %s not set\n", address ? "JUJU_CONTEXT_ID" : "JUJU_AGENT_SOCKET_ADDRESS");
        return 1;
    }
    int wants_stdin = 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(tool, "relation-set") == 0 && strcmp(argv[i], "-") == 0) wants_stdin = 1;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    strncpy(sa.sun_path, address, sizeof sa.sun_path - 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "ERROR cannot reach the agent at %s\n", address);
        return 1;
    }
    char count[32];
    snprintf(count, sizeof count, "%d", argc - 1);
    int bad = netstring(fd, context, strlen(context)) || netstring(fd, tool, strlen(tool)) ||
              netstring(fd, count, strlen(count));
    for (int i = 1; i < argc && !bad; i++) bad = netstring(fd, argv[i], strlen(argv[i]));
    if (!bad && wants_stdin) {
        size_t n;
        char *in = slurp(0, &n);
        char *marked = in ? malloc(n + 1) : NULL;
        if (!marked) return 1;
        marked[0] = '1';
        memcpy(marked + 1, in, n);
        bad = netstring(fd, marked, n + 1);
    } else if (!bad) {
        bad = netstring(fd, "0", 1);
    }
    shutdown(fd, SHUT_WR);
    size_t len, pos = 0, n_code, n_out, n_err;
    char *answer = bad ? NULL : slurp(fd, &len);
    const char *code = answer ? field(answer, len, &pos, &n_code) : NULL;
    const char *out = code ? field(answer, len, &pos, &n_out) : NULL;
    const char *err = out ? field(answer, len, &pos, &n_err) : NULL;
    if (!err) {
        fprintf(stderr, "ERROR bad answer from the agent\n");
        return 1;
    }
    put(1, out, n_out);
    put(2, err, n_err);
    return atoi(code);
}
