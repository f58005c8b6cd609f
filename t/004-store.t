# vi:filetype=perl

# The Redis store: down, back, silent, answering garbage; AUTH and SELECT;
# a key prefix; revocation through the key cache; the record's fields the
# worker last read, carried by the commit.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5);
add_block_preprocessor(\&WebAuthnTest::preprocess);

$ENV{TEST_NGINX_FAKE_SILENT_PORT} = WebAuthnTest::fake_redis('silent');
$ENV{TEST_NGINX_FAKE_GARBAGE_PORT} = WebAuthnTest::fake_redis('garbage');
$ENV{TEST_NGINX_REDIS_AUTH_PORT} =
    WebAuthnTest::start_redis('auth', password => 'pw-secret');
WebAuthnTest::enroll('authkey', alg => 'es256', redis => 'auth', db => 3,
                     user => 'dora', roles => 'db3');
WebAuthnTest::enroll('prefixed', alg => 'es256', prefix => 'wa2:',
                     user => 'pia', roles => 'p');
WebAuthnTest::enroll('cached', alg => 'es256', user => 'kim', roles => 'k');
WebAuthnTest::enroll('cached2', alg => 'es256', user => 'kit', roles => 'k');
WebAuthnTest::enroll('hint', alg => 'es256', user => 'hana', roles => 'h1 h2');

# the arguments of a command as MONITOR prints it ("EVALSHA" "..." ...)
sub monitor_args {
    my ($line) = @_;
    my %esc = (n => "\n", r => "\r", t => "\t", a => "\a", b => "\b");
    $line =~ s/^.*?\] //;
    my @a;
    while ($line =~ /"((?:[^"\\]|\\.)*)"/g) {
        (my $v = $1) =~ s/\\(x[0-9a-fA-F]{2}|.)/
            length($1) == 3 ? chr(hex substr($1, 1)) : ($esc{$1} \/\/ $1)/ge;
        push @a, $v;
    }
    return @a;
}

our $Elapsed;

run_tests();

__DATA__

=== TEST 1: the store is up: passes
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[error]



=== TEST 2: Redis stopped: 503 store_unavailable, Retry-After, logged at error
--- init
WebAuthnTest::stop_redis('main');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- denied: store_unavailable
--- no_error_log
[alert]
[crit]



=== TEST 3: Redis back: passes again, without reloading nginx
--- init
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'es384'));
Test::More::is($r->{status}, 503, 'still down: 503');
Test::More::is($r->{headers}{'retry-after'}, '1', 'Retry-After: 1');
WebAuthnTest::start_redis('main');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: /]
--- no_error_log
[alert]
[crit]



=== TEST 4: Redis restarted under idle keepalive connections: passes
--- init
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'es384'));
Test::More::is($r->{status}, 200, 'passes before the restart');
WebAuthnTest::stop_redis('main');
WebAuthnTest::start_redis('main');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]



=== TEST 5: a Redis that accepts and never answers: 503 after the configured timeout
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_FAKE_SILENT_PORT connect_timeout=500ms timeout=500ms;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- init
my $t0 = Time::HiRes::time();
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'es384'));
my $dt = Time::HiRes::time() - $t0;
Test::More::is($r->{status}, 503, 'silent store: 503');
Test::More::ok($dt >= 0.45 && $dt < ($ENV{TEST_NGINX_USE_VALGRIND} ? 20 : 3),
               "answered after the 500ms timeout ($dt s)");
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- denied: store_unavailable
--- no_error_log
[alert]
[crit]



=== TEST 6: a Redis answering garbage: 503
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_FAKE_GARBAGE_PORT timeout=2s;
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
[crit]



=== TEST 7: AUTH with a password and database 3
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_AUTH_PORT password=pw-secret db=3;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'authkey')
--- response_body eval
WebAuthnTest::echo_body('authkey')
--- no_error_log
[alert]
[crit]
[error]



=== TEST 8: a wrong password is a store fault, and the password is not logged
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_AUTH_PORT password=wrong-pw db=3;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'authkey')
--- denied: store_unavailable
--- no_error_log
[alert]
[crit]
wrong-pw



=== TEST 9: database 3 is not database 0: the credential is unknown there
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_AUTH_PORT password=pw-secret;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'authkey')
--- denied: credential_unknown
--- no_error_log
[alert]
[crit]



=== TEST 10: a key prefix
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT prefix=wa2:;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'prefixed')
--- response_body eval
WebAuthnTest::echo_body('prefixed')
--- no_error_log
[alert]
[crit]



=== TEST 11: with the key cache on, a revocation takes effect at once
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_key_cache zone=wk:1m valid=10m;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- init
for (1 .. 2) {
    my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'cached'));
    Test::More::is($r->{status}, 200, "passes, the key is cached ($_)");
}
WebAuthnTest::redis('HSET', WebAuthnTest::cred_key('cached'), 'revoked', '1');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'cached')
--- denied: credential_revoked
--- no_error_log
[alert]
[crit]



=== TEST 12: the commit carries the user_name, roles and aaguid the worker last read of the record: the same there, the script answers "ok" alone; changed, it checks and sends them, and the change is seen at once
--- init
my $aaguid = '0123abcd-0000-4000-8000-00000000beef';
WebAuthnTest::cred_cmd('hint', 'HSET', 'aaguid', $aaguid);
my $use = sub {
    my ($what, $roles) = @_;
    my $r;
    my $lines = WebAuthnTest::monitor_redis('main', sub {
        $r = WebAuthnTest::http_request('GET', '/t',
            WebAuthnTest::authz(key => 'hint', no_counter => 1));
    });
    Test::More::is($r->{status}, 200, "$what: passes");
    Test::More::like($r->{body} // '', qr/^user=hana roles=\Q$roles\E cred=/,
                     "$what: as user hana, roles $roles");
    my @c = map { [main::monitor_args($_)] }
            WebAuthnTest::client_commands($lines, 'EVALSHA'),
            WebAuthnTest::client_commands($lines, 'EVAL');
    Test::More::is(scalar @c, 1, "$what: one commit");
    return $c[0] // [];
};
my $c = $use->('the first use in the worker', 'h1 h2');
Test::More::is(scalar @$c, 12, 'its commit carries no fields (6 arguments)');
$c = $use->('the second', 'h1 h2');
Test::More::is(scalar @$c, 15, 'its commit carries three more');
Test::More::is_deeply([@$c[12 .. 14]], ['hana', 'h1 h2', $aaguid],
                      'the user_name, roles and aaguid read by the first');
# the same script, run again with a nonce of its own
my @again = @$c[1 .. $#$c];
$again[3] .= ':again';
my $reply = WebAuthnTest::redis('EVALSHA', @again);
Test::More::is_deeply($reply, ['ok'],
                      'the same in the record: the script answers ok alone');
$again[3] .= '2';
$again[12] = 'h1';
$reply = WebAuthnTest::redis('EVALSHA', @again);
Test::More::is_deeply($reply, ['ok', 'hana', 'h1 h2', $aaguid],
                      'one of them not the same: ok and the record\'s three');
$again[3] .= '3';
$again[12] = 'h1 h2';
WebAuthnTest::cred_cmd('hint', 'HSET', 'user_name', "ha\x01na");
$reply = WebAuthnTest::redis('EVALSHA', @again);
Test::More::is_deeply($reply, ['bad_record', 'user_name'],
                      'a user_name changed to one that breaks the rules: '
                      . 'refused, whatever was carried');
WebAuthnTest::cred_cmd('hint', 'HSET', 'user_name', 'hana');
WebAuthnTest::cred_cmd('hint', 'HSET', 'roles', 'h3');
$c = $use->('the roles changed in the record', 'h3');
Test::More::is_deeply([@$c[12 .. 14]], ['hana', 'h1 h2', $aaguid],
                      'its commit carried the roles the worker had read');
$c = $use->('the next use', 'h3');
Test::More::is($c->[13], 'h3', 'its commit carries the new roles');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'hint', no_counter => 1)
--- response_body_like: ^user=hana roles=h3 cred=
--- no_error_log
[alert]
[crit]
[error]



=== TEST 13: with the key cache on, Redis down is still 503 for the cached credential
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_key_cache zone=wk:1m valid=10m;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- init
my $r = WebAuthnTest::http_request('GET', '/t',
    WebAuthnTest::authz(key => 'cached2', counter => 1));
Test::More::is($r->{status}, 200, 'passes, the key of cached2 is cached');
WebAuthnTest::stop_redis('main');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'cached2', counter => 2)
--- denied: store_unavailable
--- no_error_log
[alert]
[crit]
