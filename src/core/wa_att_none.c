
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/* the "none" attestation statement format, WebAuthn L3, 8.7 */


#include <cbor.h>

#include "wa_internal.h"


wa_err_t
wa_att_none(const wa_att_in_t *in, wa_att_out_t *out, const char **detail)
{
    cbor_item_t  *stmt;

    stmt = in->att_stmt;

    /* 8.7: attStmt is an empty CBOR map */

    if (!cbor_isa_map(stmt) || cbor_map_size(stmt) != 0) {
        wa_set_detail(detail, "\"none\" attestation statement is not an "
                              "empty map");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    out->type = WA_ATT_TYPE_NONE;

    return WA_OK;
}
