
/*
 * Copyright (C) ngx_http_webauthn_module authors
 */


/*
 * The registration ceremony, WebAuthn L3, 7.1: the JSON of
 * PublicKeyCredential.toJSON() for a new credential, the attestation
 * object (6.5.4), the authenticator data with its attested credential
 * data (6.5.1), and the dispatch to the attestation statement format
 * (8), then the trust assessment (wa_trust.c).  Whether the credential
 * id is registered already (step 25) is the store's to say.
 */


#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <jansson.h>

#include "wa_internal.h"


typedef struct {
    const char        *name;
    wa_att_verify_pt   verify;
} wa_att_format_t;


static wa_err_t wa_registration_transports(wa_registration_t *reg,
    json_t *resp, const char **detail);
static wa_err_t wa_registration_att_object(wa_registration_t *reg,
    const wa_reg_policy_t *policy, const char **detail);
static const wa_att_format_t *wa_registration_format(cbor_item_t *fmt);


static const wa_envelope_member_t  wa_registration_client_data = {
    "clientDataJSON",
    "credential response has no \"clientDataJSON\"",
    "credential \"clientDataJSON\" is not a string",
    "credential \"clientDataJSON\" is not base64url"
};

static const wa_envelope_member_t  wa_registration_att_obj = {
    "attestationObject",
    "credential response has no \"attestationObject\"",
    "credential \"attestationObject\" is not a string",
    "credential \"attestationObject\" is not base64url"
};


/* WebAuthn L3, 8: the registered formats this core verifies */

static const wa_att_format_t  wa_att_formats[] = {
    { "none", wa_att_none },
    { "packed", wa_att_packed },
    { "fido-u2f", wa_att_fido_u2f },
    { "tpm", wa_att_tpm },
    { "android-key", wa_att_android_key },
    { "android-safetynet", wa_att_android_safetynet },
    { "apple", wa_att_apple }
};


/* WebAuthn L3, 5.8.4: AuthenticatorTransport, in the order stored */

static const char  *wa_transports[] = {
    "usb", "nfc", "ble", "smart-card", "hybrid", "internal"
};


wa_err_t
wa_registration_parse(wa_registration_t *reg, const unsigned char *json,
    size_t len, const char **detail)
{
    json_t        *root, *resp;
    wa_err_t       rc;
    json_error_t   jerr;

    memset(reg, 0, sizeof(wa_registration_t));

    if (len > WA_REGISTRATION_MAX) {
        wa_set_detail(detail, "credential is too long");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    root = json_loadb((const char *) json, len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (root == NULL) {
        wa_set_detail(detail, "credential is not valid JSON");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    if (!json_is_object(root)) {
        wa_set_detail(detail, "credential is not a JSON object");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    /*
     * a credential id over 1023 bytes is the attestation's fault (7.1,
     * wa_registration_check()); rawId is only bounded by the body here
     */

    rc = wa_envelope_credential_id(root, WA_REGISTRATION_MAX, &reg->raw_id,
                                   &reg->raw_id_len, &reg->cred_id,
                                   &reg->cred_id_len, detail);
    if (rc != WA_OK) {
        goto done;
    }

    resp = json_object_get(root, "response");

    if (!json_is_object(resp)) {
        wa_set_detail(detail, "credential has no \"response\" object");
        rc = WA_ERR_CREDENTIAL_MALFORMED;
        goto done;
    }

    rc = wa_envelope_member(resp, &wa_registration_client_data,
                            &reg->client_data, &reg->client_data_len,
                            detail);
    if (rc != WA_OK) {
        goto done;
    }

    rc = wa_envelope_member(resp, &wa_registration_att_obj, &reg->att_object,
                            &reg->att_object_len, detail);
    if (rc != WA_OK) {
        goto done;
    }

    rc = wa_registration_transports(reg, resp, detail);

done:

    json_decref(root);

    return rc;
}


/*
 * WebAuthn L3, 5.2.1.1: getTransports() values are kept when they are
 * AuthenticatorTransport values (5.8.4), others are ignored; stored in
 * the table's order, each once
 */

static wa_err_t
wa_registration_transports(wa_registration_t *reg, json_t *resp,
    const char **detail)
{
    char        *p;
    size_t       i, t, n;
    json_t      *arr, *v;
    unsigned     seen;
    const char  *s;

    arr = json_object_get(resp, "transports");

    if (arr == NULL || json_is_null(arr)) {
        return WA_OK;
    }

    if (!json_is_array(arr)) {
        wa_set_detail(detail, "credential \"transports\" is not an array");
        return WA_ERR_CREDENTIAL_MALFORMED;
    }

    seen = 0;

    json_array_foreach(arr, i, v) {
        s = json_string_value(v);

        if (s == NULL) {
            wa_set_detail(detail, "credential \"transports\" holds "
                                  "something other than strings");
            return WA_ERR_CREDENTIAL_MALFORMED;
        }

        for (t = 0; t < sizeof(wa_transports) / sizeof(wa_transports[0]);
             t++)
        {
            if (strcmp(s, wa_transports[t]) == 0) {
                seen |= 1u << t;
            }
        }
    }

    p = reg->transports;

    for (t = 0; t < sizeof(wa_transports) / sizeof(wa_transports[0]); t++) {
        if (!(seen & (1u << t))) {
            continue;
        }

        n = strlen(wa_transports[t]);

        if (p != reg->transports) {
            *p++ = ' ';
        }

        memcpy(p, wa_transports[t], n);
        p += n;
    }

    *p = '\0';

    return WA_OK;
}


wa_err_t
wa_registration_check(wa_registration_t *reg, const wa_reg_policy_t *policy,
    const char **detail)
{
    wa_err_t           err;
    wa_client_data_t   cd;

    if (reg->client_data == NULL || reg->att_object == NULL) {
        wa_set_detail(detail, "registration was not parsed");
        return WA_ERR_INTERNAL;
    }

    free(reg->challenge);
    free(reg->public_key);
    reg->challenge = NULL;
    reg->challenge_len = 0;
    reg->public_key = NULL;
    reg->public_key_len = 0;
    reg->fmt = NULL;
    reg->trusted = 0;

    /* WebAuthn L3, 7.1, steps 5-10 */

    err = wa_client_data_check(&cd, reg->client_data, reg->client_data_len,
                               "webauthn.create", &policy->base,
                               &reg->challenge, &reg->challenge_len, detail);
    if (err != WA_OK) {
        goto done;
    }

    /* step 11: the hash of the client data */

    wa_sha256(reg->cdata_hash, reg->client_data, reg->client_data_len);

    /* steps 12-24 */

    err = wa_registration_att_object(reg, policy, detail);

done:

    wa_client_data_free(&cd);

    return err;
}


static wa_err_t
wa_registration_att_object(wa_registration_t *reg,
    const wa_reg_policy_t *policy, const char **detail)
{
    int                     major;
    size_t                  i, used, ad_len;
    wa_err_t                err;
    wa_pkey_t              *key;
    cbor_item_t            *obj, *fmt, *stmt, *ad_item;
    wa_att_in_t             in;
    wa_att_out_t            out;
    wa_auth_data_t          ad;
    struct cbor_load_result  res;
    const unsigned char    *ad_bytes;
    const wa_att_format_t  *f;

    key = NULL;
    obj = NULL;
    out.type = WA_ATT_TYPE_NONE;
    out.x5c = NULL;

    /*
     * step 12: the attestation object, 6.5.4: a CBOR map of fmt (text),
     * attStmt (map) and authData (bytes), well formed and nothing after
     */

    if (wa_cbor_item(reg->att_object, reg->att_object_len, &used, &major)
        != 0
        || used != reg->att_object_len || major != WA_CBOR_MAJOR_MAP)
    {
        wa_set_detail(detail, "attestation object is not one well-formed "
                              "CBOR map");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    obj = cbor_load(reg->att_object, reg->att_object_len, &res);
    if (obj == NULL) {
        if (res.error.code == CBOR_ERR_MEMERROR) {
            wa_set_detail(detail, "out of memory");
            return WA_ERR_INTERNAL;
        }

        wa_set_detail(detail, "attestation object is not a CBOR map "
                              "libcbor reads");
        return WA_ERR_ATTESTATION_MALFORMED;
    }

    fmt = wa_cbor_map_get(obj, "fmt");
    stmt = wa_cbor_map_get(obj, "attStmt");
    ad_item = wa_cbor_map_get(obj, "authData");

    if (fmt == NULL || !cbor_isa_string(fmt) || !cbor_string_is_definite(fmt)
        || stmt == NULL || !cbor_isa_map(stmt) || !cbor_map_is_definite(stmt)
        || wa_cbor_bytes(ad_item, &ad_bytes, &ad_len) != 0)
    {
        wa_set_detail(detail, "attestation object lacks \"fmt\", "
                              "\"attStmt\" or \"authData\"");
        err = WA_ERR_ATTESTATION_MALFORMED;
        goto done;
    }

    err = wa_auth_data_parse(&ad, ad_bytes, ad_len, detail);
    if (err != WA_OK) {
        err = (err == WA_ERR_CREDENTIAL_MALFORMED)
              ? WA_ERR_ATTESTATION_MALFORMED : err;
        goto done;
    }

    /* steps 13-16: rpIdHash, UP, UV */

    err = wa_flags_check(ad.rp_id_hash, ad.flags, &policy->base, detail);
    if (err != WA_OK) {
        goto done;
    }

    /* step 17: BS without BE is an authenticator fault (6.1) */

    if ((ad.flags & WA_FLAG_BS) && !(ad.flags & WA_FLAG_BE)) {
        wa_set_detail(detail, "authenticator data BS flag is set without "
                              "BE");
        err = WA_ERR_ATTESTATION_MALFORMED;
        goto done;
    }

    /* 6.5.1: attested credential data must be there */

    if (!(ad.flags & WA_FLAG_AT) || ad.aaguid == NULL) {
        wa_set_detail(detail, "authenticator data has no attested "
                              "credential data (AT flag clear)");
        err = WA_ERR_ATTESTATION_MALFORMED;
        goto done;
    }

    /* step 23 of L2, 5.1.3 of L3: the id, at most 1023 bytes, is rawId */

    if (ad.cred_id_len == 0 || ad.cred_id_len > WA_CRED_ID_MAX) {
        wa_set_detail(detail, "attested credential id is empty or longer "
                              "than 1023 bytes");
        err = WA_ERR_ATTESTATION_MALFORMED;
        goto done;
    }

    if (ad.cred_id_len != reg->raw_id_len
        || memcmp(ad.cred_id, reg->raw_id, reg->raw_id_len) != 0)
    {
        wa_set_detail(detail, "attested credential id is not the "
                              "credential's \"rawId\"");
        err = WA_ERR_ATTESTATION_MALFORMED;
        goto done;
    }

    /* step 18: the public key, an algorithm offered (pubKeyCredParams) */

    err = wa_pkey_from_cose_ex(&key, ad.cred_key, ad.cred_key_len,
                               policy->allow_sha1_keys, detail);
    if (err == WA_ERR_CREDENTIAL_MALFORMED) {
        err = WA_ERR_ATTESTATION_MALFORMED;
    }

    if (err != WA_OK) {
        goto done;
    }

    for (i = 0; i < policy->nalgs; i++) {
        if (policy->algs[i] == wa_pkey_alg(key)) {
            break;
        }
    }

    if (i == policy->nalgs) {
        wa_set_detail(detail, "credential public key algorithm was not "
                              "offered");
        err = WA_ERR_ALGORITHM_UNSUPPORTED;
        goto done;
    }

    /* steps 19-21: the format, its verification procedure */

    f = wa_registration_format(fmt);
    if (f == NULL) {
        wa_set_detail(detail, "attestation statement format is not "
                              "supported");
        err = WA_ERR_ATTESTATION_MALFORMED;
        goto done;
    }

    in.auth_data = ad_bytes;
    in.auth_data_len = ad_len;
    in.ad = &ad;
    in.cdata_hash = reg->cdata_hash;
    in.cred_key = key;
    in.att_stmt = stmt;
    in.policy = policy;

    err = f->verify(&in, &out, detail);
    if (err != WA_OK) {
        goto done;
    }

    /*
     * steps 22-24: trust.  Under "none" a statement is verified but not
     * assessed; "any" keeps what was verified; "trusted" requires a path
     * to an anchor
     */

    if (policy->attestation == WA_ATTESTATION_TRUSTED) {
        if (policy->trust == NULL) {
            wa_set_detail(detail, "no trust anchors configured");
            err = WA_ERR_INTERNAL;
            goto done;
        }

        err = wa_trust_check(policy->trust, &out, ad.aaguid, policy, detail);
        if (err != WA_OK) {
            goto done;
        }

        reg->trusted = 1;
    }

    /* what the store keeps */

    reg->public_key = malloc(ad.cred_key_len);
    if (reg->public_key == NULL) {
        wa_set_detail(detail, "out of memory");
        err = WA_ERR_INTERNAL;
        goto done;
    }

    memcpy(reg->public_key, ad.cred_key, ad.cred_key_len);
    reg->public_key_len = ad.cred_key_len;
    reg->alg = wa_pkey_alg(key);
    reg->flags = ad.flags;
    reg->sign_count = ad.sign_count;
    reg->fmt = f->name;
    reg->att_type = out.type;
    memcpy(reg->aaguid, ad.aaguid, 16);
    wa_uuid_text(reg->aaguid_text, ad.aaguid);

    err = WA_OK;

done:

    wa_x509_x5c_free(out.x5c);
    wa_pkey_free(key);

    if (obj != NULL) {
        cbor_decref(&obj);
    }

    if (err != WA_OK && reg->trusted) {
        reg->trusted = 0;
    }

    return err;
}


static const wa_att_format_t *
wa_registration_format(cbor_item_t *fmt)
{
    size_t  i, len;

    len = cbor_string_length(fmt);

    for (i = 0; i < sizeof(wa_att_formats) / sizeof(wa_att_formats[0]); i++)
    {
        if (strlen(wa_att_formats[i].name) == len
            && memcmp(cbor_string_handle(fmt), wa_att_formats[i].name, len)
               == 0)
        {
            return &wa_att_formats[i];
        }
    }

    return NULL;
}


void
wa_uuid_text(char out[WA_AAGUID_TEXT_LEN + 1], const unsigned char id[16])
{
    size_t  i;
    char   *p;

    static const char  hex[] = "0123456789abcdef";

    p = out;

    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *p++ = '-';
        }

        *p++ = hex[id[i] >> 4];
        *p++ = hex[id[i] & 0x0f];
    }

    *p = '\0';
}


void
wa_registration_free(wa_registration_t *reg)
{
    if (reg == NULL) {
        return;
    }

    free(reg->raw_id);
    free(reg->cred_id);
    free(reg->client_data);
    free(reg->att_object);
    free(reg->challenge);
    free(reg->public_key);

    memset(reg, 0, sizeof(wa_registration_t));
}
