# vi:filetype=perl

# The module loads, the challenge endpoint, auth_webauthn off, a request
# without credentials, and configuration errors (with nginx -t).

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5);
add_block_preprocessor(\&WebAuthnTest::preprocess);

run_tests();

__DATA__

=== TEST 1: the challenge endpoint: members, an 87-character base64url challenge, no-store
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
--- config
    location = /webauthn/challenge { webauthn_challenge; }
--- request
GET /webauthn/challenge
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body_like chomp
^\{(?=.*"challenge":"@CHALLENGE@")(?=.*"rpId":"localhost")(?=.*"timeout":60000[,}])(?=.*"userVerification":"preferred").*\}$
--- no_error_log
[alert]
[crit]
[error]



=== TEST 2: under an inherited auth_webauthn the challenge endpoint still answers, the rest is protected
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    auth_webauthn "everything";
--- config
    location = /webauthn/challenge { webauthn_challenge; }
    location = /other { empty_gif; }
--- request eval
["GET /webauthn/challenge", "GET /other"]
--- error_code eval
[200, 401]
--- response_body_like eval
["^\\{\"challenge\":\"$WebAuthnTest::ChallengeRe\"", '"code":"credential_missing"']
--- no_error_log
[alert]
[crit]



=== TEST 3: POST works too and carries the location's policy
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
--- config
    location = /webauthn/challenge {
        webauthn_challenge_timeout 2m;
        auth_webauthn_user_verification required;
        webauthn_challenge;
    }
--- request
POST /webauthn/challenge
{}
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body_like chomp
^\{(?=.*"challenge":"@CHALLENGE@")(?=.*"timeout":120000[,}])(?=.*"userVerification":"required").*\}$
--- no_error_log
[alert]
[crit]



=== TEST 4: other methods get 405
--- config
    location = /webauthn/challenge { webauthn_challenge; }
--- request eval
["PUT /webauthn/challenge\nx", "DELETE /webauthn/challenge"]
--- error_code eval
[405, 405]
--- no_error_log
[alert]
[crit]



=== TEST 5: challenges are sealed as README says (version 2: issued, expires, nonce, MAC), and two differ
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
--- config
    location = /webauthn/challenge { webauthn_challenge; }
--- init
my $t0 = WebAuthnTest::now_ms();
my @c = map { WebAuthnTest::fetch_challenge() } 1 .. 2;
my $t1 = WebAuthnTest::now_ms();
Test::More::isnt($c[0], $c[1], 'two challenges differ');
Test::More::is(length $c[0], 87, 'a challenge is 87 base64url characters');
my $raw = WebAuthnTest::b64url_decode($c[0]);
Test::More::is(length $raw, 65, 'a challenge is 65 bytes');
Test::More::is(ord $raw, 2, 'version byte 0x02');
my $issued = WebAuthnTest::unpack_ms(substr $raw, 1, 8);
my $expires = WebAuthnTest::unpack_ms(substr $raw, 9, 8);
# nginx's cached time may lag the real one by a timer resolution
Test::More::ok($issued >= $t0 - 1000 && $issued <= $t1,
               "issued now ($t0 <= $issued <= $t1)");
Test::More::ok($expires - $issued >= 59_000 && $expires - $issued <= 60_000,
               'expires 60 s after it was issued (' . ($expires - $issued) . ' ms)');
my $mac = Digest::SHA::hmac_sha256(substr($raw, 0, 33) . 'localhost',
                                   $WebAuthnTest::Secret);
Test::More::is(WebAuthnTest::b64url(substr $raw, 33), WebAuthnTest::b64url($mac),
               'HMAC-SHA-256 with the secret file over version, issued, expires, nonce, rp_id');
my $other = WebAuthnTest::b64url_decode($c[1]);
Test::More::isnt(substr($raw, 17, 16), substr($other, 17, 16), 'the nonces differ');
--- request
GET /webauthn/challenge
--- response_body_like: "challenge":"@CHALLENGE@"
--- no_error_log
[alert]
[crit]



=== TEST 6: auth_webauthn off in a location of a protected server
--- config
    auth_webauthn "test";
    location = /t {
        auth_webauthn off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location = /echo {
        auth_webauthn off;
        return 200 "open authorization=[$http_authorization]\n";
    }
--- request
GET /t
--- response_body
open authorization=[]
--- no_error_log
webauthn:
[alert]
[crit]



=== TEST 7: no Authorization header: credential_missing
--- request
GET /t
--- denied: credential_missing
--- no_error_log
[alert]
[crit]



=== TEST 8: another scheme is not a WebAuthn credential
--- more_headers
Authorization: Basic dXNlcjpwYXNz
--- request
GET /t
--- denied: credential_missing
--- no_error_log
[alert]
[crit]



=== TEST 9: the realm may hold variables
--- config
    location = /t {
        set $zone "zone-$arg_z";
        auth_webauthn $zone;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
--- request
GET /t?z=7
--- error_code: 401
--- response_headers_like
WWW-Authenticate: WebAuthn realm="zone-7", challenge="@CHALLENGE@"
Content-Type: application/problem\+json
--- no_error_log
[alert]
[crit]



=== TEST 10: configuration errors are refused (nginx -t), each with its own message
--- init
my @bad = (
    'short secret' => "webauthn_redis 127.0.0.1:1;\n"
        . "webauthn_challenge_secret $WebAuthnTest::WorkDir/short.key;",
        qr/\[emerg\] .*must hold 32 to 4096 bytes/,
    'rp_id missing' => "webauthn_redis 127.0.0.1:1;\n"
        . "webauthn_origin http://localhost;\n"
        . "server { listen 127.0.0.1:1; location / { auth_webauthn x; } }",
        qr/\[emerg\] .*"webauthn_rp_id" is required where/,
    'origin missing' => "webauthn_redis 127.0.0.1:1;\n"
        . "webauthn_rp_id localhost;\n"
        . "server { listen 127.0.0.1:1; location / { auth_webauthn x; } }",
        qr/\[emerg\] .*"webauthn_origin" is required where/,
    'redis missing' => "webauthn_rp_id localhost;\n"
        . "webauthn_origin http://localhost;\n"
        . "server { listen 127.0.0.1:1; location / { auth_webauthn x; } }",
        qr/\[emerg\] .*"webauthn_redis" is required where/,
    'bad uv policy' => "auth_webauthn_user_verification sometimes;",
        qr/\[emerg\] .*invalid value "sometimes"/,
    'bad redis parameter' => "webauthn_redis 127.0.0.1:1 colour=blue;",
        qr/\[emerg\] .*invalid parameter "colour=blue"/,
    'bad origin' => "webauthn_origin localhost;",
        qr/\[emerg\] .*invalid origin "localhost"/,
    'key cache without a zone' => "webauthn_key_cache valid=5m;",
        qr/\[emerg\] .*"webauthn_key_cache" must have "zone" parameter/,
    'key cache zone without a size' => "webauthn_key_cache zone=k;",
        qr/\[emerg\] .*invalid zone size "zone=k"/,
    'signing without the credentials zone' => "webauthn_redis 127.0.0.1:1;\n"
        . "webauthn_rp_id localhost;\n"
        . "webauthn_origin http://localhost;\n"
        . "server { listen 127.0.0.1:1; location / { auth_webauthn x; "
        . "webauthn_aws_sign on; webauthn_aws_region eu-west-1; "
        . "proxy_pass http://127.0.0.1:2; } }",
        qr/\[emerg\] .*"webauthn_aws_credentials" is required where "webauthn_aws_sign" is on/,
    'signing without a region' => "webauthn_redis 127.0.0.1:1;\n"
        . "webauthn_rp_id localhost;\n"
        . "webauthn_origin http://localhost;\n"
        . "webauthn_aws_credentials zone=a:1m;\n"
        . "server { listen 127.0.0.1:1; location / { auth_webauthn x; "
        . "webauthn_aws_sign on; proxy_pass http://127.0.0.1:2; } }",
        qr/\[emerg\] .*"webauthn_aws_region" is required where "webauthn_aws_sign" is on/,
    'signing without auth_webauthn' => "webauthn_redis 127.0.0.1:1;\n"
        . "webauthn_rp_id localhost;\n"
        . "webauthn_origin http://localhost;\n"
        . "webauthn_aws_credentials zone=a:1m;\n"
        . "server { listen 127.0.0.1:1; location / { "
        . "webauthn_aws_sign on; webauthn_aws_region eu-west-1; "
        . "proxy_pass http://127.0.0.1:2; } }",
        qr/\[emerg\] .*"webauthn_aws_sign" needs "auth_webauthn"/,
    'a role ARN that is not one' => "webauthn_aws_role reader arn:aws:s3:::bucket;",
        qr/\[emerg\] .*invalid role ARN "arn:aws:s3:::bucket"/,
    'a role name outside the role set' => "webauthn_aws_role \"a b\" arn:aws:iam::1:role/R;",
        qr/\[emerg\] .*invalid role "a b"/,
    'a role duration over 12h' => "webauthn_aws_role_duration 13h;",
        qr/\[emerg\] .*"webauthn_aws_role_duration" directive must be 15m to 12h/,
    'a credentials zone without a zone' => "webauthn_aws_credentials timeout=2s;",
        qr/\[emerg\] .*"webauthn_aws_credentials" must have "zone" parameter/,
    'trusted attestation without anchors' => "webauthn_redis 127.0.0.1:1;\n"
        . "webauthn_rp_id localhost;\n"
        . "webauthn_origin http://localhost;\n"
        . "webauthn_attestation trusted;\n"
        . "server { listen 127.0.0.1:1; location / { webauthn_register; } }",
        qr/\[emerg\] .*"webauthn_attestation trusted" needs "webauthn_trust_anchors" or "webauthn_mds"/,
    'a bad attestation policy' => "webauthn_attestation some;",
        qr/\[emerg\] .*invalid value "some"/,
    'anchors that are no PEM' => "webauthn_trust_anchors $WebAuthnTest::WorkDir/short.key;",
        qr/\[emerg\] .*webauthn_trust_anchors ".*short.key": no certificate in the bundle/,
    'anchors that are not there' => "webauthn_trust_anchors $WebAuthnTest::WorkDir/none.pem;",
        qr/\[emerg\] .*open\(\) ".*none.pem" failed/,
    'an MDS BLOB without its root' => "webauthn_mds $WebAuthnTest::WorkDir/short.key x;",
        qr/\[emerg\] .*"webauthn_mds" needs "root=" with the FIDO Metadata Service root certificate, not "x"/,
    'an MDS BLOB that is none' => "webauthn_mds $WebAuthnTest::WorkDir/short.key root=$WebAuthnTest::WorkDir/short.key;",
        qr/\[emerg\] .*webauthn_mds ".*short.key": /,
    'a bad AAGUID' => "webauthn_aaguid_allow 1234;",
        qr/\[emerg\] .*invalid AAGUID "1234"/,
    'enrollment without an RP ID' => "webauthn_redis 127.0.0.1:1;\n"
        . "webauthn_origin http://localhost;\n"
        . "server { listen 127.0.0.1:1; location / { webauthn_register_options; } }",
        qr/\[emerg\] .*"webauthn_rp_id" is required where/,
    'admin without Redis' => "server { listen 127.0.0.1:1; location / { webauthn_admin; } }",
        qr/\[emerg\] .*"webauthn_redis" is required where "webauthn_admin" is used/,
);
open my $fh, '>', "$WebAuthnTest::WorkDir/short.key" or die;
print $fh 'x' x 31;
close $fh;
while (my ($what, $conf, $msg) = splice @bad, 0, 3) {
    my ($rc, $out) = WebAuthnTest::nginx_t($conf);
    Test::More::ok($rc != 0 && $out =~ $msg, "nginx -t refuses: $what")
        or Test::More::diag("expected $msg in:\n$out");
}
my ($rc, $out) = WebAuthnTest::nginx_t(
    "webauthn_redis 127.0.0.1:1 password=x db=2 connect_timeout=2s "
    . "timeout=2s keepalive=4 keepalive_timeout=10s prefix=p:;\n"
    . "webauthn_challenge_secret $WebAuthnTest::SecretFile;\n"
    . "webauthn_key_cache zone=wk:1m valid=5m;\n"
    . "webauthn_rp_id localhost;\n"
    . "webauthn_origin http://localhost https://localhost:8443;\n"
    . "webauthn_allow_cross_origin on;\n"
    . "webauthn_challenge_timeout 90s;\n"
    . "server { listen 127.0.0.1:1; location / { auth_webauthn x; "
    . "auth_webauthn_user_verification discouraged; "
    . "limit_except GET { auth_webauthn y; } } "
    . "location = /c { webauthn_challenge; } "
    . "location /api/ { auth_webauthn api; webauthn_aws_sign on; "
    . "webauthn_aws_region eu-west-1; webauthn_aws_service execute-api; "
    . "webauthn_aws_host abc.execute-api.eu-west-1.amazonaws.com; "
    . "webauthn_aws_role reader arn:aws:iam::111122223333:role/ApiReader; "
    . "webauthn_aws_role_duration 1h; "
    . "proxy_pass https://127.0.0.1:2\$request_uri; } }\n"
    . "webauthn_aws_credentials zone=aws:1m timeout=3s;\n"
    . "webauthn_aws_trusted_certificate /etc/ssl/certs/ca-certificates.crt;\n"
    . "webauthn_rp_name \"Example Corp\";\n"
    . "webauthn_attestation any;\n"
    . "webauthn_invitation_ttl 2d;\n"
    . "server { listen 127.0.0.1:3; auth_webauthn off; "
    . "location = /o { webauthn_register_options; } "
    . "location = /r { webauthn_register; } "
    . "location /admin/ { allow 127.0.0.1; deny all; webauthn_admin; } }");
Test::More::is($rc, 0, 'nginx -t accepts every directive and parameter')
    or Test::More::diag($out);
--- request
GET /webauthn/challenge
--- no_error_log
[alert]
[crit]
