
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * A tiny test framework: TAP-like "ok N - name" / "not ok N - name"
 * lines, then "N passed, M failed" alone on the last line.
 */


#ifndef _WA_UNIT_H_INCLUDED_
#define _WA_UNIT_H_INCLUDED_


#include <stdio.h>
#include <string.h>


static int  unit_passed;
static int  unit_failed;


#define UNIT_OK(cond, ...)                                                    \
    unit_report((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)

/* expects an exact wa_err_t, prints both codes when they differ */
#define UNIT_ERR(got, want, ...)                                              \
    unit_report_err((got), (want), __FILE__, __LINE__, __VA_ARGS__)

#define UNIT_DONE()                                                           \
    (printf("%d passed, %d failed\n", unit_passed, unit_failed),              \
     unit_failed == 0 ? 0 : 1)


#if defined(__GNUC__)
static void unit_report(int ok, const char *file, int line, const char *fmt,
    ...) __attribute__((format(printf, 4, 5), unused));
#endif


#include <stdarg.h>


static void
unit_report(int ok, const char *file, int line, const char *fmt, ...)
{
    va_list  ap;

    if (ok) {
        unit_passed++;
        printf("ok %d - ", unit_passed + unit_failed);

    } else {
        unit_failed++;
        printf("not ok %d - ", unit_passed + unit_failed);
    }

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);

    if (!ok) {
        printf("  # at %s:%d", file, line);
    }

    printf("\n");
    fflush(stdout);
}


#ifdef _WA_CORE_H_INCLUDED_

#if defined(__GNUC__)
static void unit_report_err(wa_err_t got, wa_err_t want, const char *file,
    int line, const char *fmt, ...) __attribute__((format(printf, 5, 6),
    unused));
#endif

static void
unit_report_err(wa_err_t got, wa_err_t want, const char *file, int line,
    const char *fmt, ...)
{
    va_list  ap;
    int      ok;

    ok = (got == want);

    if (ok) {
        unit_passed++;
        printf("ok %d - ", unit_passed + unit_failed);

    } else {
        unit_failed++;
        printf("not ok %d - ", unit_passed + unit_failed);
    }

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);

    printf(" (%s)", wa_err_code(got));

    if (!ok) {
        printf("  # expected %s, at %s:%d", wa_err_code(want), file, line);
    }

    printf("\n");
    fflush(stdout);
}

#endif


#endif /* _WA_UNIT_H_INCLUDED_ */
