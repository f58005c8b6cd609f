
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The fuzz targets' regression tests: linked with one fuzz/fuzz_<name>.c
 * (its LLVMFuzzerTestOneInput(), and LLVMFuzzerInitialize() when it has
 * one) and the core built with ASan and UBSan, and run by "make
 * test-asan" on fuzz/corpus/<name>/ and fuzz/regress/<name>/: every file
 * (or every file of every directory) given is one input.  A target
 * abort()s when an answer breaks its rules and the sanitizers abort on
 * a memory error, a leak or undefined behaviour, so the test passes when
 * it gets to its last line: "fuzz_<name>: N inputs replayed".
 */


#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path);
static int replay_path(const char *path, size_t *n);
static int replay_cmp(const void *a, const void *b);
static void replay_abort(int signo);


/* the input being replayed, named when a target abort()s on it */
static const char  *replay_current;


static void
replay_abort(int signo)
{
    static const char  msg[] = "test_fuzz_regress: abort() on ";

    if (replay_current != NULL) {
        (void) write(2, msg, sizeof(msg) - 1);
        (void) write(2, replay_current, strlen(replay_current));
        (void) write(2, "\n", 1);
    }

    signal(signo, SIG_DFL);
    raise(signo);
}


static int
replay_file(const char *path)
{
    long            len;
    FILE           *f;
    unsigned char  *buf;

    f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }

    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        perror(path);
        fclose(f);
        return -1;
    }

    /* an input of its exact size, as libFuzzer gives it: ASan sees over
     * reads by one byte */

    buf = malloc(len > 0 ? (size_t) len : 1);
    if (buf == NULL || fread(buf, 1, (size_t) len, f) != (size_t) len) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        fclose(f);
        return -1;
    }

    fclose(f);

    replay_current = path;
    LLVMFuzzerTestOneInput(buf, (size_t) len);
    replay_current = NULL;

    free(buf);

    return 0;
}


static int
replay_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


static int
replay_path(const char *path, size_t *n)
{
    int             rc;
    DIR            *dir;
    char          **names, **more, *full;
    size_t          i, count, cap;
    struct stat     st;
    struct dirent  *de;

    if (stat(path, &st) != 0) {
        perror(path);
        return -1;
    }

    if (!S_ISDIR(st.st_mode)) {
        (*n)++;
        return replay_file(path);
    }

    dir = opendir(path);
    if (dir == NULL) {
        perror(path);
        return -1;
    }

    names = NULL;
    count = 0;
    cap = 0;
    rc = 0;

    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }

        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            more = realloc(names, cap * sizeof(char *));
            if (more == NULL) {
                rc = -1;
                break;
            }

            names = more;
        }

        full = malloc(strlen(path) + strlen(de->d_name) + 2);
        if (full == NULL) {
            rc = -1;
            break;
        }

        sprintf(full, "%s/%s", path, de->d_name);
        names[count++] = full;
    }

    closedir(dir);

    /* in name order: a failure is reproduced the same way every time */

    if (count > 0) {
        qsort(names, count, sizeof(char *), replay_cmp);
    }

    for (i = 0; i < count; i++) {
        if (rc == 0 && replay_path(names[i], n) != 0) {
            rc = -1;
        }

        free(names[i]);
    }

    free(names);

    return rc;
}


int
main(int argc, char **argv)
{
    int          i;
    size_t       n;
    const char  *name;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR ...\n", argv[0]);
        return 2;
    }

    name = strrchr(argv[0], '/');
    name = (name != NULL) ? name + 1 : argv[0];

    if (strncmp(name, "fuzz_regress_", 13) == 0) {
        name += 13;
    }

    signal(SIGABRT, replay_abort);

    if (LLVMFuzzerInitialize != NULL) {
        LLVMFuzzerInitialize(&argc, &argv);
    }

    n = 0;

    for (i = 1; i < argc; i++) {
        if (replay_path(argv[i], &n) != 0) {
            printf("fuzz_%s: FAILED reading %s\n", name, argv[i]);
            return 1;
        }
    }

    if (n == 0) {
        printf("fuzz_%s: FAILED: no input to replay\n", name);
        return 1;
    }

    printf("fuzz_%s: %zu inputs replayed\n", name, n);

    return 0;
}
