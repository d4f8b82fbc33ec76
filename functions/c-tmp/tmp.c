/*
 * Fixture: a C custom runtime (WASI p1) using /tmp and /var/task with stdio, as C code
 * written for Lambda does. fnhost runs p1 modules that open files through wasmtime's p1
 * adapter, so they get the same per-invocation /tmp as components.
 *
 * The event (stdin) is ignored. The response (stdout) is JSON:
 *   {"read": "<what it wrote to /tmp/c-tmp.txt and read back>",
 *    "task": "<first line of /var/task/data.txt, or empty>",
 *    "task_write_errno": <errno of fopen("/var/task/new.txt", "w"), 0 if it worked>,
 *    "fill_errno": <errno when writing 1 MiB blocks to /tmp/fill stops>,
 *    "filled_mb": <MiB written before that>}
 * errno values are WASI's (wasi-libc): EROFS 69, ENOSPC 51.
 *
 * Build: bash functions/c-tmp/build.sh OUT.wasm   (clang --target=wasm32-wasi, wasi-libc)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    char read_back[64] = "";
    FILE *f = fopen("/tmp/c-tmp.txt", "w");
    if (f) {
        fputs("hello from C", f);
        fclose(f);
        f = fopen("/tmp/c-tmp.txt", "r");
        if (f) {
            if (!fgets(read_back, sizeof read_back, f)) read_back[0] = 0;
            fclose(f);
        }
    }

    char task[64] = "";
    f = fopen("/var/task/data.txt", "r");
    if (f) {
        if (!fgets(task, sizeof task, f)) task[0] = 0;
        task[strcspn(task, "\r\n\"\\")] = 0;
        fclose(f);
    }

    int task_write_errno = 0;
    errno = 0;
    f = fopen("/var/task/new.txt", "w");
    if (f) {
        fclose(f);
    } else {
        task_write_errno = errno;
    }

    /* Fill /tmp until the host says no (the function's ephemeral storage is small). */
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    int fill_errno = 0;
    int filled = 0;
    f = fopen("/tmp/fill", "w");
    if (!f) {
        fill_errno = errno;
    } else {
        setvbuf(f, NULL, _IONBF, 0);
        for (; filled < 4096; filled++) {
            errno = 0;
            if (fwrite(block, 1, sizeof block, f) != sizeof block) {
                fill_errno = errno;
                break;
            }
        }
        fclose(f);
    }

    printf("{\"read\":\"%s\",\"task\":\"%s\",\"task_write_errno\":%d,\"fill_errno\":%d,\"filled_mb\":%d}",
           read_back, task, task_write_errno, fill_errno, filled);
    return 0;
}
