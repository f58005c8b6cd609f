
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * STS's answers (STS API Reference, AssumeRole and
 * AssumeRoleWithWebIdentity, "Response Elements"; "Common Errors"), read
 * with libxml2:
 *
 *   <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
 *     <AssumeRoleResult>
 *       <Credentials>
 *         <AccessKeyId>..</AccessKeyId>
 *         <SecretAccessKey>..</SecretAccessKey>
 *         <SessionToken>..</SessionToken>
 *         <Expiration>2026-12-01T19:30:00Z</Expiration>
 *       </Credentials> ...
 *
 *   <ErrorResponse ...><Error><Type>Sender</Type><Code>AccessDenied</Code>
 *     <Message>..</Message></Error> ...
 *
 * STS never sends a document type declaration: one stops the parse
 * (before its internal subset, whose parameter entities libxml2 would
 * expand even without XML_PARSE_NOENT).
 *
 * The secret passes through blocks of libxml2's own: its copy of the
 * input (xmlCtxtReadMemory() copies the memory into an xmlBuf), the text
 * nodes, their older copies as text is coalesced (xmlRealloc()), the
 * xmlBuf of xmlNodeGetContent(), the errors' strings.  libxml2 frees
 * them unwiped; wa_xml_memory_init() makes every block it frees or moves
 * wiped first.
 */


#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>

#include "wa_internal.h"


#define WA_STS_ACCESS_KEY  0
#define WA_STS_SECRET      1
#define WA_STS_TOKEN       2
#define WA_STS_EXPIRATION  3


typedef struct {
    int   dtd;
} wa_sts_ctx_t;


static void wa_sts_dtd(void *ctx, const xmlChar *name,
    const xmlChar *external_id, const xmlChar *system_id);
static xmlNode *wa_sts_find(xmlNode *root, const char *name);
static wa_err_t wa_sts_credentials(wa_sts_answer_t *a, xmlNode *cr,
    int64_t now, const char **detail);
static char *wa_sts_text(xmlNode *n, size_t max, int spaces);
static void wa_sts_wipe(xmlDoc *doc, xmlNode *n);
static void wa_xml_free(void *p);
static void *wa_xml_realloc(void *p, size_t n);


void   (*wa_xml_release)(void *p) = free;
int      wa_xml_wiping = 1;

static int  wa_xml_hooked;


/*
 * libxml2's memory functions for the whole process (xmlMemSetup(): one
 * set, not per thread, in Debian's build): malloc() and strdup() as
 * libc's, free() wipes the block (malloc_usable_size(), so all of it)
 * before freeing it, realloc() keeps a block that still fits, else
 * allocates anew, copies, and wipes and frees the old block, so that no
 * copy is left where it was.  On glibc's malloc: a block libxml2
 * allocated before (another module's, nginx's xslt filter's) is freed
 * through them as well.  The cost, a wipe per block freed and a copy per
 * block grown, is libxml2's alone:
 * this module parses with it only STS's answers, about one an hour per
 * set of credentials; in a process that also runs the xslt filter, its
 * transformations pay it too.
 */

int
wa_xml_memory_init(void)
{
    if (wa_xml_hooked) {
        return 0;
    }

    if (xmlMemSetup(wa_xml_free, malloc, wa_xml_realloc, strdup) != 0) {
        return -1;
    }

    wa_xml_hooked = 1;

    return 0;
}


/*
 * at process exit (wa_core_cleanup()): libxml2's own destructor frees its
 * globals only while xmlFree is libc's free(), so with the hooks it is
 * done here, as nginx's xslt filter does at its exit
 */

void
wa_xml_memory_cleanup(void)
{
    if (wa_xml_hooked) {
        xmlCleanupParser();
    }
}


static void
wa_xml_free(void *p)
{
    if (p == NULL) {
        return;
    }

    if (wa_xml_wiping) {
        wa_memzero(p, malloc_usable_size(p));
    }

    wa_xml_release(p);
}


static void *
wa_xml_realloc(void *p, size_t n)
{
    void    *q;
    size_t   size;

    if (p == NULL) {
        return malloc(n);
    }

    size = malloc_usable_size(p);

    /* it fits where it is: nothing is left behind */

    if (n <= size && n != 0) {
        return p;
    }

    q = malloc(n ? n : 1);
    if (q == NULL) {
        /* as realloc(): the block stays, libxml2 frees it */
        return NULL;
    }

    memcpy(q, p, size < n ? size : n);

    wa_xml_free(p);

    return q;
}


wa_err_t
wa_sts_parse(wa_sts_answer_t *a, const unsigned char *xml, size_t len,
    int64_t now, const char **detail)
{
    xmlDoc            *doc;
    xmlNode           *root, *cr, *n;
    wa_err_t           err;
    wa_sts_ctx_t       sc;
    xmlParserCtxt     *ctxt;

    memset(a, 0, sizeof(wa_sts_answer_t));

    if (len > WA_AWS_ANSWER_MAX) {
        wa_set_detail(detail, "the answer is too large");
        return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
    }

    ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) {
        wa_set_detail(detail, "xmlNewParserCtxt() failed");
        return WA_ERR_INTERNAL;
    }

    sc.dtd = 0;

    ctxt->_private = &sc;
    ctxt->sax->internalSubset = wa_sts_dtd;

    doc = xmlCtxtReadMemory(ctxt, (const char *) xml, (int) len, "sts.xml",
                            NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS
                                  | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

    xmlFreeParserCtxt(ctxt);

    /* the copy of an error kept for xmlGetLastError() (names, text) */

    xmlResetLastError();

    if (doc == NULL || sc.dtd) {
        wa_sts_wipe(doc, doc ? xmlDocGetRootElement(doc) : NULL);
        xmlFreeDoc(doc);

        wa_set_detail(detail, sc.dtd ? "the answer has a document type "
                                       "declaration"
                                     : "the answer is not XML");
        return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
    }

    a->xml = 1;

    root = xmlDocGetRootElement(doc);

    cr = wa_sts_find(root, "Credentials");

    if (cr == NULL) {
        n = wa_sts_find(root, "Code");
        a->code = n ? wa_sts_text(n, WA_STS_CODE_MAX, 0) : NULL;

        n = wa_sts_find(root, "Message");
        a->message = n ? wa_sts_text(n, WA_STS_MESSAGE_MAX, 1) : NULL;

        wa_sts_wipe(doc, root);
        xmlFreeDoc(doc);

        wa_set_detail(detail, a->code ? "the answer is an error"
                                      : "the answer has no Credentials");
        return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
    }

    a->credentials = 1;

    err = wa_sts_credentials(a, cr, now, detail);

    wa_sts_wipe(doc, root);
    xmlFreeDoc(doc);

    return err;
}


void
wa_sts_free(wa_sts_answer_t *a)
{
    if (a == NULL) {
        return;
    }

    wa_aws_creds_free(&a->creds);
    free(a->code);
    free(a->message);

    memset(a, 0, sizeof(wa_sts_answer_t));
}


/* SAX: <!DOCTYPE ...: stop before the internal subset is parsed */

static void
wa_sts_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id,
    const xmlChar *system_id)
{
    xmlParserCtxt  *ctxt = ctx;

    wa_sts_ctx_t  *sc;

    sc = ctxt->_private;
    sc->dtd = 1;

    xmlStopParser(ctxt);
}


/* the first element of that name, depth first, WA_STS_DEPTH_MAX deep */

static xmlNode *
wa_sts_find(xmlNode *root, const char *name)
{
    int       depth;
    xmlNode  *n;

    n = root;
    depth = 1;

    while (n != NULL) {

        if (n->type == XML_ELEMENT_NODE) {
            if (xmlStrcmp(n->name, (const xmlChar *) name) == 0) {
                return n;
            }

            if (n->children != NULL && depth < WA_STS_DEPTH_MAX) {
                n = n->children;
                depth++;
                continue;
            }
        }

        while (n != NULL && n != root && n->next == NULL) {
            n = n->parent;
            depth--;
        }

        if (n == NULL || n == root) {
            return NULL;
        }

        n = n->next;
    }

    return NULL;
}


static wa_err_t
wa_sts_credentials(wa_sts_answer_t *a, xmlNode *cr, int64_t now,
    const char **detail)
{
    int              k;
    char            *s;
    size_t           len;
    xmlNode         *n, *t;
    xmlChar         *text;
    wa_aws_creds_t  *c;

    static const char  *names[] = {
        "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"
    };

    c = &a->creds;
    c->expires = -1;

    for (n = cr->children; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }

        for (k = 0; k < 4; k++) {
            if (xmlStrcmp(n->name, (const xmlChar *) names[k]) == 0) {
                break;
            }
        }

        if (k == 4) {
            continue;
        }

        /* text only: so every copy of the secret is wa_sts_wipe()d */

        for (t = n->children; t != NULL; t = t->next) {
            if (t->type != XML_TEXT_NODE && t->type != XML_CDATA_SECTION_NODE)
            {
                wa_set_detail(detail, "the answer's Credentials has a "
                                      "member that is not text");
                return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
            }
        }

        text = xmlNodeGetContent(n);
        if (text == NULL) {
            wa_set_detail(detail, "xmlNodeGetContent() failed");
            return WA_ERR_INTERNAL;
        }

        len = (size_t) xmlStrlen(text);

        if (k == WA_STS_EXPIRATION) {
            if (c->expires != -1
                || wa_aws_time((char *) text, len, &c->expires) != 0)
            {
                xmlFree(text);
                wa_set_detail(detail, "the answer's Expiration is given "
                                      "twice or is not an ISO 8601 time "
                                      "with a zone");
                return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
            }

            xmlFree(text);
            continue;
        }

        if ((k == WA_STS_ACCESS_KEY && c->access_key != NULL)
            || (k == WA_STS_SECRET && c->secret != NULL)
            || (k == WA_STS_TOKEN && c->token != NULL))
        {
            wa_memzero(text, len);
            xmlFree(text);
            wa_set_detail(detail, "the answer's Credentials has a member "
                                  "twice");
            return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
        }

        s = malloc(len + 1);

        if (s != NULL) {
            memcpy(s, text, len + 1);
        }

        wa_memzero(text, len);
        xmlFree(text);

        if (s == NULL) {
            wa_set_detail(detail, "out of memory");
            return WA_ERR_INTERNAL;
        }

        switch (k) {

        case WA_STS_ACCESS_KEY:
            c->access_key = s;
            c->access_key_len = len;
            break;

        case WA_STS_SECRET:
            c->secret = s;
            c->secret_len = len;
            break;

        default:
            c->token = s;
            c->token_len = len;
        }
    }

    if (c->expires == -1) {
        wa_set_detail(detail, "the answer's Credentials has no Expiration");
        return WA_ERR_AWS_CREDENTIALS_UNAVAILABLE;
    }

    return wa_aws_creds_check(c, 1, now, detail);
}


/*
 * an element's text for the log: at most max bytes, visible ASCII (and
 * spaces when asked), anything else as "?"
 */

static char *
wa_sts_text(xmlNode *n, size_t max, int spaces)
{
    char     *s;
    size_t    i, len;
    xmlChar  *text;

    text = xmlNodeGetContent(n);
    if (text == NULL) {
        return NULL;
    }

    len = (size_t) xmlStrlen(text);

    if (len > max) {
        len = max;
    }

    s = malloc(len + 1);

    if (s != NULL) {
        for (i = 0; i < len; i++) {
            s[i] = (text[i] > 0x20 && text[i] < 0x7f)
                   || (spaces && text[i] == ' ')
                   ? (char) text[i] : '?';
        }

        s[len] = '\0';
    }

    xmlFree(text);

    return s;
}


/*
 * the document's own copies of a secret: the text of every
 * SecretAccessKey (wherever it is), before the document is freed
 */

static void
wa_sts_wipe(xmlDoc *doc, xmlNode *root)
{
    xmlNode  *n, *t;

    if (doc == NULL || root == NULL) {
        return;
    }

    n = root;

    while (n != NULL) {

        if (n->type == XML_ELEMENT_NODE
            && xmlStrcmp(n->name, (const xmlChar *) "SecretAccessKey") == 0)
        {
            for (t = n->children; t != NULL; t = t->next) {
                if ((t->type == XML_TEXT_NODE
                     || t->type == XML_CDATA_SECTION_NODE)
                    && t->content != NULL
                    && (doc->dict == NULL
                        || !xmlDictOwns(doc->dict, t->content)))
                {
                    wa_memzero(t->content, (size_t) xmlStrlen(t->content));
                }
            }
        }

        if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
            n = n->children;
            continue;
        }

        while (n != NULL && n != root && n->next == NULL) {
            n = n->parent;
        }

        if (n == NULL || n == root) {
            return;
        }

        n = n->next;
    }
}
