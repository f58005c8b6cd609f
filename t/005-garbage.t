# vi:filetype=perl

# Garbage in every field of the Authorization header.  Each is answered
# with a clean 401 (4xx where nginx itself refuses the request), and
# nothing is logged at alert or crit, and no process dies on a signal.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5);
add_block_preprocessor(\&WebAuthnTest::preprocess);

# let big values reach the module (the last test but two is about nginx's
# own limit)
$WebAuthnTest::HttpConfig .= "    large_client_header_buffers 4 64k;\n";

run_tests();

__DATA__

=== TEST 1: the token is not base64url
--- request
GET /t
--- more_headers eval
"Authorization: WebAuthn \@\@\@"
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]
signal



=== TEST 2: the token is base64url of text, not JSON
--- request
GET /t
--- more_headers eval
WebAuthnTest::wa(WebAuthnTest::b64url("hello, world"))
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]
signal



=== TEST 3: the token is a JSON array
--- request
GET /t
--- more_headers eval
WebAuthnTest::wa(WebAuthnTest::b64url("[1,2,3]"))
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]
signal



=== TEST 4: the token is JSON null
--- request
GET /t
--- more_headers eval
WebAuthnTest::wa(WebAuthnTest::b64url("null"))
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]
signal



=== TEST 5: the token is an empty JSON object
--- request
GET /t
--- more_headers eval
WebAuthnTest::wa(WebAuthnTest::b64url("{}"))
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]
signal



=== TEST 6: JSON with trailing garbage
--- request
GET /t
--- more_headers eval
WebAuthnTest::wa(WebAuthnTest::b64url(WebAuthnTest::assertion_json() . "}}garbage"))
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]
signal



=== TEST 7: JSON truncated
--- request
GET /t
--- more_headers eval
WebAuthnTest::wa(WebAuthnTest::b64url(substr(WebAuthnTest::assertion_json(), 0, 100)))
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]
signal



=== TEST 8: JSON nested 5000 deep
--- request
GET /t
--- more_headers eval
WebAuthnTest::wa(WebAuthnTest::b64url("[" x 5000 . "]" x 5000))
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]
signal



=== TEST 9: a NUL byte in the JSON text
--- request
GET /t
--- more_headers eval
WebAuthnTest::wa(WebAuthnTest::b64url("{\"id\":\"a\0b\"}"))
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]
signal



=== TEST 10: an empty token
--- request
GET /t
--- more_headers eval
"Authorization: WebAuthn "
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 11: the scheme alone
--- request
GET /t
--- more_headers eval
"Authorization: WebAuthn"
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 12: id is a number
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{id} = 42; $_[0]{rawId} = 42 })
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]
signal



=== TEST 13: id is an empty string
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{id} = ""; $_[0]{rawId} = "" })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 14: id is 4000 characters
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{id} = $_[0]{rawId} = "A" x 4000 })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 15: id is not base64url
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{id} = $_[0]{rawId} = "%%%%" })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 16: id holds an escaped NUL
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{id} = $_[0]{rawId} = "AAAA\0AAAA" })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 17: id and rawId differ
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{rawId} = WebAuthnTest::cred_id("rs256") })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 18: type is not public-key
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{type} = "password" })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 19: response is missing
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { delete $_[0]{response} })
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]
signal



=== TEST 20: response is a string
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response} = "x" })
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]
signal



=== TEST 21: response is an array
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response} = [1] })
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]
signal



=== TEST 22: clientDataJSON is missing
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { delete $_[0]{response}{clientDataJSON} })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 23: clientDataJSON is a number
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{clientDataJSON} = 7 })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 24: clientDataJSON is empty
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{clientDataJSON} = "" })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 25: clientDataJSON is not base64url
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{clientDataJSON} = "***" })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 26: clientDataJSON is not JSON
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{clientDataJSON} = WebAuthnTest::b64url("<xml/>") })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 27: clientDataJSON without type
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle_cd(sub { delete $_[0]{type} })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 28: clientDataJSON challenge is a number
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle_cd(sub { $_[0]{challenge} = 12345 })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 29: clientDataJSON challenge is empty
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle_cd(sub { $_[0]{challenge} = "" })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 30: clientDataJSON challenge is 10000 characters
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle_cd(sub { $_[0]{challenge} = "A" x 10000 })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 31: clientDataJSON origin with a NUL byte
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle_cd(sub { $_[0]{origin} = "http://localhost\0.evil.example" })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 32: clientDataJSON origin is null
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle_cd(sub { $_[0]{origin} = undef })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 33: clientDataJSON crossOrigin is a string
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle_cd(sub { $_[0]{crossOrigin} = "false" })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 34: authenticatorData is missing
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { delete $_[0]{response}{authenticatorData} })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 35: authenticatorData is empty
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{authenticatorData} = "" })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 36: authenticatorData is truncated to 36 bytes
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{authenticatorData} = WebAuthnTest::b64url(substr(WebAuthnTest::b64url_decode($_[0]{response}{authenticatorData}), 0, 36)) })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 37: authenticatorData is 64 KB
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{authenticatorData} = WebAuthnTest::b64url("\x01" x 3000) })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 38: extensions flagged but absent
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', flags => '85')
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 39: extensions: CBOR garbage (signed)
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', extensions => 'ff00ff')
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 40: extensions: a CBOR length of 2^64-1
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', extensions => 'bbffffffffffffffff')
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 41: extensions: 1000 nested CBOR arrays
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', extensions => ('81' x 1000) . '00')
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 42: extensions: a map with a truncated value
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', extensions => 'a1636b6579')
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 43: extensions: trailing bytes after the map
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', extensions => 'a0a0a0')
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 44: attested credential data flagged but absent
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256', flags => '45')
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 45: signature is empty
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{signature} = "" })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 46: signature is not DER
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{signature} = WebAuthnTest::b64url("\x30\xff" . "\x00" x 70) })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 47: signature is 6000 bytes
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{signature} = WebAuthnTest::b64url("\x30" x 6000) })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 48: an RSA signature of the wrong length
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{signature} = WebAuthnTest::b64url("\x01" x 17) }, key => "rs256")
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 49: an EdDSA signature of the wrong length
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{signature} = WebAuthnTest::b64url("\x01" x 63) }, key => "eddsa")
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 50: userHandle is a number
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{userHandle} = 5 })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 51: userHandle is not base64url
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{userHandle} = "!!" })
--- error_code: 401
--- response_headers_like
Content-Type: application/problem\+json
WWW-Authenticate: WebAuthn realm="test", challenge="@CHALLENGE@"
--- response_body_like: "code"\s*:\s*"(?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch)"
--- error_log eval
[qr/\[info\] .*webauthn: (?:credential_malformed|credential_missing|credential_unknown|client_data_invalid|challenge_invalid|origin_not_allowed|rp_id_mismatch|user_not_present|signature_invalid|algorithm_unsupported|user_handle_mismatch): /]
--- no_error_log
[alert]
[crit]
signal



=== TEST 52: userHandle is empty: treated as absent (passes) or refused, no crash
--- request
GET /t
--- more_headers eval
WebAuthnTest::mangle(sub { $_[0]{response}{userHandle} = "" })
--- error_code_like: ^(?:200|401)$
--- no_error_log
[alert]
[crit]
signal



=== TEST 53: an Authorization header over the header buffers: 4xx from nginx, no crash
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
--- request
GET /t
--- more_headers eval
"Authorization: WebAuthn " . ("A" x 20000)
--- error_code_like: ^4\d\d$
--- no_error_log
[alert]
[crit]
signal



=== TEST 54: two Authorization headers: refused, no crash
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256') . "\n" . WebAuthnTest::authz(key => 'es384')
--- error_code_like: ^4\d\d$
--- no_error_log
[alert]
[crit]
signal



=== TEST 55: after all that, a good assertion still passes
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'eddsa')
--- response_body eval
WebAuthnTest::echo_body('eddsa')
--- no_error_log
[alert]
[crit]
signal
