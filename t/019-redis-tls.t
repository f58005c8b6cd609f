# vi:filetype=perl

# TLS to Redis (webauthn_redis ... tls): Debian's redis-server with
# --tls-port and certificates made here (t/lib/RedisServers.pm): verified
# against tls_trusted_certificate=, the address or tls_name= checked, a
# wrong CA or name refused with the reason logged, a client certificate
# when Redis requires one, the handshake bounded by connect_timeout, and
# TLS sessions resumed by new connections of the pool.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use RedisServers;

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5);
add_block_preprocessor(\&WebAuthnTest::preprocess);

our $Certs = RedisServers::certs();

$ENV{TEST_NGINX_REDIS_CA} = $Certs->{ca};
$ENV{TEST_NGINX_REDIS_WRONG_CA} = $Certs->{wrong_ca};
$ENV{TEST_NGINX_REDIS_CLIENT_CERT} = $Certs->{client_cert};
$ENV{TEST_NGINX_REDIS_CLIENT_KEY} = $Certs->{client_key};

# one Redis with TLS, one that requires a client certificate; both also
# listen in plain TCP on 127.0.0.1 for the test's own commands
$ENV{TEST_NGINX_REDIS_TLS_PORT} = WebAuthnTest::free_port();
RedisServers::start('tls', certs => $Certs,
                    tls_port => $ENV{TEST_NGINX_REDIS_TLS_PORT});
$ENV{TEST_NGINX_REDIS_MTLS_PORT} = WebAuthnTest::free_port();
RedisServers::start('mtls', certs => $Certs, tls_auth_clients => 'yes',
                    tls_port => $ENV{TEST_NGINX_REDIS_MTLS_PORT});
RedisServers::copy_keys('main', 'tls');
RedisServers::copy_keys('main', 'mtls');

$ENV{TEST_NGINX_FAKE_SILENT_PORT} = WebAuthnTest::fake_redis('silent');

# commits that passed on a Redis: each records one used nonce
sub commits {
    my ($name) = @_;
    return $name eq 'main' ? WebAuthnTest::redis('DBSIZE')
                           : RedisServers::dbsize($name);
}

our %Before;

run_tests();

__DATA__

=== TEST 1: TLS to an address, the test CA trusted: passes, the commit ran on the TLS Redis, one connection for both requests
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_TLS_PORT tls tls_trusted_certificate=$TEST_NGINX_REDIS_CA;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- init
$main::Before{tls} = main::commits('tls');
$main::Before{main} = main::commits('main');
$main::Before{conns} = RedisServers::connections('tls');
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'es384'));
Test::More::is($r->{status}, 200, 'a first request over TLS passes');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[error]
[alert]
[crit]



=== TEST 2: (both commits ran on the TLS Redis, on one kept connection) tls_name= names the certificate: SNI and the DNS name checked, passes
--- init
Test::More::is(main::commits('tls') - $main::Before{tls}, 2, 'two commits on the TLS Redis');
Test::More::is(main::commits('main') - $main::Before{main}, 0, 'none on the plain one');
Test::More::is(RedisServers::connections('tls') - $main::Before{conns}, 1, 'one TLS connection for two requests (kept alive)');
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_TLS_PORT tls tls_trusted_certificate=$TEST_NGINX_REDIS_CA tls_name=redis.test;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[error]
[alert]
[crit]



=== TEST 3: a CA that did not sign the certificate: 503 store_unavailable, the verify error logged
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_TLS_PORT tls tls_trusted_certificate=$TEST_NGINX_REDIS_WRONG_CA;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: .*redis TLS certificate verify failed: (?:self-signed certificate in certificate chain \(19\)|unable to get local issuer certificate \(20\))/]
--- no_error_log
[alert]
[crit]



=== TEST 4: the right CA, a tls_name= the certificate is not for: 503, the name logged
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_TLS_PORT tls tls_trusted_certificate=$TEST_NGINX_REDIS_CA tls_name=other.test;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: .*redis TLS certificate verify failed: the certificate is not for "other\.test"/]
--- no_error_log
[alert]
[crit]



=== TEST 5: tls_name= an address the certificate is not for (127.0.0.2, not in its subjectAltName): 503
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_TLS_PORT tls tls_trusted_certificate=$TEST_NGINX_REDIS_CA tls_name=127.0.0.2;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: .*redis TLS certificate verify failed: the certificate is not for "127\.0\.0\.2"/]
--- no_error_log
[alert]
[crit]



=== TEST 6: Redis requires a client certificate (tls-auth-clients yes), given: passes
--- init
$main::Before{mtls} = main::commits('mtls');
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_MTLS_PORT tls tls_trusted_certificate=$TEST_NGINX_REDIS_CA tls_certificate=$TEST_NGINX_REDIS_CLIENT_CERT tls_certificate_key=$TEST_NGINX_REDIS_CLIENT_KEY;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[error]
[alert]
[crit]



=== TEST 7: (the commit ran on that Redis) Redis requires a client certificate, none given: 503
--- init
Test::More::is(main::commits('mtls') - $main::Before{mtls}, 1, 'the commit ran on the Redis requiring a client certificate');
$main::Before{mtls} = main::commits('mtls');
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_MTLS_PORT tls tls_trusted_certificate=$TEST_NGINX_REDIS_CA;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- denied: store_unavailable
--- no_error_log
[alert]



=== TEST 8: (nothing was committed; in TLS 1.3 Redis refuses the missing certificate after the handshake, with an alert that nginx 1.22's SSL_read() logs at crit, or by closing the connection first) a client certificate again: passes
--- init
Test::More::is(main::commits('mtls') - $main::Before{mtls}, 0, 'nothing committed without a client certificate');
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_MTLS_PORT tls tls_trusted_certificate=$TEST_NGINX_REDIS_CA tls_certificate=$TEST_NGINX_REDIS_CLIENT_CERT tls_certificate_key=$TEST_NGINX_REDIS_CLIENT_KEY;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[error]
[alert]
[crit]



=== TEST 9: a server that accepts and never answers the handshake: 503 after connect_timeout
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_FAKE_SILENT_PORT tls tls_trusted_certificate=$TEST_NGINX_REDIS_CA connect_timeout=400ms timeout=400ms;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- init
my $t0 = Time::HiRes::time();
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'es384'));
my $dt = Time::HiRes::time() - $t0;
Test::More::is($r->{status}, 503, 'silent TLS server: 503');
Test::More::ok($dt >= 0.35 && $dt < ($ENV{TEST_NGINX_USE_VALGRIND} ? 20 : 3), "answered after the 400ms connect_timeout ($dt s)");
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: .*redis TLS handshake timed out/]
--- no_error_log
[alert]
[crit]



=== TEST 10: no keepalive and pipeline=1, so every command opens a connection: the first handshake is full, every later one resumes the saved session
--- log_level: debug
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_TLS_PORT tls tls_trusted_certificate=$TEST_NGINX_REDIS_CA keepalive=0 pipeline=1;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- init
$main::Before{conns} = RedisServers::connections('tls');
for my $k (qw(es384 rs256)) {
    my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $k));
    Test::More::is($r->{status}, 200, "$k passes without keepalive");
}
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- grep_error_log eval
qr/redis TLS handshake done, session \w+/
--- grep_error_log_out
redis TLS handshake done, session new
redis TLS handshake done, session reused
redis TLS handshake done, session reused
redis TLS handshake done, session reused
redis TLS handshake done, session reused
redis TLS handshake done, session reused
--- no_error_log
[error]
[alert]
[crit]



=== TEST 11: (six connections for three requests) tls_* without tls, or a certificate without its key: nginx -t refuses
--- init
Test::More::is(RedisServers::connections('tls') - $main::Before{conns}, 6, 'one connection per command');
my ($rc, $out) = WebAuthnTest::nginx_t("webauthn_redis 127.0.0.1:6379 tls_name=x;");
Test::More::isnt($rc, 0, 'tls_name without tls refused');
Test::More::like($out, qr/tls_\* parameters without "tls"/, 'the reason');
($rc, $out) = WebAuthnTest::nginx_t("webauthn_redis 127.0.0.1:6379 tls tls_certificate=$ENV{TEST_NGINX_REDIS_CLIENT_CERT};");
Test::More::isnt($rc, 0, 'a certificate without its key refused');
Test::More::like($out, qr/needs both tls_certificate= and tls_certificate_key=/, 'the reason');
($rc, $out) = WebAuthnTest::nginx_t("webauthn_redis 127.0.0.1:6379 tls tls_trusted_certificate=$ENV{TEST_NGINX_REDIS_CA} tls_name=redis.test;");
Test::More::is($rc, 0, 'a complete TLS configuration is taken') or Test::More::diag($out);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]



=== TEST 12: pipelined (the default) without keepalive: a request's two commands share one connection (the commit joins it before it is idle), a connection per request; the first handshake is full, every later one resumes the saved session
--- log_level: debug
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_TLS_PORT tls tls_trusted_certificate=$TEST_NGINX_REDIS_CA keepalive=0;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- init
$main::Before{conns} = RedisServers::connections('tls');
for my $k (qw(es384 rs256)) {
    my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $k));
    Test::More::is($r->{status}, 200, "$k passes, pipelined, without keepalive");
}
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- grep_error_log eval
qr/redis TLS handshake done, session \w+/
--- grep_error_log_out
redis TLS handshake done, session new
redis TLS handshake done, session reused
redis TLS handshake done, session reused
--- no_error_log
[error]
[alert]
[crit]



=== TEST 13: (three connections for three requests) pipelined with keepalive: the requests after the first reuse its connection
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_TLS_PORT tls tls_trusted_certificate=$TEST_NGINX_REDIS_CA;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- init
Test::More::is(RedisServers::connections('tls') - $main::Before{conns}, 3, 'one connection per request, pipelined');
$main::Before{conns} = RedisServers::connections('tls');
for my $k (qw(es384 rs256)) {
    my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $k));
    Test::More::is($r->{status}, 200, "$k passes, pipelined, kept alive");
}
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[error]
[alert]
[crit]



=== TEST 14: (one connection for three requests) the kept connection served them all
--- init
Test::More::is(RedisServers::connections('tls') - $main::Before{conns}, 1, 'one pipelined connection for three requests');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
