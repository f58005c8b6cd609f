# vi:filetype=perl

# Security fixes from an outside review: stored values that would inject
# headers, auth_request, internal redirects, stored counters and
# revocation values, replays after a Redis restart without persistence,
# the verifying location's challenge lifetime, a cached key whose user
# handle changed, the PS256 salt length, and commit replies of the wrong
# shape (an "ok" alone to a commit that did not carry the worker's fields).

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5);
add_block_preprocessor(\&WebAuthnTest::preprocess);

WebAuthnTest::enroll('inj_user', alg => 'es256', user => 'ivy', roles => 'reader');
WebAuthnTest::enroll('inj_roles', alg => 'es256', user => 'ian', roles => 'reader');
WebAuthnTest::enroll('inj_nul', alg => 'es256', user => 'ina', roles => 'reader');
WebAuthnTest::enroll('ar', alg => 'es256', user => 'arne', roles => 'a');
WebAuthnTest::enroll('redir', alg => 'es256', user => 'rex', roles => 'r');
WebAuthnTest::enroll('ctr', alg => 'es256', user => 'cora', roles => 'c');
WebAuthnTest::enroll('rev', alg => 'es256', user => 'reva', roles => 'r');
WebAuthnTest::enroll('life', alg => 'es256', user => 'liv', roles => 'l');
# TEST 14's short lifetime: 1 s, longer under valgrind (signing and sending
# an assertion at once can take more than a second there)
our $Short = $WebAuthnTest::Scale;
$ENV{TEST_NGINX_SHORT_LIFE} = "${Short}s";
WebAuthnTest::enroll('uh', alg => 'es256', user => 'uma', roles => 'u');
WebAuthnTest::enroll('fk', alg => 'es256', user => 'alice', roles => 'reader');
WebAuthnTest::enroll('fast', alg => 'es256', user => 'fay', roles => 'f');
WebAuthnTest::enroll('rs', alg => 'es256', user => 'rose', roles => 'r');
WebAuthnTest::enroll('mir', alg => 'es256', user => 'mia', roles => 'm');
WebAuthnTest::enroll('utf', alg => 'es256', user => "Zo\xc3\xab O'Brien", roles => 'u');

# scripted Redis servers: HMGET answers the real record of fk, the commit
# (EVALSHA or EVAL) answers these raw replies in turn
our $Ints = "*2\r\n:1\r\n:4\r\n";
our $Ok = "*3\r\n\$2\r\nok\r\n\$5\r\nalice\r\n\$6\r\nreader\r\n";
our %FkRecord = (WebAuthnTest::cred_key('fk') => WebAuthnTest::record('fk'));
$ENV{TEST_NGINX_FAKE_INTS_PORT} = WebAuthnTest::fake_redis_scripted(
    records => \%FkRecord, commit => [$Ints]);
$ENV{TEST_NGINX_FAKE_EMPTY_PORT} = WebAuthnTest::fake_redis_scripted(
    records => \%FkRecord, commit => ["*0\r\n"]);
$ENV{TEST_NGINX_FAKE_OK_INTS_PORT} = WebAuthnTest::fake_redis_scripted(
    records => \%FkRecord, commit => [$Ok, $Ints]);
# "ok" alone: the answer to a commit that carried the worker's fields
our $OkAlone = "*1\r\n\$2\r\nok\r\n";
$ENV{TEST_NGINX_FAKE_OK_ALONE_PORT} = WebAuthnTest::fake_redis_scripted(
    records => \%FkRecord, commit => [$OkAlone]);
$ENV{TEST_NGINX_FAKE_OK_THEN_ALONE_PORT} = WebAuthnTest::fake_redis_scripted(
    records => \%FkRecord, commit => [$Ok, $OkAlone]);

our $EchoLog = "$WebAuthnTest::WorkDir/echo.log";

# the upstream logs the X-Evil header it got, and echoes it
our $InjectHttpConfig = $WebAuthnTest::HttpConfig . <<'_EOC_';
    log_format evil 'evil=[$http_x_evil] user=[$http_x_user]';
_EOC_

our $InjectConfig = <<'_EOC_';
    location = /t {
        auth_webauthn "test";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
        proxy_set_header X-User $webauthn_user;
        proxy_set_header X-Roles $webauthn_roles;
    }
    location = /echo {
        access_log $TEST_NGINX_WORKDIR/echo.log evil;
        return 200 "user=$http_x_user roles=$http_x_roles evil=[$http_x_evil]\n";
    }
_EOC_

our $CacheHttpConfig = $WebAuthnTest::HttpConfig . <<'_EOC_';
    webauthn_key_cache zone=wk:1m valid=10m;
_EOC_

sub fake_http_config {
    my ($port_var, $cache) = @_;
    return <<_EOC_ . ($cache ? "    webauthn_key_cache zone=wk:1m valid=10m;\n" : '');
    webauthn_redis 127.0.0.1:\$$port_var timeout=2s;
    webauthn_challenge_secret \$TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout \$TEST_NGINX_CHALLENGE_TIMEOUT;
_EOC_
}

# an internal redirect from a location into another one with its own
# policy (rewrite ... break: a named location's proxy_pass has no URI; the
# rewrite phase runs before the access check anyway)
sub redirect_config {
    my ($target) = @_;
    return <<_EOC_;
    location = /pref {
        auth_webauthn "test";
        auth_webauthn_user_verification preferred;
        try_files /nonexistent-file \@$target;
    }
    location \@req {
        auth_webauthn "test";
        auth_webauthn_user_verification required;
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT;
    }
    location \@otherrp {
        auth_webauthn "test";
        webauthn_rp_id other.example;
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT;
    }
    location \@otherorigin {
        auth_webauthn "test";
        webauthn_origin https://elsewhere.example;
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT;
    }
    location = /echo {
        return 200 "passed\\n";
    }
_EOC_
}

sub truncate_echo_log {
    open my $fh, '>', $EchoLog or die "$EchoLog: $!";
    close $fh;
}

sub echo_log {
    open my $fh, '<', $EchoLog or return '';
    my $text = do { local $/; <$fh> } // '';
    close $fh;
    return $text;
}

# FIELD of credential NAME holds VALUE: a valid assertion is refused as an
# unreadable record, the upstream never sees X-Evil, the counter stays
sub injection_checks {
    my ($name, $field, $value) = @_;
    truncate_echo_log();
    WebAuthnTest::cred_cmd($name, 'HSET', $field, $value);
    my $before = WebAuthnTest::sign_count_stored($name);
    my $r = WebAuthnTest::http_request('GET', '/t',
        WebAuthnTest::authz(key => $name, counter => 5));
    Test::More::is($r->{status}, 503, "$field with a control character: 503");
    Test::More::like($r->{body} // '', qr/"code"\s*:\s*"store_unavailable"/,
                     "$field with a control character: store_unavailable");
    Test::More::unlike($r->{body} // '', qr/injected/,
                       "$field: no injected header reaches the answer");
    Test::More::unlike(echo_log(), qr/evil=\[injected\]/,
                       "$field: the upstream never receives X-Evil");
    Test::More::is(WebAuthnTest::sign_count_stored($name), $before,
                   "$field: the counter in Redis did not move");
}

run_tests();

__DATA__

=== TEST 1: header injection, the control: the upstream's log shows an X-Evil it receives
--- http_config eval: $::InjectHttpConfig
--- config eval: $::InjectConfig
--- init
main::truncate_echo_log();
my $r = WebAuthnTest::http_request('GET', '/echo', "X-Evil: injected");
Test::More::is($r->{status}, 200, 'the upstream answers');
Test::More::like(main::echo_log(), qr/evil=\[injected\]/, 'and logs X-Evil');
main::truncate_echo_log();
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'inj_user', counter => 1)
--- response_body
user=ivy roles=reader evil=[]
--- no_error_log
[alert]
[crit]
[error]



=== TEST 2: header injection: a user_name with CR LF is an invalid record, nothing reaches the upstream
--- http_config eval: $::InjectHttpConfig
--- config eval: $::InjectConfig
--- init
main::injection_checks('inj_user', 'user_name', "mallory\r\nX-Evil: injected");
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'inj_user', counter => 7)
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: the credential record has an invalid user_name/]
--- no_error_log
[alert]
[crit]



=== TEST 3: header injection: roles with CR LF are an invalid record, nothing reaches the upstream
--- http_config eval: $::InjectHttpConfig
--- config eval: $::InjectConfig
--- init
main::injection_checks('inj_roles', 'roles', "reader\r\nX-Evil: injected");
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'inj_roles', counter => 7)
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: the credential record has an invalid roles/]
--- no_error_log
[alert]
[crit]



=== TEST 4: header injection: a user_name with a NUL is an invalid record
--- http_config eval: $::InjectHttpConfig
--- config eval: $::InjectConfig
--- init
main::injection_checks('inj_nul', 'user_name', "mal\0lory");
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'inj_nul', counter => 7)
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: the credential record has an invalid user_name/]
--- no_error_log
[alert]
[crit]



=== TEST 5: auth_request: no header and a forged one are 401, a valid one passes once, without Authorization upstream
--- config
    location /p {
        auth_request /_check;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location = /_check {
        internal;
        auth_webauthn "test";
        empty_gif;
    }
    location = /echo {
        return 200 "authorization=[$http_authorization]\n";
    }
--- init
my $r = WebAuthnTest::http_request('GET', '/p');
Test::More::is($r->{status}, 401, 'auth_request, no Authorization: 401');
Test::More::like($r->{headers}{'www-authenticate'} // '',
                 qr/^WebAuthn realm="test", challenge="$WebAuthnTest::ChallengeRe"$/,
                 'auth_request relays WWW-Authenticate');
$r = WebAuthnTest::http_request('GET', '/p',
    WebAuthnTest::authz(key => 'ar', counter => 1, bad_signature => 1));
Test::More::is($r->{status}, 401, 'auth_request, a forged signature: 401');
my $h = WebAuthnTest::authz(key => 'ar', counter => 2);
$r = WebAuthnTest::http_request('GET', '/p', $h);
Test::More::is($r->{status}, 200, 'auth_request, a valid assertion: 200');
Test::More::is($r->{body}, "authorization=[]\n", 'the upstream sees no Authorization');
$r = WebAuthnTest::http_request('GET', '/p', $h);
Test::More::is($r->{status}, 401, 'auth_request, the same assertion again: 401');
--- request
GET /p
--- more_headers eval
WebAuthnTest::authz(key => 'ar', counter => 3)
--- response_body
authorization=[]
--- no_error_log
[alert]
[crit]



=== TEST 6: internal redirect into a location requiring user verification: UV=0 is user_not_verified
--- config eval: main::redirect_config('req')
--- request
GET /pref
--- more_headers eval
WebAuthnTest::authz(key => 'redir', counter => 1, uv => 0)
--- denied: user_not_verified
--- no_error_log
[alert]
[crit]



=== TEST 7: internal redirect into a location requiring user verification: UV=1 passes
--- config eval: main::redirect_config('req')
--- request
GET /pref
--- more_headers eval
WebAuthnTest::authz(key => 'redir', counter => 2, uv => 1)
--- response_body
passed
--- no_error_log
[alert]
[crit]



=== TEST 8: internal redirect into a location with another webauthn_rp_id: rp_id_mismatch
--- config eval: main::redirect_config('otherrp')
--- request
GET /pref
--- more_headers eval
WebAuthnTest::authz(key => 'redir', counter => 3)
--- denied: rp_id_mismatch
--- no_error_log
[alert]
[crit]



=== TEST 9: internal redirect into a location whose webauthn_origin lacks the assertion's: origin_not_allowed
--- config eval: main::redirect_config('otherorigin')
--- request
GET /pref
--- more_headers eval
WebAuthnTest::authz(key => 'redir', counter => 4)
--- denied: origin_not_allowed
--- no_error_log
[alert]
[crit]



=== TEST 10: stored counters that are not 0-4294967295 in decimal are invalid records, and stay as they are
--- init
for my $v ('nan', '0x10', '1e3', '-1', '4294967296', '', '+5', ' 7') {
    WebAuthnTest::cred_cmd('ctr', 'HSET', 'sign_count', $v);
    my $r = WebAuthnTest::http_request('GET', '/t',
        WebAuthnTest::authz(key => 'ctr', counter => 2000));
    Test::More::is($r->{status}, 503, "sign_count \"$v\": 503");
    Test::More::like($r->{body} // '', qr/"code"\s*:\s*"store_unavailable"/,
                     "sign_count \"$v\": store_unavailable");
    Test::More::is(WebAuthnTest::sign_count_stored('ctr'), $v,
                   "sign_count \"$v\" is unchanged");
}
WebAuthnTest::cred_cmd('ctr', 'HSET', 'sign_count', '1e3');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ctr', counter => 2001)
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: the credential record has an invalid sign_count/]
--- no_error_log
[alert]
[crit]



=== TEST 11: an absent sign_count counts as 0, and 4294967295 is valid (an assertion with counter 0 is then a regression)
--- init
WebAuthnTest::cred_cmd('ctr', 'HDEL', 'sign_count');
my $r = WebAuthnTest::http_request('GET', '/t',
    WebAuthnTest::authz(key => 'ctr', counter => 5));
Test::More::is($r->{status}, 200, 'no sign_count: counts as 0, counter 5 passes');
Test::More::is(WebAuthnTest::sign_count_stored('ctr'), 5, 'the counter is 5');
WebAuthnTest::cred_cmd('ctr', 'HSET', 'sign_count', '4294967295');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ctr', counter => 4000)
--- denied: sign_count_regressed
--- no_error_log
[alert]
[crit]



=== TEST 12: revoked "yes" (any value but "", "0" or none) revokes
--- init
my $n = 100;
for my $v ('true', '2', ' ') {
    WebAuthnTest::cred_cmd('rev', 'HSET', 'revoked', $v);
    my $r = WebAuthnTest::http_request('GET', '/t',
        WebAuthnTest::authz(key => 'rev', counter => ++$n));
    Test::More::like($r->{body} // '', qr/"code"\s*:\s*"credential_revoked"/,
                     "revoked \"$v\": credential_revoked");
}
WebAuthnTest::cred_cmd('rev', 'HSET', 'revoked', 'yes');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'rev', counter => 200)
--- denied: credential_revoked
--- no_error_log
[alert]
[crit]



=== TEST 13: revoked "0" and "" do not revoke
--- init
WebAuthnTest::cred_cmd('rev', 'HSET', 'revoked', '0');
my $r = WebAuthnTest::http_request('GET', '/t',
    WebAuthnTest::authz(key => 'rev', counter => 300));
Test::More::is($r->{status}, 200, 'revoked "0": passes');
WebAuthnTest::cred_cmd('rev', 'HSET', 'revoked', '');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'rev', counter => 301)
--- response_body eval
WebAuthnTest::echo_body('rev', count => 301)
--- no_error_log
[alert]
[crit]



=== TEST 14: the verifying location's webauthn_challenge_timeout bounds a challenge's age, whoever issued it
--- config
    location = /long {
        webauthn_challenge_timeout 3600s;
        webauthn_challenge;
    }
    location = /short {
        webauthn_challenge_timeout $TEST_NGINX_SHORT_LIFE;
        auth_webauthn "test";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location = /echo {
        return 200 "passed\n";
    }
--- init
my $c = WebAuthnTest::fetch_challenge('/long');
my $r = WebAuthnTest::http_request('GET', '/short',
    WebAuthnTest::authz(key => 'life', counter => 1, challenge => $c));
Test::More::is($r->{status}, 200, 'a challenge from /long sent at once passes /short');
$c = WebAuthnTest::fetch_challenge('/long');
my $h = WebAuthnTest::authz(key => 'life', counter => 2, challenge => $c);
Time::HiRes::sleep($main::Short + 0.3);
$r = WebAuthnTest::http_request('GET', '/short', $h);
Test::More::is($r->{status}, 401, 'the same, 0.3 s after its lifetime: 401');
Test::More::like($r->{body} // '', qr/"code"\s*:\s*"challenge_invalid"/,
                 'after its lifetime: challenge_invalid');
Test::More::like($r->{body} // '', qr/older than this location accepts/,
                 'after its lifetime: the detail says the challenge is too old');
--- request
GET /short
--- more_headers eval
WebAuthnTest::authz(key => 'life', counter => 3, issued_ago => $main::Short + 1, ttl => 3600)
--- denied: challenge_invalid
--- error_log eval
[qr/\[info\] .*webauthn: challenge_invalid: .*older than this location accepts/]
--- no_error_log
[alert]
[crit]



=== TEST 15: a cached key whose record's user_handle changed: user_handle_mismatch
--- http_config eval: $::CacheHttpConfig
--- init
my $r = WebAuthnTest::http_request('GET', '/t',
    WebAuthnTest::authz(key => 'uh', counter => 1));
Test::More::is($r->{status}, 200, 'passes, the key is cached');
WebAuthnTest::cred_cmd('uh', 'HSET', 'user_handle', WebAuthnTest::b64url('someone else'));
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'uh', counter => 2)
--- denied: user_handle_mismatch
--- no_error_log
[alert]
[crit]



=== TEST 16: PS256 with PSS salt length 0: signature_invalid
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ps256', pss_salt => 0)
--- denied: signature_invalid
--- no_error_log
[alert]
[crit]



=== TEST 17: PS256 with PSS salt length 64: signature_invalid
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ps256', pss_salt => 64)
--- denied: signature_invalid
--- no_error_log
[alert]
[crit]



=== TEST 18: PS256 with PSS salt length 32 (the hash length, RFC 8230): passes
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ps256', pss_salt => 32)
--- response_body eval
WebAuthnTest::echo_body('ps256')
--- no_error_log
[alert]
[crit]



=== TEST 19: a commit answered with an array of integers is a store fault, not credential_revoked
--- http_config eval: main::fake_http_config('TEST_NGINX_FAKE_INTS_PORT')
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'fk')
--- denied: store_unavailable
--- no_error_log
[alert]
[crit]
credential_revoked



=== TEST 20: a commit answered with an empty array is a store fault
--- http_config eval: main::fake_http_config('TEST_NGINX_FAKE_EMPTY_PORT')
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'fk')
--- denied: store_unavailable
--- no_error_log
[alert]
[crit]
credential_revoked



=== TEST 21: key cache on: after a well-formed commit, an array of integers is still a store fault
--- http_config eval: main::fake_http_config('TEST_NGINX_FAKE_OK_INTS_PORT', 1)
--- init
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'fk'));
Test::More::is($r->{status}, 200, 'a well-formed commit reply (ok, user, roles): passes');
Test::More::like($r->{body} // '', qr/^user=alice roles=reader /, 'with the user and roles it names');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'fk')
--- denied: store_unavailable
--- no_error_log
[alert]
[crit]
credential_revoked



=== TEST 22: a subrequest's own location refuses (mirror into UV required), the main request's outcome stays its own
--- config
    location = /m {
        auth_webauthn "test";
        mirror /strict;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
        proxy_set_header X-User $webauthn_user;
        add_header X-WA-User $webauthn_user always;
        add_header X-WA-Error "[$webauthn_error]" always;
    }
    location = /strict {
        internal;
        auth_webauthn "test";
        auth_webauthn_user_verification required;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location = /echo {
        return 200 "user=$http_x_user\n";
    }
--- request
GET /m
--- more_headers eval
WebAuthnTest::authz(key => 'mir', counter => 1, uv => 0)
--- response_body
user=mia
--- response_headers
X-WA-User: mia
X-WA-Error: []
--- error_log eval
[qr/\[info\] .*webauthn: user_not_verified: /]
--- no_error_log
[alert]
[crit]



=== TEST 23: a UTF-8 user name passes; invalid UTF-8 (a lone 0xff, an overlong LF, a C1 control) is an invalid record
--- init
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'utf', no_counter => 1));
Test::More::is($r->{status}, 200, 'UTF-8 user name: 200');
Test::More::like($r->{body} // '', qr/^user=Zo\xc3\xab O'Brien /, 'the upstream gets it as it is stored');
for my $bad ("Zo\xff", "a\xc0\x8aX-Evil: 1", "a\xc2\x85b") {
    WebAuthnTest::cred_cmd('utf', 'HSET', 'user_name', $bad);
    $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'utf', no_counter => 1));
    Test::More::is($r->{status}, 503, 'invalid UTF-8 user name: 503');
}
WebAuthnTest::cred_cmd('utf', 'HSET', 'user_name', "Zo\xc3\xab");
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'utf', no_counter => 1)
--- response_body_like: ^user=Zo\xc3\xab roles=u
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: the credential record has an invalid user_name/]
--- no_error_log
[alert]
[crit]



=== TEST 24: a replay after Redis restarted empty (no persistence): challenge_invalid; a fresh challenge passes
--- init
# counter 0 (a synced passkey): only the used nonce stops a replay
my $h = WebAuthnTest::authz(key => 'rs', no_counter => 1);
my $r = WebAuthnTest::http_request('GET', '/t', $h);
Test::More::is($r->{status}, 200, 'the assertion is accepted');
my $t0 = WebAuthnTest::now_ms();
WebAuthnTest::restart_redis_empty('main');
Test::More::ok(!defined WebAuthnTest::get_epoch(cred => 'rs'), 'Redis came back without its epoch');
Test::More::ok(defined WebAuthnTest::record('rs')->{public_key}, 'the credential was re-imported');
$r = WebAuthnTest::http_request('GET', '/t', $h);
Test::More::is($r->{status}, 401, 'the same assertion again: 401');
Test::More::like($r->{body} // '', qr/"code"\s*:\s*"challenge_invalid"/, 'challenge_invalid');
Test::More::like($r->{body} // '', qr/lost its record of used challenges/,
                 'the detail says the store lost its record');
my $epoch = WebAuthnTest::get_epoch(cred => 'rs');
Test::More::ok(defined $epoch && $epoch >= $t0 - 1000,
               'the commit set the epoch to the gateway\'s now (' . ($epoch // 'none') . ')');
Time::HiRes::sleep(0.05);
$r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'rs', no_counter => 1));
Test::More::is($r->{status}, 200, 'a fresh assertion over a fresh challenge passes');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'rs', no_counter => 1)
--- denied: challenge_invalid
--- error_log eval
[qr/\[info\] .*webauthn: challenge_invalid: the credential store lost its record of used challenges since this challenge was issued; sign a fresh one/]
--- no_error_log
[alert]
[crit]



=== TEST 25: the commit script's cheap paths keep every record rule: roles of 64 bytes (one 64-byte token, 32 tokens) pass, 65 bytes with a 65-byte token or 33 tokens do not, nor a leading, trailing or double space, nor a DEL in the user name; a refused record keeps its counter and its nonce unused
--- init
# TEST 24 restarted Redis empty: the record came back, its epoch did not
WebAuthnTest::set_epoch(0, cred => 'fast');
my $n = 1;
my $try = sub {
    my ($field, $value, $want, $what) = @_;
    WebAuthnTest::cred_cmd('fast', 'HSET', $field, $value);
    my $before = WebAuthnTest::sign_count_stored('fast') // 0;
    my $h = WebAuthnTest::authz(key => 'fast', counter => ++$n);
    my $r = WebAuthnTest::http_request('GET', '/t', $h);
    Test::More::is($r->{status}, $want, "$what: $want");
    if ($want == 503) {
        Test::More::is(WebAuthnTest::sign_count_stored('fast') // 0, $before,
                       "$what: the counter did not move");
        WebAuthnTest::cred_cmd('fast', 'HSET', $field, $field eq 'roles' ? 'f' : 'fay');
        $r = WebAuthnTest::http_request('GET', '/t', $h);
        Test::More::is($r->{status}, 200, "$what: the same assertion passes once the record is fixed (its nonce was not recorded)");
    }
};
$try->('roles', 'a' x 64, 200, 'one 64-byte role');
$try->('roles', 'a' x 65, 503, 'one 65-byte role');
$try->('roles', join(' ', ('r') x 32), 200, '32 roles in 63 bytes');
$try->('roles', join(' ', ('r') x 33), 503, '33 roles in 65 bytes');
$try->('roles', join(' ', ('r') x 31) . ' ' . ('b' x 34), 200, '32 roles in 96 bytes');
$try->('roles', ' reader', 503, 'a leading space');
$try->('roles', 'reader ', 503, 'a trailing space');
$try->('roles', 'a  b', 503, 'a double space');
$try->('roles', 'a b', 200, 'two roles');
$try->('user_name', "f\x7fy", 503, 'a DEL in the user name');
$try->('user_name', "F\xc3\xa4y", 200, 'a UTF-8 user name');
$try->('user_name', 'f' x 256, 200, 'a 256-byte user name');
$try->('user_name', 'f' x 257, 503, 'a 257-byte user name');
WebAuthnTest::cred_cmd('fast', 'HSET', 'user_name', 'fay');
WebAuthnTest::cred_cmd('fast', 'HSET', 'roles', 'f');
WebAuthnTest::cred_cmd('fast', 'HSET', 'last_used', '1700000000');
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'fast', counter => 99));
Test::More::is($r->{status}, 200, 'a use');
my $lu = WebAuthnTest::cred_cmd('fast', 'HGET', 'last_used') // 0;
Test::More::ok(abs($lu - time()) <= 2, "a use writes last_used, in seconds ($lu)");
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'fast', counter => 100)
--- response_body_like: ^user=fay roles=f
--- no_error_log
[alert]
[crit]



=== TEST 26: "ok" alone answers a commit that carried the worker's fields; to the first commit of a credential in a worker, which has none to carry, it is a store fault
--- http_config eval: main::fake_http_config('TEST_NGINX_FAKE_OK_ALONE_PORT', 1)
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'fk')
--- denied: store_unavailable
--- error_log
unexpected reply to the commit script
--- no_error_log
[alert]
[crit]



=== TEST 27: after a commit that read the record's fields, the next carries them, and its "ok" alone passes with them: the same user and roles
--- http_config eval: main::fake_http_config('TEST_NGINX_FAKE_OK_THEN_ALONE_PORT', 1)
--- init
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'fk'));
Test::More::is($r->{status}, 200, 'the first commit, answered with the fields: passes');
Test::More::like($r->{body} // '', qr/^user=alice roles=reader /, 'with the user and roles it names');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'fk')
--- response_body_like: ^user=alice roles=reader cred=
--- no_error_log
[alert]
[crit]
[error]
