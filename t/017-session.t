# vi:filetype=perl

# Session tokens (issue 10): POST /webauthn/session trades a fresh
# assertion for a signed token (compact JWS, EdDSA or HS256) that
# auth_webauthn then takes as "Authorization: Bearer" or as a cookie.
# Tokens are checked and forged by t/lib/session_check.py (python3 and
# cryptography only, no code of the module); WebSockets go through
# t/lib/ws_echo.py, which also shows what the upstream was told.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use SessionTest;
use JSON::PP ();
use Time::HiRes ();

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
workers(2);
master_on();
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 10);
add_block_preprocessor(\&WebAuthnTest::preprocess);

WebAuthnTest::enroll('dana', alg => 'es256', user => 'dana',
                     roles => 'reader deployer');
WebAuthnTest::enroll('rita', alg => 'eddsa', user => 'rita',
                     roles => 'reader');
WebAuthnTest::enroll('ron', alg => 'es256', user => 'ron', roles => 'reader');
WebAuthnTest::enroll('gus', alg => 'es256', user => 'gus', roles => 'reader');
WebAuthnTest::enroll('kim', alg => 'es256', user => 'kim', roles => 'reader');
# gus as enrollment leaves a user: his hash and credential set
WebAuthnTest::redis('HSET', 'webauthn:user:{gus}', 'user_handle',
                    WebAuthnTest::user_handle('gus'), 'display_name', 'Gus',
                    'created', 1700000000);
WebAuthnTest::redis('SADD', 'webauthn:user_creds:{gus}',
                    WebAuthnTest::cred_id('gus'));

# nothing listens there
$ENV{TEST_NGINX_DEAD_PORT} = WebAuthnTest::free_port();

# tokens kept from one block for the next (rotation)
our %Saved;

run_tests();

__DATA__

=== TEST 1: issue: an assertion buys a token (EdDSA, the first key line's kid, every claim) with no-store and the cookie; the challenge is spent; a token buys no token
--- http_config eval: $SessionTest::HttpConfig
--- config eval: $SessionTest::Config
--- init
my $cid = WebAuthnTest::cred_id('dana');
my $a = SessionTest::assertion('dana');
my $t0 = time;
my $r = SessionTest::req('POST', '/webauthn/session', $a, '');
my $t1 = time;
SessionTest::passes($r, 'an assertion at webauthn_session');
Test::More::like($r->{h}{'content-type'} // '', qr{^application/json}, 'JSON');
Test::More::is($r->{h}{'cache-control'}, 'no-store', 'Cache-Control: no-store');
my $j = ref $r->{json} eq 'HASH' ? $r->{json} : {};
Test::More::is($j->{token_type}, 'Bearer', 'token_type Bearer');
Test::More::like($r->{body}, qr/"expires_in"\s*:\s*900\s*[,}]/, 'expires_in: the ttl in seconds, a number');
my $tok = $j->{token} // '';
Test::More::like($tok, qr/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'a compact JWS of base64url parts');
my ($ok, $d) = SessionTest::verify($tok, 'new');
Test::More::ok($ok, 'the signature verifies with the first key line (session_check.py, EdDSA)') or Test::More::diag(JSON::PP->new->canonical->encode($d));
Test::More::ok(!(SessionTest::verify($tok, 'old'))[0], 'and not with the second one');
Test::More::is_deeply($d->{header}, { alg => 'EdDSA', kid => '2026-12', typ => 'JWT' }, 'header: alg EdDSA, kid 2026-12, typ JWT');
my $c = $d->{claims} || {};
Test::More::is($c->{sub}, 'dana', 'sub: the user name');
Test::More::is($c->{cid}, $cid, 'cid: the credential id');
Test::More::is_deeply($c->{roles}, [ 'reader', 'deployer' ], 'roles: a JSON array');
Test::More::ok(JSON::PP::is_bool($c->{uv}) && $c->{uv}, 'uv: true, a JSON boolean');
Test::More::ok(defined $c->{iat} && $c->{iat} =~ /^\d+$/ && $c->{iat} >= $t0 - 1 && $c->{iat} <= $t1 + 1, 'iat: now') or Test::More::diag("iat $c->{iat}, now $t0");
Test::More::is(($c->{exp} // 0) - ($c->{iat} // 0), 900, 'exp: iat + the ttl');
Test::More::ok(defined $c->{auth_time} && $c->{auth_time} >= $t0 - 1 && $c->{auth_time} <= ($c->{iat} // 0), 'auth_time: when the assertion was verified');
Test::More::is($c->{iss}, 'localhost', 'iss: the RP ID');
Test::More::is($c->{aud}, 'localhost', 'aud: the RP ID');
my @extra = grep { !/^(sub|cid|roles|uv|iat|exp|auth_time|iss|aud)$/ } sort keys %$c;
Test::More::diag("claims beyond the spec: @extra") if @extra;
my @sc = @{ $r->{headers}{'set-cookie'} || [] };
Test::More::is(scalar @sc, 1, 'one Set-Cookie');
my ($pair, @attrs) = split /;\s*/, $sc[0] // '';
Test::More::is($pair, "__Host-webauthn=$tok", 'the cookie: its name and the token');
my %attr = map { my ($n, $v) = split /=/, $_, 2; (lc $n => $v // '') } @attrs;
Test::More::is_deeply(\%attr, { 'max-age' => 900, path => '/', secure => '', httponly => '', samesite => 'Strict' }, 'Max-Age=900; Path=/; Secure; HttpOnly; SameSite=Strict, nothing else') or Test::More::diag($sc[0]);
my $again = SessionTest::req('POST', '/webauthn/session', $a, '');
SessionTest::refused($again, 'challenge_invalid', 'the same assertion again (its challenge was consumed)', realm => '[^"]*');
for my $how ([ 'Bearer', SessionTest::bearer($tok) ], [ 'cookie', SessionTest::cookie($tok) ]) {
    my $t = SessionTest::req('POST', '/webauthn/session', $how->[1], '');
    Test::More::is($t->{status}, 401, "a token ($how->[0]) buys no new token: 401");
    Test::More::unlike($t->{body} // '', qr/"token"\s*:/, "a token ($how->[0]): no token in the body");
    Test::More::is(scalar @{ $t->{headers}{'set-cookie'} || [] }, 0, "a token ($how->[0]): no Set-Cookie");
}
my $none = SessionTest::req('POST', '/webauthn/session', '', '');
Test::More::is($none->{status}, 401, 'no credentials: 401');
Test::More::ok(!(SessionTest::verify(SessionTest::forge($tok, '--set', 'sub="x"', '--keep-signature'), 'new'))[0], 'session_check.py sanity: a changed claim does not verify');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 2: Bearer and cookie both authenticate, set the variables ($webauthn_auth_method session, no sign count) and reach the upstream without the token; other cookies pass; a cookie with a foreign Origin is refused
--- http_config eval: $SessionTest::HttpConfig
--- config eval: $SessionTest::Config
--- init
my $cid = WebAuthnTest::cred_id('dana');
my $tok = SessionTest::token('dana');
my $b = SessionTest::req('GET', '/api/x', SessionTest::bearer($tok));
SessionTest::passes($b, 'Bearer');
my $u = SessionTest::upstream($b);
Test::More::is_deeply(SessionTest::hv($u, qw(x-user x-roles x-cred x-uv x-count x-method)), [ 'dana', 'reader deployer', $cid, '1', '', 'session' ], 'Bearer: $webauthn_user, _roles, _credential_id, _user_verified, empty _sign_count, _auth_method session') or Test::More::diag($b->{body});
Test::More::ok(!$u->{authorization}, 'Bearer: no Authorization upstream');
Test::More::unlike($b->{body}, qr/\Q$tok\E/, 'Bearer: the token is nowhere upstream');
my $k = SessionTest::req('GET', '/api/x', SessionTest::cookie($tok, before => [ 'a=1' ], after => [ 'b=2' ]));
SessionTest::passes($k, 'cookie');
my $ku = SessionTest::upstream($k);
Test::More::is_deeply(SessionTest::hv($ku, qw(x-user x-roles x-cred x-uv x-count x-method)), [ 'dana', 'reader deployer', $cid, '1', '', 'session' ], 'cookie: the same variables') or Test::More::diag($k->{body});
my $cookies = join '; ', @{ $ku->{cookie} || [] };
Test::More::like($cookies, qr/(^|;\s*)a=1(;|$)/, 'cookie: the cookie before it reaches the upstream');
Test::More::like($cookies, qr/(^|;\s*)b=2(;|$)/, 'cookie: the cookie after it reaches the upstream');
Test::More::unlike($cookies, qr/__Host-webauthn/, 'cookie: the session cookie does not');
Test::More::unlike($k->{body}, qr/\Q$tok\E/, 'cookie: the token is nowhere upstream');
my $only = SessionTest::req('GET', '/api/x', SessionTest::cookie($tok));
SessionTest::passes($only, 'the session cookie alone');
Test::More::unlike($only->{body}, qr/\Q$tok\E/, 'the session cookie alone: not upstream');
my $same = SessionTest::req('GET', '/api/x', [ SessionTest::cookie($tok), 'Origin: http://localhost' ]);
SessionTest::passes($same, 'cookie with an allowed Origin');
my $evil = SessionTest::req('GET', '/api/x', [ SessionTest::cookie($tok), 'Origin: http://evil.example' ]);
SessionTest::refused($evil, 'origin_not_allowed', 'cookie with another Origin');
my $as = SessionTest::req('GET', '/api/x', SessionTest::assertion('dana'));
SessionTest::passes($as, 'an assertion');
my $au = SessionTest::upstream($as);
Test::More::is_deeply($au->{'x-method'}, ['assertion'], 'an assertion: $webauthn_auth_method assertion');
Test::More::like(($au->{'x-count'} || [''])->[0], qr/^\d+$/, 'an assertion: $webauthn_sign_count set');
SessionTest::refused(SessionTest::req('GET', '/api/x'), 'credential_missing', 'nothing');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 3: forged, altered, alg none, alg switched, unknown kid, expired, not yet valid, another audience, truncated, oversized, standard base64: token_invalid / token_expired with both WWW-Authenticate headers; each next to the same token without the fault
--- http_config eval: $SessionTest::HttpConfig
--- config eval: $SessionTest::Config
--- init
my $tok = SessionTest::token('dana');
my $get = sub { SessionTest::req('GET', '/api/x', SessionTest::bearer($_[0])) };
my $F = sub { SessionTest::forge($tok, @_) };
my $now = time;
my @ok = (
    [ 'the token re-signed unchanged by session_check.py', $F->('--key', 'new') ],
    [ 're-signed by the HS256 line (kid hs-1)', $F->('--key', 'hs', '--kid', 'hs-1') ],
    [ 'exp 10 s ago (within the leeway)', $F->('--key', 'new', '--set-now', 'exp=-10', '--set-now', 'iat=-910') ],
    [ 'iat 10 s ahead (within the leeway)', $F->('--key', 'new', '--set-now', 'iat=10', '--set-now', 'exp=910') ],
    [ 'padded with a claim to 3000 bytes', $F->('--key', 'new', '--pad-to', 3000) ],
);
for my $c (@ok) {
    SessionTest::passes($get->($c->[1]), $c->[0]);
}
my @bad = (
    [ 'signed by another Ed25519 key under the kid', 'token_invalid', $F->('--key', 'evil', '--kid', '2026-12') ],
    [ 'sub changed, not re-signed', 'token_invalid', $F->('--set', 'sub="admin"', '--keep-signature') ],
    [ 'roles changed, not re-signed', 'token_invalid', $F->('--set', 'roles=["admin"]', '--keep-signature') ],
    [ 'alg none, empty signature', 'token_invalid', $F->('--none') ],
    [ 'alg none, the signature kept', 'token_invalid', $F->('--alg', 'none', '--keep-signature') ],
    [ 'HS256 keyed with the EdDSA key\'s raw public key', 'token_invalid', $F->('--hs256-raw-pub', 'new') ],
    [ 'HS256 keyed with the EdDSA key\'s PEM public key', 'token_invalid', $F->('--hs256-pem-pub', 'new') ],
    [ 'EdDSA under the HS256 key\'s kid', 'token_invalid', $F->('--key', 'evil', '--kid', 'hs-1') ],
    [ 'EdDSA under the HS256 key\'s kid, signed by the EdDSA key', 'token_invalid', $F->('--key', 'new', '--kid', 'hs-1') ],
    [ 'HS256 by the HS256 secret under the EdDSA key\'s kid', 'token_invalid', $F->('--key', 'hs', '--kid', '2026-12') ],
    [ 'an unknown kid', 'token_invalid', $F->('--key', 'new', '--kid', '2025-01') ],
    [ 'exp 40 s ago (beyond the leeway)', 'token_expired', $F->('--key', 'new', '--set-now', 'exp=-40', '--set-now', 'iat=-940') ],
    [ 'iat 60 s ahead (beyond the leeway)', 'token_invalid', $F->('--key', 'new', '--set-now', 'iat=60', '--set-now', 'exp=960') ],
    [ 'another audience', 'token_invalid', $F->('--key', 'new', '--set', 'aud="example.com"') ],
    [ 'truncated signature', 'token_invalid', substr($tok, 0, -10) ],
    [ 'the signature part missing', 'token_invalid', join('.', (split /\./, $tok)[0, 1]) ],
    [ 'over 4096 bytes, signed', 'token_invalid', $F->('--key', 'new', '--pad-to', 4200) ],
    [ 'standard base64 (+ /), signed', 'token_invalid', $F->('--key', 'new', '--b64', 'std') ],
    [ 'padded base64url (=), signed', 'token_invalid', $F->('--key', 'new', '--b64', 'padded') ],
    [ 'not a JWS', 'token_invalid', 'a.b.c' ],
);
for my $c (@bad) {
    SessionTest::refused($get->($c->[2]), $c->[1], $c->[0], bearer => 1);
}
Test::More::cmp_ok(length $bad[16][2], '>', 4096, 'the oversized token is over 4096 bytes');
Test::More::like($bad[17][2], qr{[+/]}, 'the standard base64 token has + or /');
Test::More::like($bad[18][2], qr/=/, 'the padded token has =');
Test::More::cmp_ok(time - $now, '<', 20, 'the time-relative tokens were sent in time');
SessionTest::refused(SessionTest::req('GET', '/api/x', SessionTest::cookie($bad[0][2])), 'token_invalid', 'a forged token as the cookie', bearer => 1);
SessionTest::refused(SessionTest::req('GET', '/api/x', SessionTest::cookie($bad[11][2])), 'token_expired', 'an expired token as the cookie', bearer => 1);
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 4: an HS256 first line signs HS256 with the secret byte for byte (its newline included); cookie samesite=lax and the ttl; a 31-byte secret is a configuration error
--- http_config eval
SessionTest::http_config(keys => [qw(hs new)], ttl => '2m', cookie => 'name=sid samesite=lax')
--- config eval: $SessionTest::Config
--- init
my $r = SessionTest::mint('rita');
SessionTest::passes($r, 'minted');
my $tok = $r->{token};
my ($ok, $d) = SessionTest::verify($tok, 'hs');
Test::More::ok($ok, 'HS256 over the whole key file verifies (session_check.py, hmac.compare_digest)') or Test::More::diag(JSON::PP->new->canonical->encode($d));
Test::More::ok(!(SessionTest::verify($tok, "$SessionTest::W/session-hs-trimmed.key"))[0], 'and not with the secret trimmed of its newline');
Test::More::is_deeply($d->{header}, { alg => 'HS256', kid => 'hs-1', typ => 'JWT' }, 'header: alg HS256, kid hs-1');
Test::More::is(($d->{claims}{exp} // 0) - ($d->{claims}{iat} // 0), 120, 'exp: iat + 2m');
Test::More::is($r->{json} && $r->{json}{expires_in}, 120, 'expires_in 120');
my ($sc) = @{ $r->{headers}{'set-cookie'} || [] };
my ($pair, @attrs) = split /;\s*/, $sc // '';
Test::More::is($pair, "sid=$tok", 'the cookie named by name=');
my %attr = map { my ($n, $v) = split /=/, $_, 2; (lc $n => $v // '') } @attrs;
Test::More::is_deeply(\%attr, { 'max-age' => 120, path => '/', secure => '', httponly => '', samesite => 'Lax' }, 'Max-Age=120; Path=/; Secure; HttpOnly; SameSite=Lax') or Test::More::diag($sc);
my $b = SessionTest::req('GET', '/api/x', SessionTest::bearer($tok));
SessionTest::passes($b, 'the HS256 token');
Test::More::is_deeply(SessionTest::upstream($b)->{'x-user'}, ['rita'], 'as rita');
SessionTest::passes(SessionTest::req('GET', '/api/x', SessionTest::cookie($tok, name => 'sid')), 'the HS256 token as the sid cookie');
SessionTest::refused(SessionTest::req('GET', '/api/x', SessionTest::cookie($tok)), 'credential_missing', 'under the default cookie name, which is not configured');
SessionTest::passes(SessionTest::req('GET', '/api/x', SessionTest::bearer(SessionTest::forge($tok, '--key', 'new', '--kid', '2026-12'))), 'EdDSA by the second line');
SessionTest::refused(SessionTest::req('GET', '/api/x', SessionTest::bearer(SessionTest::forge($tok, '--key', 'evil', '--kid', 'hs-1'))), 'token_invalid', 'alg EdDSA under the HS256 kid', bearer => 1);
SessionTest::refused(SessionTest::req('GET', '/api/x', SessionTest::bearer(SessionTest::forge($tok, '--key', "$SessionTest::W/session-hs-trimmed.key"))), 'token_invalid', 'HS256 with the trimmed secret', bearer => 1);
SessionTest::refused(SessionTest::req('GET', '/api/x', SessionTest::bearer(SessionTest::forge($tok, '--none', '--kid', 'hs-1'))), 'token_invalid', 'alg none under the HS256 kid', bearer => 1);
my $base = "webauthn_redis 127.0.0.1:" . WebAuthnTest::redis_port() . ";\n"
         . "webauthn_challenge_secret $WebAuthnTest::SecretFile;\n"
         . "webauthn_rp_id localhost;\nwebauthn_origin http://localhost;\n";
my $srv = "server {\n listen 127.0.0.1:" . WebAuthnTest::free_port() . ";\n location = /webauthn/session { webauthn_session; }\n location / { auth_webauthn x; }\n}\n";
my ($rc, $out) = WebAuthnTest::nginx_t($base . "webauthn_session_key $SessionTest::KeyFile{short} id=s;\n" . $srv);
Test::More::isnt($rc, 0, 'a 31-byte secret: nginx -t fails') or Test::More::diag($out);
Test::More::like($out, qr/\[emerg\].*webauthn_session_key|32/, 'and says why') or Test::More::diag($out);
($rc, $out) = WebAuthnTest::nginx_t($base . "webauthn_session_key $SessionTest::KeyFile{hs} id=s;\n" . $srv);
Test::More::is($rc, 0, 'a 41-byte secret: nginx -t passes') or Test::More::diag($out);
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 5: rotation: the first line (new) signs, a token of the second line (old) verifies
--- http_config eval: $SessionTest::HttpConfig
--- config eval: $SessionTest::Config
--- init
my $tok = SessionTest::token('dana');
Test::More::is(SessionTest::decode($tok)->{header}{kid}, '2026-12', 'the first line signs');
Test::More::ok((SessionTest::verify($tok, 'new'))[0], 'with the new key');
my $old = SessionTest::forge($tok, '--key', 'old', '--kid', '2026-11');
SessionTest::passes(SessionTest::req('GET', '/api/x', SessionTest::bearer($old)), 'a token of the old key (second line)');
SessionTest::refused(SessionTest::req('GET', '/api/x', SessionTest::bearer(SessionTest::forge($tok, '--key', 'old', '--kid', '2026-12'))), 'token_invalid', 'the old key under the new kid', bearer => 1);
SessionTest::refused(SessionTest::req('GET', '/api/x', SessionTest::bearer(SessionTest::forge($tok, '--key', 'new', '--kid', '2026-11'))), 'token_invalid', 'the new key under the old kid', bearer => 1);
$main::Saved{new} = $tok;
$main::Saved{old_forged} = $old;
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 6: rotation: with the old line first the old key signs; a reload without the old line retires its tokens, the new key's still pass and the new key signs
--- http_config eval
SessionTest::http_config(keys => [qw(old new)], ttl => '15m', cookie => 'name=__Host-webauthn samesite=strict')
--- config eval: $SessionTest::Config
--- init
my $tok = SessionTest::token('dana');
my ($ok, $d) = SessionTest::verify($tok, 'old');
Test::More::ok($ok, 'the old key (now first) signs');
Test::More::is($d->{header}{kid}, '2026-11', 'its kid');
SessionTest::passes(SessionTest::req('GET', '/api/x', SessionTest::bearer($tok)), 'the old key\'s token');
SessionTest::passes(SessionTest::req('GET', '/api/x', SessionTest::bearer($main::Saved{new})), 'the new key\'s token (second line)');
$main::Saved{old_minted} = $tok;
SessionTest::reload_without(qr/TEST_NGINX_SESS_OLD|session-old\.key/);
my $refused;
my $took = SessionTest::poll(sub {
    my @r = map { SessionTest::req('GET', '/api/x', SessionTest::bearer($tok)) } 1 .. 4;
    $refused = $r[-1];
    return !grep { $_->{status} != 401 } @r;
}, 20, 0.3);
Test::More::ok(defined $took, 'after the reload (SIGHUP) the old key\'s token is refused by every worker') or Test::More::diag("last: $refused->{status} $refused->{body}");
SessionTest::refused($refused, 'token_invalid', 'the retired key\'s token', bearer => 1);
SessionTest::refused(SessionTest::req('GET', '/api/x', SessionTest::bearer($main::Saved{old_forged})), 'token_invalid', 'the forged old-key token of TEST 5', bearer => 1);
SessionTest::passes(SessionTest::req('GET', '/api/x', SessionTest::bearer($main::Saved{new})), 'the new key\'s token after the reload');
my $n = SessionTest::token('dana');
Test::More::is(SessionTest::decode($n)->{header}{kid}, '2026-12', 'after the reload the new key signs');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 7: rotation: started with only the new key, the old key's tokens (minted and forged) are token_invalid, the new key's pass
--- http_config eval
SessionTest::http_config(keys => [qw(new)], ttl => '15m', cookie => 'name=__Host-webauthn samesite=strict')
--- config eval: $SessionTest::Config
--- init
SessionTest::refused(SessionTest::req('GET', '/api/x', SessionTest::bearer($main::Saved{old_minted})), 'token_invalid', 'a token the old key signed in TEST 6', bearer => 1);
SessionTest::refused(SessionTest::req('GET', '/api/x', SessionTest::bearer($main::Saved{old_forged})), 'token_invalid', 'the old-key token of TEST 5', bearer => 1);
SessionTest::passes(SessionTest::req('GET', '/api/x', SessionTest::bearer($main::Saved{new})), 'the new key\'s token of TEST 5');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 8: auth_webauthn_roles: any one role passes; authenticated without one is 403 role_forbidden (token or assertion), never 401; not authenticated is 401
--- http_config eval: $SessionTest::HttpConfig
--- config eval: $SessionTest::Config
--- init
my $dana = SessionTest::token('dana');
my $rita = SessionTest::token('rita');
SessionTest::passes(SessionTest::req('GET', '/roles/x', SessionTest::bearer($dana)), 'dana (deployer), token');
SessionTest::refused(SessionTest::req('GET', '/roles/x', SessionTest::bearer($rita)), 'role_forbidden', 'rita (reader), token', status => 403);
SessionTest::refused(SessionTest::req('GET', '/roles/x', SessionTest::cookie($rita)), 'role_forbidden', 'rita (reader), cookie', status => 403);
SessionTest::refused(SessionTest::req('GET', '/roles/x', SessionTest::assertion('rita')), 'role_forbidden', 'rita (reader), assertion', status => 403);
SessionTest::passes(SessionTest::req('GET', '/roles/x', SessionTest::assertion('dana')), 'dana (deployer), assertion');
SessionTest::refused(SessionTest::req('GET', '/roles/x'), 'credential_missing', 'no credentials');
SessionTest::refused(SessionTest::req('GET', '/roles/x', SessionTest::bearer(SessionTest::forge($rita, '--key', 'evil', '--kid', '2026-12'))), 'token_invalid', 'a forged token', bearer => 1);
SessionTest::refused(SessionTest::req('GET', '/roles/x', SessionTest::bearer(SessionTest::forge($rita, '--set', 'roles=["deployer"]', '--keep-signature'))), 'token_invalid', 'rita\'s token claiming deployer, not re-signed', bearer => 1);
SessionTest::refused(SessionTest::req('GET', '/roles/x', SessionTest::bearer(SessionTest::forge($dana, '--key', 'new', '--set-now', 'exp=-40', '--set-now', 'iat=-940'))), 'token_expired', 'dana\'s expired token', bearer => 1);
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 9: step-up: max_age 0 takes only an assertion in this request; max_age 3s refuses a token whose auth_time is older, with a fresh challenge that then passes
--- http_config eval: $SessionTest::HttpConfig
--- config eval: $SessionTest::Config
--- init
my $tok = SessionTest::token('dana');
SessionTest::refused(SessionTest::req('GET', '/fresh/x', SessionTest::bearer($tok)), 'reauthentication_required', 'max_age 0, a token minted a moment ago', bearer => 'insufficient_user_authentication');
SessionTest::refused(SessionTest::req('GET', '/fresh/x', SessionTest::cookie($tok)), 'reauthentication_required', 'max_age 0, the cookie', bearer => 'insufficient_user_authentication');
my $as = SessionTest::req('GET', '/fresh/x', SessionTest::assertion('dana'));
SessionTest::passes($as, 'max_age 0, an assertion');
Test::More::is_deeply(SessionTest::upstream($as)->{'x-method'}, ['assertion'], 'as an assertion');
SessionTest::passes(SessionTest::req('GET', '/recent/x', SessionTest::bearer($tok)), 'max_age 3s, a fresh token');
SessionTest::passes(SessionTest::req('GET', '/api/x', SessionTest::bearer(SessionTest::forge($tok, '--key', 'new', '--set-now', 'auth_time=-3600'))), 'auth_time an hour ago, no max age');
SessionTest::refused(SessionTest::req('GET', '/recent/x', SessionTest::bearer(SessionTest::forge($tok, '--key', 'new', '--set-now', 'auth_time=-3600'))), 'reauthentication_required', 'max_age 3s, auth_time an hour ago (iat and exp current)', bearer => 'insufficient_user_authentication');
Time::HiRes::sleep(4.5);
my $r = SessionTest::req('GET', '/recent/x', SessionTest::bearer($tok));
SessionTest::refused($r, 'reauthentication_required', 'max_age 3s, the token 4.5 s later', bearer => 'insufficient_user_authentication');
SessionTest::passes(SessionTest::req('GET', '/api/x', SessionTest::bearer($tok)), 'the same token where no max age applies');
my $c = WebAuthnTest::challenge_of($r->{body} // '');
SessionTest::passes(SessionTest::req('GET', '/recent/x', SessionTest::assertion('dana', challenge => $c // 'none')), 'an assertion of the refusal\'s challenge');
SessionTest::passes(SessionTest::req('GET', '/recent/x', SessionTest::bearer(SessionTest::token('dana'))), 'a new token');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 10: auth_webauthn_user_verification required applies to tokens: a token of an assertion without UV (uv false) is user_not_verified there
--- http_config eval: $SessionTest::HttpConfig
--- config eval: $SessionTest::Config
--- init
my $r = SessionTest::mint('rita', uv => 0);
SessionTest::passes($r, 'an assertion without UV buys a token (preferred)');
my $nouv = $r->{token};
my ($ok, $d) = SessionTest::verify($nouv, 'new');
Test::More::ok($ok && JSON::PP::is_bool($d->{claims}{uv}) && !$d->{claims}{uv}, 'uv: false');
SessionTest::refused(SessionTest::req('GET', '/uv/x', SessionTest::bearer($nouv)), 'user_not_verified', 'the token without UV at a required location');
my $p = SessionTest::req('GET', '/api/x', SessionTest::bearer($nouv));
SessionTest::passes($p, 'the token without UV where it is preferred');
Test::More::is_deeply(SessionTest::upstream($p)->{'x-uv'}, ['0'], '$webauthn_user_verified 0');
SessionTest::passes(SessionTest::req('GET', '/uv/x', SessionTest::bearer(SessionTest::token('rita'))), 'a token with UV at the required location');
SessionTest::refused(SessionTest::req('GET', '/uv/x', SessionTest::bearer(SessionTest::forge($nouv, '--set', 'uv=true', '--keep-signature'))), 'token_invalid', 'uv set true without re-signing', bearer => 1);
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 11: auth_webauthn_preflight on: an OPTIONS with Origin and Access-Control-Request-Method passes without credentials; without the directive, or not a preflight, 401
--- http_config eval: $SessionTest::HttpConfig
--- config eval: $SessionTest::Config
--- init
my @pre = ('Origin: http://localhost', 'Access-Control-Request-Method: GET');
my $r = SessionTest::req('OPTIONS', '/pre/x', \@pre);
SessionTest::passes($r, 'a preflight with preflight on');
Test::More::is($r->{json} && $r->{json}{method}, 'OPTIONS', 'it reached the upstream');
Test::More::is_deeply(SessionTest::hv(SessionTest::upstream($r), qw(x-user x-method)), [ '', '' ], 'with no identity');
SessionTest::refused(SessionTest::req('OPTIONS', '/api/x', \@pre), 'credential_missing', 'a preflight without preflight on');
SessionTest::refused(SessionTest::req('OPTIONS', '/pre/x', [ 'Origin: http://localhost' ]), 'credential_missing', 'OPTIONS without Access-Control-Request-Method');
SessionTest::refused(SessionTest::req('OPTIONS', '/pre/x', [ 'Access-Control-Request-Method: GET' ]), 'credential_missing', 'OPTIONS without Origin');
SessionTest::refused(SessionTest::req('GET', '/pre/x', \@pre), 'credential_missing', 'a GET with the preflight headers');
SessionTest::passes(SessionTest::req('GET', '/pre/x', SessionTest::bearer(SessionTest::token('dana'))), 'a GET with a token at the preflight location');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 12: a WebSocket upgrade through an authenticated location: with a Bearer token (or the cookie from an allowed origin) 101 and echoes, the upstream told the module's user and not the token; without credentials, with a forged token or the cookie from another origin 401
--- http_config eval: $SessionTest::HttpConfig
--- config eval: $SessionTest::Config
--- init
my $tok = SessionTest::token('dana');
my $w = SessionTest::ws('/ws/chat', SessionTest::bearer($tok), 'X-WebAuthn-User: admin');
Test::More::is($w->{status}, 101, 'Bearer: 101 Switching Protocols') or Test::More::diag(JSON::PP->new->canonical->encode($w));
Test::More::ok($w->{accept_ok}, 'Bearer: Sec-WebSocket-Accept is right');
my $first = ref $w->{first} eq 'HASH' ? $w->{first} : {};
Test::More::is($first->{echo}, 'hello over the gateway', 'Bearer: the first message echoed');
Test::More::is($w->{second}, 'hello over the gateway', 'Bearer: the second message echoed');
Test::More::ok(!$w->{server_masked}, 'Bearer: the server\'s frames unmasked');
my $u = SessionTest::upstream($first);
Test::More::is_deeply($u->{'x-webauthn-user'}, ['dana'], 'the upstream got X-WebAuthn-User from $webauthn_user, not the client\'s');
Test::More::ok(!$u->{authorization}, 'the upstream got no Authorization');
Test::More::unlike(JSON::PP->new->encode($first), qr/\Q$tok\E/, 'nor the token anywhere');
Test::More::is_deeply($u->{upgrade}, ['websocket'], 'the upstream got Upgrade: websocket');
my $n = SessionTest::ws('/ws/chat');
Test::More::is($n->{status}, 401, 'no credentials: 401');
Test::More::like($n->{body} // '', qr/"code"\s*:\s*"credential_missing"/, 'no credentials: credential_missing');
my $f = SessionTest::ws('/ws/chat', SessionTest::bearer(SessionTest::forge($tok, '--key', 'evil', '--kid', '2026-12')));
Test::More::is($f->{status}, 401, 'a forged token: 401');
Test::More::like($f->{body} // '', qr/"code"\s*:\s*"token_invalid"/, 'a forged token: token_invalid');
my $c = SessionTest::ws('/ws/chat', SessionTest::cookie($tok), 'Origin: http://localhost');
Test::More::is($c->{status}, 101, 'the cookie from http://localhost: 101');
Test::More::is(ref $c->{first} eq 'HASH' && $c->{first}{echo}, 'hello over the gateway', 'the cookie from http://localhost: echoed');
my $x = SessionTest::ws('/ws/chat', SessionTest::cookie($tok), 'Origin: http://evil.example');
Test::More::is($x->{status}, 401, 'the cookie from another origin (cross-site WebSocket hijacking): 401');
Test::More::like($x->{body} // '', qr/"code"\s*:\s*"origin_not_allowed"/, 'the cookie from another origin: origin_not_allowed');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 13: a client sending the identity headers itself (X-User, X-WebAuthn-User, X-Roles) gets the module's values upstream, one of each
--- http_config eval: $SessionTest::HttpConfig
--- config eval: $SessionTest::Config
--- init
my @inject = ('X-User: admin', 'X-WebAuthn-User: admin', 'X-Roles: admin', 'X-Method: assertion');
my $tok = SessionTest::token('rita');
for my $how ([ 'Bearer', SessionTest::bearer($tok) ], [ 'cookie', SessionTest::cookie($tok) ], [ 'assertion', SessionTest::assertion('rita') ]) {
    my $r = SessionTest::req('GET', '/api/x', [ $how->[1], @inject ]);
    SessionTest::passes($r, "$how->[0] with injected headers");
    my $u = SessionTest::upstream($r);
    Test::More::is_deeply([ map { $u->{$_} } qw(x-user x-webauthn-user x-roles) ], [ ['rita'], ['rita'], ['reader'] ], "$how->[0]: the upstream sees the module's user and roles only") or Test::More::diag($r->{body});
    Test::More::is_deeply($u->{'x-method'}, [ $how->[0] eq 'assertion' ? 'assertion' : 'session' ], "$how->[0]: and its auth method");
}
my $n = SessionTest::req('GET', '/api/x', \@inject);
SessionTest::refused($n, 'credential_missing', 'the injected headers alone');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 14: revocation: a credential revoked through the admin API, and a deleted user, stop their tokens within the bound (credential_revoked), at every worker; others' tokens go on
--- http_config eval: $SessionTest::HttpConfig
--- config eval: $SessionTest::Config
--- init
my %t = map { $_ => SessionTest::token($_) } qw(ron gus kim);
for my $k (sort keys %t) {
    SessionTest::passes(SessionTest::req('GET', '/api/x', SessionTest::bearer($t{$k})), "$k\'s token before");
}
my $rid = WebAuthnTest::cred_id('ron');
my @cases = (
    [ 'ron', 'the revoked credential\'s token', sub {
        my $rv = SessionTest::req('POST', "/webauthn/admin/credentials/$rid/revoke", '', '');
        Test::More::is($rv->{status}, 200, 'revoked through the admin API') or Test::More::diag($rv->{body});
    } ],
    [ 'gus', 'the deleted user\'s token', sub {
        my $del = SessionTest::req('DELETE', '/webauthn/admin/users/gus');
        Test::More::is($del->{status}, 204, 'gus deleted through the admin API') or Test::More::diag($del->{body});
    } ],
);
for my $case (@cases) {
    my ($k, $what, $act) = @$case;
    $act->();
    my $last;
    my $took = SessionTest::poll(sub {
        $last = SessionTest::req('GET', '/api/x', SessionTest::bearer($t{$k}));
        return $last->{status} != 200;
    }, $SessionTest::RevokeBound + 5, 0.25);
    Test::More::ok(defined $took && $took <= $SessionTest::RevokeBound, "$what: refused within the ${SessionTest::RevokeBound} s bound") or Test::More::diag("still $last->{status}");
    Test::More::ok(defined $took && $took <= $SessionTest::RevokeReadme + 1.5, "$what: refused within README's 5 s (+1.5 s for the requests; took " . sprintf('%.1f', $took // -1) . ' s)');
    SessionTest::refused($last, 'credential_revoked', $what);
    # every worker has it: the next requests, wherever they land, are refused
    Time::HiRes::sleep($SessionTest::Refresh + 1);
    my @s = map { SessionTest::req('GET', '/api/x', SessionTest::bearer($t{$k}))->{status} } 1 .. 12;
    Test::More::is_deeply(\@s, [ (401) x 12 ], "$what: refused by every worker a refresh later");
    my $c = SessionTest::req('GET', '/api/x', SessionTest::cookie($t{$k}));
    Test::More::is(SessionTest::code_of($c), 'credential_revoked', "$what: as the cookie too");
}
SessionTest::refused(SessionTest::req('GET', '/api/x', SessionTest::assertion('ron')), 'credential_revoked', 'an assertion of the revoked credential');
my @k = map { SessionTest::req('GET', '/api/x', SessionTest::bearer($t{kim}))->{status} } 1 .. 6;
Test::More::is_deeply(\@k, [ (200) x 6 ], 'kim\'s token goes on');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 15: 50 token requests send Redis nothing per request: only the periodic revocation read (ZRANGE), at most one per worker per refresh interval
--- http_config eval: $SessionTest::HttpConfig
--- config eval: $SessionTest::Config
--- init
my $tok = SessionTest::token('dana');
my $cid = WebAuthnTest::cred_id('dana');
SessionTest::passes(SessionTest::req('GET', '/api/x', SessionTest::bearer($tok)), 'warm');
my @ctl = @{ WebAuthnTest::monitor_redis('main', sub { SessionTest::req('GET', '/api/x', SessionTest::assertion('dana')) }) };
Test::More::cmp_ok(scalar(grep { !/"ZRANGE/i } @ctl), '>=', 1, 'control: the monitor sees an assertion\'s commands');
my ($t0, $t1, @st);
my $lines = WebAuthnTest::monitor_redis('main', sub {
    $t0 = Time::HiRes::time();
    for my $i (1 .. 50) {
        push @st, SessionTest::req('GET', '/api/x', ($i % 2 ? SessionTest::bearer($tok) : SessionTest::cookie($tok)))->{status};
        Time::HiRes::sleep(0.13);
    }
    $t1 = Time::HiRes::time();
});
Test::More::is_deeply(\@st, [ (200) x 50 ], '50 token requests pass');
my @other = grep { !/"ZRANGE/i } @$lines;
Test::More::is(scalar @other, 0, 'no command but ZRANGE') or Test::More::diag(join "\n", @other[0 .. ($#other > 9 ? 9 : $#other)]);
Test::More::ok(!grep({ /\Q$cid\E/ } @$lines), 'nothing about the credential');
my $z = grep { /"ZRANGE/i } @$lines;
my $max = 2 * (int(($t1 - $t0) / $SessionTest::Refresh) + 2);
Test::More::cmp_ok($z, '<=', $max, sprintf('at most one ZRANGE per worker per %d s (%d in %.1f s, 2 workers)', $SessionTest::Refresh, $z, $t1 - $t0));
Test::More::cmp_ok($z, '>=', 1, 'sanity: the periodic read is seen over more than one interval');
my $s0 = WebAuthnTest::commandstats();
SessionTest::req('GET', '/api/x', SessionTest::bearer($tok)) for 1 .. 20;
my $s1 = WebAuthnTest::commandstats();
my @grew = grep { !/^(zrange\w*|info)$/ && ($s1->{$_} // 0) > ($s0->{$_} // 0) } sort keys %$s1;
Test::More::is("@grew", '', 'INFO commandstats: 20 more token requests, no other command counted');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 16: Redis down: tokens keep working while the revocation data is younger than the bound, then 503 store_unavailable; back when Redis is
--- http_config eval: $SessionTest::HttpConfig
--- config eval: $SessionTest::Config
--- timeout: 20
--- init
my $tok = SessionTest::token('dana');
SessionTest::passes(SessionTest::req('GET', '/api/x', SessionTest::bearer($tok)), 'with Redis');
# let both workers read the list just now
Time::HiRes::sleep($SessionTest::Refresh + 0.5);
WebAuthnTest::stop_redis('main');
my $t0 = Time::HiRes::time();
SessionTest::passes(SessionTest::req('GET', '/api/x', SessionTest::bearer($tok)), 'right after Redis stops');
my $as = SessionTest::req('GET', '/api/x', SessionTest::assertion('dana'));
Test::More::is($as->{status}, 503, 'an assertion: 503 (it needs Redis)');
my (@early, $first503);
my $safe = $SessionTest::StaleBound - $SessionTest::Refresh - 2;
my $took = SessionTest::poll(sub {
    my $r = SessionTest::req('GET', '/api/x', SessionTest::bearer($tok));
    my $at = Time::HiRes::time() - $t0;
    push @early, "$r->{status} at " . sprintf('%.1f', $at) if $at < $safe && $r->{status} != 200;
    $first503 = $r if $r->{status} == 503;
    return $r->{status} != 200;
}, $SessionTest::StaleBound + 2 * $SessionTest::Refresh + 5, 0.5);
Test::More::is("@early", '', "tokens pass for the first $safe s without Redis");
Test::More::ok(defined $took && $took <= $SessionTest::StaleBound + $SessionTest::Refresh + 3, 'refused once the data is older than the bound (' . sprintf('%.1f', $took // -1) . ' s)');
SessionTest::refused($first503 // { status => 0, h => {}, headers => {}, body => '' }, 'store_unavailable', 'stale revocation data', status => 503);
Test::More::is($first503 && $first503->{h}{'retry-after'}, '1', 'Retry-After: 1');
Time::HiRes::sleep($SessionTest::Refresh + 1);
my @s = map { SessionTest::req('GET', '/api/x', SessionTest::bearer($tok))->{status} } 1 .. 8;
Test::More::is_deeply(\@s, [ (503) x 8 ], 'refused by every worker');
WebAuthnTest::start_redis('main');
my $back = SessionTest::poll(sub {
    my @r = map { SessionTest::req('GET', '/api/x', SessionTest::bearer($tok))->{status} } 1 .. 4;
    return !grep { $_ != 200 } @r;
}, 3 * $SessionTest::Refresh, 0.5);
Test::More::ok(defined $back, 'tokens pass again once Redis is back (' . sprintf('%.1f', $back // -1) . ' s)');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 17: a gateway that never could read the revocation list (Redis unreachable from the start) takes no token: 503 store_unavailable
--- http_config eval
my $c = $SessionTest::HttpConfig;
$c =~ s/TEST_NGINX_REDIS_PORT/TEST_NGINX_DEAD_PORT/ or die;
$c
--- config eval: $SessionTest::Config
--- init
Time::HiRes::sleep(1);
my $t = $main::Saved{new};
Test::More::ok((SessionTest::verify($t, 'new'))[0] && SessionTest::decode($t)->{claims}{exp} > time + 60, 'a valid token of the configured key');
SessionTest::refused(SessionTest::req('GET', '/api/x', SessionTest::bearer($t)), 'store_unavailable', 'no revocation list ever read', status => 503);
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]
