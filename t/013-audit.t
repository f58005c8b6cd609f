# vi:filetype=perl

# The audit log (conf/webauthn_audit.conf, as shipped): one JSON object a
# line for every request, with who, how, what and the outcome; a refusal
# keeps its one error log line besides.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use JSON::PP ();

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5);
add_block_preprocessor(\&WebAuthnTest::preprocess);

$ENV{TEST_NGINX_AUDIT_CONF} = "$WebAuthnTest::Top/conf/webauthn_audit.conf";
our $Audit = "$WebAuthnTest::WorkDir/audit.log";

WebAuthnTest::enroll('aud', alg => 'es256', user => "Zo\xc3\xab O'Brien",
                     roles => 'reader auditor');
WebAuthnTest::cred_cmd('aud', 'HSET', 'aaguid',
                       'cb69481e-8ff7-4039-93ec-0a2729a154a8');

# the audit lines of the requests to URI, decoded
sub lines {
    my ($uri) = @_;
    open my $fh, '<', $Audit or return ();
    my @l = grep { $_->{uri} eq $uri }
            map { JSON::PP->new->utf8(0)->decode($_) } grep { /\S/ } <$fh>;
    close $fh;
    return @l;
}

run_tests();

__DATA__

=== TEST 1: an allowed request, a refused one and a forged one each leave one JSON line with who, how, what and why
--- http_config eval
$WebAuthnTest::HttpConfig . '    include $TEST_NGINX_AUDIT_CONF;
'
--- config
    location /a/ {
        access_log $TEST_NGINX_WORKDIR/audit.log webauthn_audit;
        auth_webauthn "test";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo/;
    }
    location /echo/ {
        return 200 "ok\n";
    }
--- init
my $ok = WebAuthnTest::http_request('GET', '/a/ok?x=1', WebAuthnTest::authz(key => 'aud', counter => 7));
Test::More::is($ok->{status}, 200, 'the allowed request passes');
WebAuthnTest::http_request('GET', '/a/none');
WebAuthnTest::http_request('GET', '/a/forged', WebAuthnTest::authz(key => 'aud', counter => 8, bad_signature => 1));
my ($a) = main::lines('/a/ok?x=1');
Test::More::ok($a, 'one line for the allowed request');
$a //= {};
Test::More::is($a->{status}, 200, 'allowed: status');
Test::More::is($a->{method}, 'GET', 'allowed: method');
Test::More::is($a->{auth_method}, 'assertion', 'allowed: auth method');
Test::More::is($a->{user}, "Zo\xc3\xab O'Brien", 'allowed: user (UTF-8, as stored)');
Test::More::is($a->{roles}, 'reader auditor', 'allowed: roles');
Test::More::is($a->{credential_id}, WebAuthnTest::cred_id('aud'), 'allowed: credential id');
Test::More::is($a->{aaguid}, 'cb69481e-8ff7-4039-93ec-0a2729a154a8', 'allowed: AAGUID');
Test::More::is($a->{user_verified}, '1', 'allowed: UV');
Test::More::is($a->{sign_count}, '7', 'allowed: sign count');
Test::More::is($a->{error}, '', 'allowed: no error');
Test::More::is($a->{upstream_status}, '200', 'allowed: upstream status');
Test::More::like($a->{request_id}, qr/^[0-9a-f]{32}$/, 'allowed: request id');
my ($n) = main::lines('/a/none');
Test::More::is($n && $n->{status}, 401, 'refused: status');
Test::More::is($n && $n->{error}, 'credential_missing', 'refused: the error code');
Test::More::is($n && $n->{user}, '', 'refused: no user');
Test::More::is($n && $n->{upstream_status}, '', 'refused: nothing upstream');
my ($f) = main::lines('/a/forged');
Test::More::is($f && $f->{error}, 'signature_invalid', 'forged: the error code');
Test::More::is($f && $f->{credential_id}, WebAuthnTest::cred_id('aud'), 'forged: the credential presented');
Test::More::is($f && $f->{user}, '', 'forged: no user (not verified)');
--- request
GET /a/last
--- more_headers eval
WebAuthnTest::authz(key => 'aud', counter => 9)
--- response_body
ok
--- error_log eval
[qr/\[info\] .*webauthn: signature_invalid: /, qr/\[info\] .*webauthn: credential_missing: /]
--- no_error_log
[alert]
[crit]
[error]



=== TEST 2: an aaguid that is not a UUID makes the record unreadable
--- init
WebAuthnTest::cred_cmd('aud', 'HSET', 'aaguid', "cb69481e\r\nX-Evil: 1");
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'aud', counter => 10)
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: the credential record has an invalid aaguid/]
--- no_error_log
[alert]
[crit]
