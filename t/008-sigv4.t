# vi:filetype=perl

# SigV4 re-signing (issue 8): a request that passes WebAuthn goes upstream
# signed for execute-api, and the stand-in API Gateway
# (t/lib/aws_standins.py) recomputes the signature of exactly what it
# received with botocore and answers 403 on a mismatch, 200 with an echo of
# what it got on a match.  Base credentials from the environment
# (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): awkward
# queries and paths, bodies from empty to a temporary file, proxy_pass with
# and without a URI part, after a rewrite and with $request_uri, both VPC
# endpoint Host variants, a session token, and the client's own X-Amz-*
# headers, which never reach the upstream.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use AwsStandins;
use Digest::SHA ();
use JSON::PP ();

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 10);
AwsStandins::start_aws_standins();
add_block_preprocessor(\&AwsStandins::preprocess);

WebAuthnTest::enroll('sig', alg => 'es256', user => 'sigrid',
                     roles => 'reader');

our $Api = 'abc123.execute-api.us-east-1.amazonaws.com';
our $Vpce = 'vpce-0abc-def.execute-api.us-east-1.vpce.amazonaws.com';

# GET /api/q?... : every one passes, the upstream sees it unchanged
our @Queries = (
    'a=1&b=2',
    'b=2&a=1',
    'k=v2&k=v1',
    'k=v1&k=v2',
    'r=%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D%20',
    q{raw=a:b@c!d$e'f(g)h*i,j;k/l?m=n},
    'p=a+b',
    'p=a%2Bb',
    'p=a%2bb&q=+&r=%2B',
    'e=&f=',
    'flag',
    'flag&x=1&y',
    'x=1&flag&flag=',
    'sp=a%20b&t=%7E~',
    'u=%C3%BC%E2%82%AC&%E2%82%AC=1',
    "raw8=Zo\xc3\xab",
    'Z=1&a=1&_=1&-=1&.=1&~=1',
    'a=%7e&A=1&a=%7E',
    'long=' . ('x' x 2000),
);

# GET PATH : every one passes; the upstream sees it as the client sent it
our @Paths = (
    '/api/a%20b',
    '/api/a%2Fb/c',
    '/api/a%252Fb',
    '/api//double//slash',
    '/api/./dot/x/../seg',
    '/api/trailing/',
    '/api/%C3%BC%E2%82%AC',
    '/api/Zo%C3%AB%20O%27Brien',
    "/api/raw/Zo\xc3\xab",
    '/api/sub=delims;p,a!r$t(s)*+@:',
    '/api/~tilde-_.x',
    '/api/%7Etilde',
    '/api/%2e/encoded-dot',
);

# a body of N printable bytes (the harness trims white space at its ends)
sub body_of {
    my ($n) = @_;
    my $s = '';
    my $i = 0;
    $s .= sprintf('chunk%06d|', $i++) while length($s) < $n;
    return substr($s, 0, $n);
}

# a JSON string as the stand-in writes it (ASCII, \u escapes)
sub jstr {
    return JSON::PP->new->ascii->allow_nonref->encode(shift);
}

# the regex of a signed request's echo: target, access key (default the
# base one), method, body (its length and SHA-256), headers received
# ([name, value], name in any case), signed header names, identity type
sub echo_re {
    my (%o) = @_;
    my $re = '^\{';
    $re .= '(?=.*"access_key_id":"' . quotemeta($o{key} // 'AKIDEXAMPLE')
           . '")';
    $re .= '(?=.*"target":' . quotemeta(jstr($o{target})) . ')'
        if defined $o{target};
    $re .= '(?=.*"method":"' . $o{method} . '")' if $o{method};
    $re .= sprintf('(?=.*"body_length":%d,"body_sha256":"%s")',
                   length $o{body}, Digest::SHA::sha256_hex($o{body}))
        if defined $o{body};
    for my $h (@{ $o{headers} || [] }) {
        $re .= '(?=.*\["(?i:' . quotemeta($h->[0]) . ')",'
               . quotemeta(jstr($h->[1])) . '\])';
    }
    for my $h (@{ $o{signed} || [] }) {
        $re .= '(?=.*"signed_headers":"(?:[^"]*;)?' . quotemeta($h)
               . '(?:;[^"]*)?")';
    }
    $re .= '(?=.*"identity":\{[^{}]*"type":"' . ($o{identity} // 'base')
           . '")';
    $re .= $o{extra} // '';
    return $re . '.*\}\s*$';
}

# the config of a signing location; options: host (webauthn_aws_host),
# pass (what follows "proxy_pass http://127.0.0.1:PORT"), extra (lines)
sub api_config {
    my (%o) = @_;
    my $host = $o{host} ? "webauthn_aws_host $o{host};" : '';
    my $pass = $o{pass} // '';
    my $extra = $o{extra} // '';
    my $c = <<'_EOC_';
    location /api/ {
        auth_webauthn "api";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        @HOST@
        proxy_set_header X-User $webauthn_user;
        add_header X-Aws-Key $webauthn_aws_access_key always;
        add_header X-Aws-Role $webauthn_aws_role always;
        @EXTRA@
        proxy_pass http://127.0.0.1:$TEST_NGINX_APIGW_PORT@PASS@;
    }
    location = /webauthn/challenge {
        webauthn_challenge;
    }
_EOC_
    $c =~ s/\@HOST\@/$host/;
    $c =~ s/\@EXTRA\@/$extra/;
    $c =~ s/\@PASS\@/$pass/;
    return $c . $AwsStandins::StatsLocations;
}

sub authz {
    return WebAuthnTest::authz(key => 'sig');
}

run_tests();

__DATA__

=== TEST 1: a passing GET goes upstream signed with the base credentials of the environment, nginx's own Host and X-User signed
--- aws_source: env
--- config eval: main::api_config()
--- request
GET /api/hello
--- more_headers eval
main::authz()
--- response_body_like eval
main::echo_re(method => 'GET', target => '/api/hello', body => '',
    headers => [['host', "127.0.0.1:$ENV{TEST_NGINX_APIGW_PORT}"],
                ['x-user', 'sigrid']],
    signed => [qw(host x-amz-date x-user)],
    extra => '(?!.*"x-amz-security-token")'
             . '(?=.*\["(?i:authorization)","AWS4-HMAC-SHA256 '
             . 'Credential=AKIDEXAMPLE/\d{8}/us-east-1/execute-api/'
             . 'aws4_request, ?SignedHeaders=[^"]*, ?Signature=[0-9a-f]{64}"\])'
             . '(?!.*"x-amz-content-sha256")')
--- response_headers_like
X-Aws-Key: AKIDEXAMPLE
X-Aws-Role:
--- no_error_log
[alert]
[crit]
[error]



=== TEST 2: GET with awkward queries: reserved characters, +, %2B, repeated keys in both orders, empty values, keys without =, non-ASCII, raw UTF-8
--- aws_source: env
--- config eval: main::api_config()
--- request eval
[map { "GET /api/q?$_" } @::Queries]
--- more_headers eval
[map { main::authz() } @::Queries]
--- error_code eval
[map { 200 } @::Queries]
--- response_body_like eval
[map { main::echo_re(target => "/api/q?$_") } @::Queries]
--- no_error_log
[alert]
[crit]
[error]



=== TEST 3: GET with awkward paths: %20, %2F, %252F, //, . and .. segments, a trailing /, non-ASCII encoded and raw, sub-delims, ~
--- aws_source: env
--- config eval: main::api_config()
--- request eval
[map { "GET $_" } @::Paths]
--- more_headers eval
[map { main::authz() } @::Paths]
--- error_code eval
[map { 200 } @::Paths]
--- response_body_like eval
[map { main::echo_re(target => $_) } @::Paths]
--- no_error_log
[alert]
[crit]
[error]



=== TEST 4: POST and PUT bodies in memory: empty, small JSON (Content-Type signed), 3 KB
--- aws_source: env
--- config eval
main::api_config(extra => 'client_body_buffer_size 4k;')
--- request eval
["POST /api/empty\n",
 "POST /api/json\n" . '{"hello":"world"}',
 "PUT /api/small\n" . main::body_of(3000)]
--- more_headers eval
[main::authz() . "\nContent-Length: 0",
 main::authz() . "\nContent-Type: application/json; charset=utf-8",
 main::authz() . "\nContent-Type: application/octet-stream"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[main::echo_re(method => 'POST', target => '/api/empty', body => ''),
 main::echo_re(method => 'POST', target => '/api/json',
               body => '{"hello":"world"}', signed => ['content-type'],
               headers => [['content-type',
                            'application/json; charset=utf-8']]),
 main::echo_re(method => 'PUT', target => '/api/small',
               body => main::body_of(3000), signed => ['content-type'])]
--- no_error_log
[alert]
[crit]
[error]



=== TEST 5: a PUT of 1 MB, buffered to nginx's temporary file (client_body_buffer_size 4k), is hashed from the file and signed
--- aws_source: env
--- config eval
main::api_config(extra => 'client_body_buffer_size 4k;')
--- request eval
"PUT /api/large\n" . main::body_of(1 << 20)
--- more_headers eval
main::authz() . "\nContent-Type: application/octet-stream"
--- response_body_like eval
main::echo_re(method => 'PUT', target => '/api/large',
              body => main::body_of(1 << 20), signed => ['content-type'])
--- error_log
a client request body is buffered to a temporary file
--- no_error_log
[alert]
[crit]
[error]



=== TEST 6: proxy_request_buffering off: a signing location still reads the whole body first and signs it
--- aws_source: env
--- config eval
main::api_config(extra => "client_body_buffer_size 8k;\n"
                           . "        proxy_request_buffering off;")
--- request eval
"PUT /api/unbuffered\n" . main::body_of(300_000)
--- more_headers eval
main::authz()
--- response_body_like eval
main::echo_re(method => 'PUT', target => '/api/unbuffered',
              body => main::body_of(300_000))
--- no_error_log
[alert]
[crit]
[error]



=== TEST 7: proxy_pass with a URI part: the upstream's target (the prefix replaced, the URI escaped again by nginx) is what is signed
--- aws_source: env
--- config eval
main::api_config(pass => '/prod/')
--- request eval
["GET /api/items/a%20b?x=1&y&z=a+b",
 "GET /api/items/%C3%BC/x%2Fy",
 "GET /api/a//b/./c"]
--- more_headers eval
[main::authz(), main::authz(), main::authz()]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[main::echo_re(target => '/prod/items/a%20b?x=1&y&z=a+b'),
 main::echo_re(target => '/prod/items/%C3%BC/x/y'),
 main::echo_re(target => '/prod/a/b/c')]
--- no_error_log
[alert]
[crit]
[error]



=== TEST 8: after a rewrite ... break, the rewritten target is signed
--- aws_source: env
--- config eval
main::api_config(extra => 'rewrite ^/api/(.*)$ /v1/$1 break;')
--- request eval
["GET /api/things?z=1&a=%2B", "GET /api/things%20here"]
--- more_headers eval
[main::authz(), main::authz()]
--- error_code eval
[200, 200]
--- response_body_like eval
[main::echo_re(target => '/v1/things?z=1&a=%2B'),
 main::echo_re(target => '/v1/things%20here')]
--- no_error_log
[alert]
[crit]
[error]



=== TEST 9: proxy_pass with $request_uri: the target built from variables is signed
--- aws_source: env
--- config eval
main::api_config(pass => '/stage$request_uri')
--- request
GET /api/x%2Fy/./z?q=1&q=0
--- more_headers eval
main::authz()
--- response_body_like eval
main::echo_re(target => '/stage/api/x%2Fy/./z?q=1&q=0')
--- no_error_log
[alert]
[crit]
[error]



=== TEST 10: VPC endpoint, the API's own name as Host: webauthn_aws_host is sent and signed
--- aws_source: env
--- config eval
main::api_config(host => $::Api)
--- request
GET /api/own-name
--- more_headers eval
main::authz()
--- response_body_like eval
main::echo_re(target => '/api/own-name', headers => [['host', $::Api]],
              signed => ['host'],
              extra => '(?!.*\["(?i:host)","127\.0\.0\.1)')
--- no_error_log
[alert]
[crit]
[error]



=== TEST 11: VPC endpoint, the endpoint's name as Host with proxy_set_header x-apigw-api-id: both sent and signed
--- aws_source: env
--- config eval
main::api_config(host => $::Vpce,
                 extra => 'proxy_set_header x-apigw-api-id abc123;')
--- request
GET /api/endpoint-name?stage=prod
--- more_headers eval
main::authz()
--- response_body_like eval
main::echo_re(target => '/api/endpoint-name?stage=prod',
              headers => [['host', $::Vpce], ['x-apigw-api-id', 'abc123']],
              signed => ['host', 'x-apigw-api-id'])
--- no_error_log
[alert]
[crit]
[error]



=== TEST 12: a session token from AWS_SESSION_TOKEN is sent as X-Amz-Security-Token and signed
--- aws_source: session
--- config eval: main::api_config(host => $::Api)
--- request
POST /api/with-token
{"a":1}
--- more_headers eval
main::authz() . "\nContent-Type: application/json"
--- response_body_like eval
main::echo_re(key => $ENV{TEST_NGINX_AWS_SESSION_ACCESS_KEY_ID},
              target => '/api/with-token', body => '{"a":1}',
              headers => [['x-amz-security-token',
                           $ENV{TEST_NGINX_AWS_SESSION_TOKEN}]],
              signed => ['x-amz-security-token', 'content-type'])
--- response_headers_like eval
"X-Aws-Key: $ENV{TEST_NGINX_AWS_SESSION_ACCESS_KEY_ID}\n"
--- no_error_log
[alert]
[crit]
[error]



=== TEST 13: the client's own X-Amz-* headers and its Authorization never reach the upstream; only the module's signed ones do
--- aws_source: env
--- config eval: main::api_config(host => $::Api)
--- request
GET /api/client-headers
--- more_headers eval
main::authz() . "\n" . CORE::join "\n",
    'X-Amz-Date: 20000101T000000Z',
    'X-Amz-Security-Token: forged-token',
    'X-Amz-Target: DynamoDB_20120810.DeleteTable',
    'X-Amz-Content-Sha256: UNSIGNED-PAYLOAD',
    'x-amz-meta-evil: 1',
    'X-AMZ-USER-AGENT: forged-agent'
--- response_body_like eval
main::echo_re(target => '/api/client-headers', signed => ['x-amz-date'],
    extra => '(?!.*forged)(?!.*20000101T)(?!.*DynamoDB)'
             . '(?!.*UNSIGNED-PAYLOAD)(?!.*(?i:x-amz-meta-evil))'
             . '(?!.*(?i:x-amz-content-sha256))'
             . '(?!.*(?i:x-amz-security-token))'
             . '(?!.*WebAuthn )'
             . '(?!.*\["(?i:authorization)","(?!AWS4-HMAC-SHA256 ))')
--- no_error_log
[alert]
[crit]
[error]



=== TEST 14: a refused assertion (no Authorization) is 401 and nothing reaches the upstream
--- aws_source: env
--- config eval: main::api_config()
--- init
AwsStandins::aws_reset('apigw');
--- request eval
["GET /api/refused", "GET /__stats/apigw"]
--- more_headers eval
['', '']
--- error_code eval
[401, 200]
--- response_body_like eval
['"code"\s*:\s*"credential_missing"', '"calls":\{\}']
--- no_error_log
[alert]
[crit]
[error]



=== TEST 15: an internal redirect from a location that does not sign into one that does: its AWS steps run there, the request goes up signed
--- aws_source: env
--- config eval
'    location /plain/ {
        auth_webauthn "api";
        try_files /nonexistent-file @signed;
    }
    location @signed {
        auth_webauthn "api";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        add_header X-Aws-Key $webauthn_aws_access_key always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_APIGW_PORT;
    }
' . $AwsStandins::StatsLocations
--- request
GET /plain/redirected
--- more_headers eval
main::authz()
--- response_headers
X-Aws-Key: AKIDEXAMPLE
--- response_body_like chomp
"access_key_id":"AKIDEXAMPLE".*"target":"/plain/redirected"
--- no_error_log
[alert]
[crit]
[error]
