# vi:filetype=perl

# Code shape: behaviour kept through the restructuring, with the tests
# that were missing: a key cache hit sends no HMGET, the stale-key retry,
# the NOSCRIPT retry, one error line per Redis fault, a quiet success, the
# Authorization header's separator (RFC 9110, 11.4: SP only), and the
# per-worker parsed key cache without webauthn_key_cache.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5);
add_block_preprocessor(\&WebAuthnTest::preprocess);

WebAuthnTest::enroll('hit', alg => 'es256', user => 'hana', roles => 'h');
WebAuthnTest::enroll('miss', alg => 'es256', user => 'mia', roles => 'm');
WebAuthnTest::enroll('stale', alg => 'es256', user => 'sam', roles => 's');
WebAuthnTest::enroll('ns', alg => 'es256', user => 'nora', roles => 'n');
WebAuthnTest::enroll('quiet', alg => 'eddsa', user => 'quinn', roles => 'q');
WebAuthnTest::enroll('tab', alg => 'es256', user => 'tabitha', roles => 't');
WebAuthnTest::enroll('parsed', alg => 'es256', user => 'pia', roles => 'p');

$ENV{TEST_NGINX_REDIS_FAULT_PORT} = WebAuthnTest::start_redis('fault');
WebAuthnTest::enroll('fault', alg => 'es256', redis => 'fault',
                     user => 'fay', roles => 'f');

our $CacheHttpConfig = $WebAuthnTest::HttpConfig . <<'_EOC_';
    webauthn_key_cache zone=wk:1m valid=10m;
_EOC_

our $FaultHttpConfig = <<'_EOC_';
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_FAULT_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
_EOC_

run_tests();

__DATA__

=== TEST 1: a key cache hit: logged at debug, and no HMGET is sent (a miss sends one)
--- http_config eval: $::CacheHttpConfig
--- log_level: debug
--- init
my $lines = WebAuthnTest::monitor_redis('main', sub {
    my $r = WebAuthnTest::http_request('GET', '/t',
        WebAuthnTest::authz(key => 'hit', counter => 1));
    Test::More::is($r->{status}, 200, 'the first request passes (a miss)');
});
Test::More::is(scalar(WebAuthnTest::client_commands($lines, 'HMGET')), 1,
               'a miss sends one HMGET');
$lines = WebAuthnTest::monitor_redis('main', sub {
    my $r = WebAuthnTest::http_request('GET', '/t',
        WebAuthnTest::authz(key => 'hit', counter => 2));
    Test::More::is($r->{status}, 200, 'the second request passes (a hit)');
});
Test::More::is(scalar(WebAuthnTest::client_commands($lines, 'HMGET')), 0,
               'a hit sends no HMGET')
    or Test::More::diag(join "\n", @$lines);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'hit', counter => 3)
--- response_body eval
WebAuthnTest::echo_body('hit', count => 3)
--- error_log
webauthn key cache hit
--- no_error_log
[alert]
[crit]
[error]



=== TEST 2: without the key cache there is no hit (the debug line above can fail)
--- log_level: debug
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'miss', counter => 1)
--- response_body eval
WebAuthnTest::echo_body('miss', count => 1)
--- no_error_log
webauthn key cache hit
[alert]
[crit]
[error]



=== TEST 3: the stale-key retry: a credential re-enrolled with a new key under the same id passes with the new key, not the old
--- http_config eval: $::CacheHttpConfig
--- init
my $r = WebAuthnTest::http_request('GET', '/t',
    WebAuthnTest::authz(key => 'stale', counter => 1));
Test::More::is($r->{status}, 200, 'the old key passes and is cached');
WebAuthnTest::enroll('stale_new', alg => 'es256', user => 'sam', roles => 's',
                     credential_id => WebAuthnTest::cred_id('stale'),
                     user_handle => WebAuthnTest::user_handle('stale'));
Test::More::is(WebAuthnTest::cred_id('stale_new'), WebAuthnTest::cred_id('stale'),
               're-enrolled under the same credential id');
$r = WebAuthnTest::http_request('GET', '/t',
    WebAuthnTest::authz(key => 'stale_new', counter => 1));
Test::More::is($r->{status}, 200,
               'the new key passes: the cached key failed, the key was looked up again');
$r = WebAuthnTest::http_request('GET', '/t',
    WebAuthnTest::authz(key => 'stale', counter => 2));
Test::More::like($r->{body} // '', qr/"code"\s*:\s*"signature_invalid"/,
                 'the old key is refused: signature_invalid');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'stale', counter => 100)
--- denied: signature_invalid
--- no_error_log
[alert]
[crit]



=== TEST 4: the NOSCRIPT retry: after SCRIPT FLUSH an assertion passes and the script is sent again
--- init
my $r = WebAuthnTest::http_request('GET', '/t',
    WebAuthnTest::authz(key => 'ns', counter => 1));
Test::More::is($r->{status}, 200, 'passes, the script is loaded');
WebAuthnTest::redis('SCRIPT', 'FLUSH');
WebAuthnTest::redis('CONFIG', 'RESETSTAT');
$r = WebAuthnTest::http_request('GET', '/t',
    WebAuthnTest::authz(key => 'ns', counter => 2));
Test::More::is($r->{status}, 200, 'passes after SCRIPT FLUSH');
my $s = WebAuthnTest::commandstats();
Test::More::ok(($s->{evalsha} // 0) >= 1, 'EVALSHA was tried (and got NOSCRIPT)');
Test::More::ok(($s->{eval} // 0) + ($s->{'script|load'} // 0) >= 1,
               'the script was sent again (EVAL or SCRIPT LOAD)')
    or Test::More::diag(join ' ', map { "$_=$s->{$_}" } sort keys %$s);
Test::More::is(WebAuthnTest::sign_count_stored('ns'), 2, 'the commit ran: the counter is 2');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ns', counter => 3)
--- response_body eval
WebAuthnTest::echo_body('ns', count => 3)
--- no_error_log
[alert]
[crit]
[error]



=== TEST 5: a Redis fault is logged once: one [error] line for the request
--- http_config eval: $::FaultHttpConfig
--- init
WebAuthnTest::stop_redis('fault');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'fault')
--- denied: store_unavailable
--- grep_error_log eval: qr/\[error\]/
--- grep_error_log_out
[error]
--- no_error_log
[alert]
[crit]



=== TEST 6: a success writes nothing to the error log at info (the audit trail is the access log's)
--- log_level: info
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'quiet')
--- response_body eval
WebAuthnTest::echo_body('quiet')
--- no_error_log
webauthn:
access granted
[error]
[alert]
[crit]



=== TEST 7: Authorization with HTAB between the scheme and the token: credential_malformed
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'tab', separator => "\t", counter => 1)
--- denied: credential_malformed
--- no_error_log
[alert]
[crit]



=== TEST 8: Authorization with two spaces between the scheme and the token: passes
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'tab', separator => '  ', counter => 2)
--- response_body eval
WebAuthnTest::echo_body('tab', count => 2)
--- no_error_log
[alert]
[crit]



=== TEST 9: without webauthn_key_cache the record is fetched every time, but a key seen before is not parsed again
--- log_level: debug
--- init
my $lines = WebAuthnTest::monitor_redis('main', sub {
    my $r = WebAuthnTest::http_request('GET', '/t',
        WebAuthnTest::authz(key => 'parsed', counter => 1));
    Test::More::is($r->{status}, 200, 'the first request passes');
});
Test::More::is(scalar(WebAuthnTest::client_commands($lines, 'HMGET')), 1,
               'the first request fetches the record');
$lines = WebAuthnTest::monitor_redis('main', sub {
    my $r = WebAuthnTest::http_request('GET', '/t',
        WebAuthnTest::authz(key => 'parsed', counter => 2));
    Test::More::is($r->{status}, 200, 'the second request passes');
});
Test::More::is(scalar(WebAuthnTest::client_commands($lines, 'HMGET')), 1,
               'the second request fetches the record too (no shared cache)')
    or Test::More::diag(join "\n", @$lines);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'parsed', counter => 3)
--- response_body eval
WebAuthnTest::echo_body('parsed', count => 3)
--- grep_error_log eval
qr/webauthn (?:parsed )?key cache (?:hit|miss)\b/
--- grep_error_log_out
webauthn parsed key cache miss
webauthn parsed key cache hit
webauthn parsed key cache hit
--- no_error_log
[alert]
[crit]
[error]
