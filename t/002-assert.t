# vi:filetype=perl

# Assertions: each algorithm passes and fills the variables; every error
# code of design.md but store_unavailable; user verification policies;
# the signature counter rule.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5);
add_block_preprocessor(\&WebAuthnTest::preprocess);

WebAuthnTest::enroll('es512', user => 'user-es512', roles => 'reader es512');
WebAuthnTest::enroll('ghost', alg => 'es256');
WebAuthnTest::redis('DEL', WebAuthnTest::cred_key('ghost'));
WebAuthnTest::enroll('revoked', alg => 'es256', revoked => 1);
WebAuthnTest::enroll('rs1', alg => 'rs256', cose_alg => -65535);
WebAuthnTest::enroll('counted', alg => 'es256', user => 'carol', roles => '');
WebAuthnTest::enroll('zero', alg => 'eddsa', user => 'zed', roles => 'z');

run_tests();

__DATA__

=== TEST 1: ES256: passes; the upstream sees the variables and no Authorization
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- response_headers
!WWW-Authenticate
--- no_error_log
[alert]
[crit]



=== TEST 2: ES384: passes; the upstream sees the variables and no Authorization
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es384')
--- response_body eval
WebAuthnTest::echo_body('es384')
--- response_headers
!WWW-Authenticate
--- no_error_log
[alert]
[crit]



=== TEST 3: ES512: passes; the upstream sees the variables and no Authorization
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es512')
--- response_body eval
WebAuthnTest::echo_body('es512')
--- response_headers
!WWW-Authenticate
--- no_error_log
[alert]
[crit]



=== TEST 4: RS256: passes; the upstream sees the variables and no Authorization
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'rs256')
--- response_body eval
WebAuthnTest::echo_body('rs256')
--- response_headers
!WWW-Authenticate
--- no_error_log
[alert]
[crit]



=== TEST 5: PS256: passes; the upstream sees the variables and no Authorization
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ps256')
--- response_body eval
WebAuthnTest::echo_body('ps256')
--- response_headers
!WWW-Authenticate
--- no_error_log
[alert]
[crit]



=== TEST 6: EDDSA: passes; the upstream sees the variables and no Authorization
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'eddsa')
--- response_body eval
WebAuthnTest::echo_body('eddsa')
--- response_headers
!WWW-Authenticate
--- no_error_log
[alert]
[crit]



=== TEST 7: the scheme is case-insensitive
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', scheme => 'wEBAUTHN')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]



=== TEST 8: variables in add_header; the authenticated request keeps its method and body
--- config
    location = /t {
        auth_webauthn "test";
        add_header X-WebAuthn-User $webauthn_user always;
        add_header X-WebAuthn-Roles $webauthn_roles always;
        add_header X-WebAuthn-Credential $webauthn_credential_id always;
        add_header X-WebAuthn-Count $webauthn_sign_count always;
        add_header X-WebAuthn-UV $webauthn_user_verified always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location = /echo {
        return 200 "$request_method $http_content_length\n";
    }
--- request
POST /t
hello
--- more_headers eval
WebAuthnTest::authz(key => 'es384')
--- response_headers eval
"X-WebAuthn-User: user-es384\nX-WebAuthn-Roles: reader es384\nX-WebAuthn-Credential: " . WebAuthnTest::cred_id('es384') . "\nX-WebAuthn-Count: " . WebAuthnTest::key('es384')->{sign_count} . "\nX-WebAuthn-UV: 1\n"
--- response_body
POST 5
--- no_error_log
[alert]
[crit]



=== TEST 9: Chrome's extra clientDataJSON member and no userHandle pass
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'eddsa', extra_client_data => 1, no_user_handle => 1)
--- response_body eval
WebAuthnTest::echo_body('eddsa')
--- no_error_log
[alert]
[crit]



=== TEST 10: credential_missing
--- request
GET /t
--- denied: credential_missing
--- no_error_log
[alert]
[crit]



=== TEST 11: credential_malformed: the token is not base64url
--- request
GET /t
--- more_headers
Authorization: WebAuthn !!not*base64url!!
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]



=== TEST 12: credential_unknown: no such credential in Redis
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ghost')
--- denied: credential_unknown
--- no_error_log
[alert]
[crit]



=== TEST 13: credential_revoked
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'revoked')
--- denied: credential_revoked
--- no_error_log
[alert]
[crit]



=== TEST 14: client_data_invalid: type webauthn.create
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', type => 'webauthn.create')
--- denied: client_data_invalid
--- no_error_log
[alert]
[crit]



=== TEST 15: challenge_invalid: sealed with another secret
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', secret => 'k' x 32)
--- denied: challenge_invalid
--- no_error_log
[alert]
[crit]



=== TEST 16: origin_not_allowed
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', origin => 'https://evil.example')
--- denied: origin_not_allowed
--- no_error_log
[alert]
[crit]



=== TEST 17: origin_not_allowed: cross-origin while webauthn_allow_cross_origin is off
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', cross_origin => 1, top_origin => 'http://localhost')
--- denied: origin_not_allowed
--- no_error_log
[alert]
[crit]



=== TEST 18: cross-origin passes when allowed and topOrigin is expected
--- config
    location = /t {
        webauthn_allow_cross_origin on;
        auth_webauthn "test";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location = /echo { return 200 "ok\n"; }
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', cross_origin => 1, top_origin => 'http://localhost')
--- response_body
ok
--- no_error_log
[alert]
[crit]



=== TEST 19: rp_id_mismatch: rpIdHash of another RP
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', rp_id_hash_of => 'evil.example')
--- denied: rp_id_mismatch
--- no_error_log
[alert]
[crit]



=== TEST 20: user_not_present: UP clear
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', up => 0)
--- denied: user_not_present
--- no_error_log
[alert]
[crit]



=== TEST 21: user verification required: UV clear -> user_not_verified
--- config
    location = /t {
        auth_webauthn "test";
        auth_webauthn_user_verification required;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
        proxy_set_header X-UV $webauthn_user_verified;
    }
    location = /echo { return 200 "uv=$http_x_uv\n"; }

--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', uv => 0)
--- denied: user_not_verified
--- no_error_log
[alert]
[crit]



=== TEST 22: user verification required, UV set: passes, $webauthn_user_verified 1
--- config
    location = /t {
        auth_webauthn "test";
        auth_webauthn_user_verification required;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
        proxy_set_header X-UV $webauthn_user_verified;
    }
    location = /echo { return 200 "uv=$http_x_uv\n"; }

--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', uv => 1)
--- response_body
uv=1
--- no_error_log
[alert]
[crit]



=== TEST 23: user verification preferred, UV clear: passes, $webauthn_user_verified 0
--- config
    location = /t {
        auth_webauthn "test";
        auth_webauthn_user_verification preferred;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
        proxy_set_header X-UV $webauthn_user_verified;
    }
    location = /echo { return 200 "uv=$http_x_uv\n"; }

--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', uv => 0)
--- response_body
uv=0
--- no_error_log
[alert]
[crit]



=== TEST 24: user verification preferred, UV set: passes, $webauthn_user_verified 1
--- config
    location = /t {
        auth_webauthn "test";
        auth_webauthn_user_verification preferred;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
        proxy_set_header X-UV $webauthn_user_verified;
    }
    location = /echo { return 200 "uv=$http_x_uv\n"; }

--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', uv => 1)
--- response_body
uv=1
--- no_error_log
[alert]
[crit]



=== TEST 25: user verification discouraged, UV clear: passes, $webauthn_user_verified 0
--- config
    location = /t {
        auth_webauthn "test";
        auth_webauthn_user_verification discouraged;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
        proxy_set_header X-UV $webauthn_user_verified;
    }
    location = /echo { return 200 "uv=$http_x_uv\n"; }

--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', uv => 0)
--- response_body
uv=0
--- no_error_log
[alert]
[crit]



=== TEST 26: user verification discouraged, UV set: passes, $webauthn_user_verified 1
--- config
    location = /t {
        auth_webauthn "test";
        auth_webauthn_user_verification discouraged;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
        proxy_set_header X-UV $webauthn_user_verified;
    }
    location = /echo { return 200 "uv=$http_x_uv\n"; }

--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', uv => 1)
--- response_body
uv=1
--- no_error_log
[alert]
[crit]



=== TEST 27: user_handle_mismatch
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', user_handle => WebAuthnTest::user_handle('rs256'))
--- denied: user_handle_mismatch
--- no_error_log
[alert]
[crit]



=== TEST 28: algorithm_unsupported: the stored key is COSE RS1 (-65535)
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'rs1')
--- denied: algorithm_unsupported
--- no_error_log
[alert]
[crit]



=== TEST 29: signature_invalid
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', bad_signature => 1)
--- denied: signature_invalid
--- no_error_log
[alert]
[crit]



=== TEST 30: signature_invalid: RSA-PSS
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ps256', bad_signature => 1)
--- denied: signature_invalid
--- no_error_log
[alert]
[crit]



=== TEST 31: a counter of 5 passes
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'counted', counter => 5)
--- response_body eval
WebAuthnTest::echo_body('counted', count => 5)
--- no_error_log
[alert]
[crit]



=== TEST 32: sign_count_regressed: a lower counter
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'counted', counter => 3)
--- denied: sign_count_regressed
--- no_error_log
[alert]
[crit]



=== TEST 33: sign_count_regressed: a equal counter
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'counted', counter => 5)
--- denied: sign_count_regressed
--- no_error_log
[alert]
[crit]



=== TEST 34: sign_count_regressed: a zero counter
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'counted', no_counter => 1)
--- denied: sign_count_regressed
--- no_error_log
[alert]
[crit]



=== TEST 35: a higher counter passes again, the rejected ones did not move it
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'counted', counter => 6)
--- response_body eval
WebAuthnTest::echo_body('counted', count => 6)
--- no_error_log
[alert]
[crit]



=== TEST 36: an authenticator without a counter (always 0) passes again and again
--- request eval
["GET /t", "GET /t"]
--- more_headers eval
[WebAuthnTest::authz(key => 'zero', no_counter => 1), WebAuthnTest::authz(key => 'zero', no_counter => 1)]
--- response_body eval
[WebAuthnTest::echo_body('zero', count => 0), WebAuthnTest::echo_body('zero', count => 0)]
--- no_error_log
[alert]
[crit]



=== TEST 37: Authorization last of several headers: removed, the others reach the upstream
--- config
    location = /t {
        auth_webauthn "test";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location = /echo {
        return 200 "a=$http_x_a b=$http_x_b authorization=[$http_authorization]\n";
    }
--- more_headers eval
"X-A: 1\nX-B: 2\n" . WebAuthnTest::authz(key => 'es256')
--- request
GET /t
--- response_body
a=1 b=2 authorization=[]
--- no_error_log
[alert]
[crit]



=== TEST 38: Authorization between other headers: removed, the others reach the upstream
--- config
    location = /t {
        auth_webauthn "test";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location = /echo {
        return 200 "a=$http_x_a b=$http_x_b authorization=[$http_authorization]\n";
    }
--- more_headers eval
"X-A: 1\n" . WebAuthnTest::authz(key => 'es256') . "\nX-B: 2"
--- request
GET /t
--- response_body
a=1 b=2 authorization=[]
--- no_error_log
[alert]
[crit]



=== TEST 39: Authorization as the very first header line: removed, the others reach the upstream
--- config
    location = /t {
        auth_webauthn "test";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location = /echo {
        return 200 "a=$http_x_a host=$http_host authorization=[$http_authorization]\n";
    }
--- raw_request eval
"GET /t HTTP/1.0\r\n" . WebAuthnTest::authz(key => 'es256')
. "\r\nHost: localhost\r\nX-A: 1\r\n\r\n"
--- response_body
a=1 host=127.0.0.1:$TEST_NGINX_SERVER_PORT authorization=[]
--- no_error_log
[alert]
[crit]



=== TEST 40: Authorization among 30 headers (a list of two parts): last of the first part, first and middle of the second
--- config
    location = /t {
        auth_webauthn "test";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location = /echo {
        return 200 "h1=$http_x_h1 h19=$http_x_h19 h20=$http_x_h20 h29=$http_x_h29 authorization=[$http_authorization]\n";
    }
--- more_headers eval
[
    CORE::join("\n", (map { "X-H$_: $_" } 1 .. 17), WebAuthnTest::authz(key => 'es256'),
         map { "X-H$_: $_" } 18 .. 29),
    CORE::join("\n", (map { "X-H$_: $_" } 1 .. 18), WebAuthnTest::authz(key => 'es256'),
         map { "X-H$_: $_" } 19 .. 29),
    CORE::join("\n", (map { "X-H$_: $_" } 1 .. 22), WebAuthnTest::authz(key => 'es256'),
         map { "X-H$_: $_" } 23 .. 29),
]
--- request eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["h1=1 h19=19 h20=20 h29=29 authorization=[]\n",
 "h1=1 h19=19 h20=20 h29=29 authorization=[]\n",
 "h1=1 h19=19 h20=20 h29=29 authorization=[]\n"]
--- no_error_log
[alert]
[crit]
