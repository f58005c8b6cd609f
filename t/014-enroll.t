# vi:filetype=perl

# Enrollment: an invitation (or a fresh assertion of the same user) gets
# creation options, the test authenticator (tools/webauthn-softkey
# register, sharing no code with the module) answers them with none,
# packed self, packed with a chain from a test CA, or fido-u2f
# attestation, webauthn_register verifies and stores the credential, and
# an assertion of it then passes auth_webauthn.  Every refusal code of
# the registration is produced here at least once.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use EnrollTest;
use Digest::SHA ();
use JSON::PP ();

repeat_each(1);
no_shuffle();
master_on();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 10);
add_block_preprocessor(\&WebAuthnTest::preprocess);

run_tests();

__DATA__

=== TEST 1: creation options for an invitation: WebAuthn L3 PublicKeyCredentialCreationOptionsJSON with a registration challenge bound to it
--- http_config eval: $EnrollTest::HttpConfig
--- config eval: $EnrollTest::Config
--- init
my $token = EnrollTest::invite('olive', display => 'Olive Oyl', roles => 'reader');
my $handle = WebAuthnTest::redis_cmd('main', 'HGET', 'webauthn:user:{olive}', 'user_handle');
my $r = EnrollTest::options(EnrollTest::inv($token));
Test::More::is($r->{status}, 200, 'options: 200');
Test::More::is($r->{headers}{'cache-control'}, 'no-store', 'not cached');
my $o = $r->{json} || {};
Test::More::is_deeply($o->{rp}, { id => 'localhost', name => 'Example Corp' }, 'rp: id and webauthn_rp_name');
Test::More::is_deeply($o->{user}, { id => $handle, name => 'olive', displayName => 'Olive Oyl' }, 'user: the invitation\'s handle, name and display name');
Test::More::is_deeply([ map { $_->{alg} } @{ $o->{pubKeyCredParams} || [] } ], [ -7, -8, -35, -36, -37, -257 ], 'the algorithms the module verifies, ES256 and EdDSA first');
Test::More::is_deeply([ map { $_->{type} } @{ $o->{pubKeyCredParams} || [] } ], [ ('public-key') x 6 ], 'public-key types');
Test::More::is($o->{attestation}, 'none', 'webauthn_attestation none asks for none');
Test::More::is_deeply($o->{authenticatorSelection}, { residentKey => 'preferred', userVerification => 'preferred' }, 'authenticatorSelection');
Test::More::is_deeply($o->{excludeCredentials}, [], 'nothing to exclude yet');
Test::More::is($o->{timeout}, 1800000, 'timeout: webauthn_challenge_timeout');
my $c = WebAuthnTest::b64url_decode($o->{challenge} // '');
Test::More::is(length $c, 65, 'a sealed challenge');
Test::More::is(ord(substr($c, 0, 1)), 3, 'of the registration kind (version 3)');
my $t = EnrollTest::options(EnrollTest::inv($token), '/trusted');
Test::More::is($t->{json} && $t->{json}{attestation}, 'direct', 'webauthn_attestation trusted asks for direct');
my $u = EnrollTest::options(EnrollTest::inv($token), '/uv');
Test::More::is($u->{json} && $u->{json}{authenticatorSelection}{userVerification}, 'required', 'auth_webauthn_user_verification sets userVerification');
my $bad = EnrollTest::options(EnrollTest::inv('nope'));
Test::More::is($bad->{status}, 401, 'an unknown invitation: 401');
Test::More::is(EnrollTest::code_of($bad), 'invitation_invalid', 'invitation_invalid');
Test::More::like($bad->{headers}{'www-authenticate'} // '', qr/^Invitation/, 'WWW-Authenticate names the Invitation scheme');
my $none = WebAuthnTest::http_request('POST', '/webauthn/register/options', '', '');
Test::More::is($none->{status}, 401, 'no credentials at all: 401');
my $get = WebAuthnTest::http_request('GET', '/webauthn/register/options', EnrollTest::inv($token));
Test::More::is($get->{status}, 405, 'GET: 405');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 2: the full ceremony with none attestation stores the credential in the schema, consumes the invitation, and an assertion of it passes auth_webauthn
--- http_config eval: $EnrollTest::HttpConfig
--- config eval: $EnrollTest::Config
--- init
my $r = EnrollTest::enroll_user('alice', 'alice1', roles => 'reader deployer', args => [ '--backup-eligible' ]);
Test::More::is($r->{status}, 201, 'registered: 201') or Test::More::diag($r->{body});
my $key = WebAuthnTest::key('alice1');
my $j = $r->{json} || {};
Test::More::is($j->{id}, $key->{credential_id}, 'the credential id');
Test::More::is($j->{user_name}, 'alice', 'the user name');
Test::More::is($j->{attestation_format}, 'none', 'the format');
Test::More::is($j->{aaguid}, '00000000-0000-0000-0000-000000000000', 'the AAGUID');
my %rec = @{ WebAuthnTest::redis_cmd('main', 'HGETALL', "webauthn:cred:{$key->{credential_id}}") };
Test::More::is($rec{user_name}, 'alice', 'stored: user_name');
Test::More::is($rec{roles}, 'reader deployer', 'stored: the invitation\'s roles');
Test::More::is($rec{user_handle}, WebAuthnTest::redis_cmd('main', 'HGET', 'webauthn:user:{alice}', 'user_handle'), 'stored: the user\'s handle');
Test::More::is($rec{user_handle}, $key->{user_handle}, 'the handle the authenticator was given');
Test::More::is($rec{sign_count}, '0', 'stored: sign_count');
Test::More::is($rec{attestation_format}, 'none', 'stored: attestation_format');
Test::More::is($rec{transports}, 'usb', 'stored: transports');
Test::More::is($rec{backup_eligible}, '1', 'stored: backup_eligible');
Test::More::is($rec{backup_state}, '0', 'stored: backup_state');
Test::More::cmp_ok(abs(($rec{created} // 0) - time), '<', 60, 'stored: created');
Test::More::ok(length($rec{public_key} // '') > 60, 'stored: public_key');
Test::More::is_deeply(WebAuthnTest::redis_cmd('main', 'SMEMBERS', 'webauthn:user_creds:{alice}'), [ $key->{credential_id} ], 'the user\'s credentials');
my $hash = Digest::SHA::sha256_hex($r->{token});
Test::More::is(WebAuthnTest::redis_cmd('main', 'EXISTS', "webauthn:invite:{$hash}"), 0, 'the invitation is consumed');
Test::More::is_deeply(WebAuthnTest::redis_cmd('main', 'ZRANGE', 'webauthn:user_invites:{alice}', 0, -1), [], 'and no longer open');
my $a = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'alice1', counter => 1));
Test::More::is($a->{status}, 200, 'an assertion of the new credential passes');
Test::More::like($a->{body} // '', qr/user=alice roles=reader deployer/, 'as alice, with her roles');
my $again = EnrollTest::register(EnrollTest::inv($r->{token}), EnrollTest::create(EnrollTest::options(EnrollTest::inv(EnrollTest::invite('bob')))->{json}, 'bob1'));
Test::More::is($again->{status}, 401, 'the used invitation again: 401');
Test::More::is(EnrollTest::code_of($again), 'invitation_invalid', 'invitation_invalid');
my $used = EnrollTest::options(EnrollTest::inv($r->{token}));
Test::More::is($used->{status}, 401, 'a used invitation gets no options');
--- request
GET /webauthn/challenge
--- error_code: 200
--- error_log
registered credential
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 3: packed self, packed with a chain from the test CA, and fido-u2f: stored with their format; under "trusted" the CA's chain passes, an unconfigured CA, a root inside x5c and a self-signed leaf do not
--- http_config eval: $EnrollTest::HttpConfig
--- config eval: $EnrollTest::Config
--- init
my $self = EnrollTest::enroll_user('carol', 'carol-self', args => [ '--attestation', 'packed-self' ]);
Test::More::is($self->{status}, 201, 'packed self: 201') or Test::More::diag($self->{body});
Test::More::is($self->{json} && $self->{json}{attestation_format}, 'packed', 'packed self: format');
my $x5c = EnrollTest::enroll_user('carol', 'carol-x5c', args => [ EnrollTest::ca_args('t'), '--aaguid', 'cb69481e-8ff7-4039-93ec-0a2729a154a8' ]);
Test::More::is($x5c->{status}, 201, 'packed x5c: 201') or Test::More::diag($x5c->{body});
Test::More::is($x5c->{json} && $x5c->{json}{aaguid}, 'cb69481e-8ff7-4039-93ec-0a2729a154a8', 'packed x5c: its AAGUID');
my $u2f = EnrollTest::enroll_user('carol', 'carol-u2f', args => [ EnrollTest::ca_args('t', 'fido-u2f') ]);
Test::More::is($u2f->{status}, 201, 'fido-u2f: 201') or Test::More::diag($u2f->{body});
Test::More::is($u2f->{json} && $u2f->{json}{attestation_format}, 'fido-u2f', 'fido-u2f: format');
my $tr = EnrollTest::enroll_user('dave', 'dave-tr', prefix => '/trusted', args => [ EnrollTest::ca_args('t') ]);
Test::More::is($tr->{status}, 201, 'trusted: a chain to the configured anchor passes') or Test::More::diag($tr->{body});
my $tu = EnrollTest::enroll_user('dave', 'dave-tu', prefix => '/trusted', args => [ EnrollTest::ca_args('t', 'fido-u2f') ]);
Test::More::is($tu->{status}, 201, 'trusted: fido-u2f from the anchor passes') or Test::More::diag($tu->{body});
for my $case ([ 'another CA', [ EnrollTest::ca_args('other') ] ],
              [ 'its root inside x5c', [ EnrollTest::ca_args('other'), '--root-in-x5c', "$EnrollTest::W/ca/other-root.pem" ] ],
              [ 'a self-signed leaf', [ '--attestation', 'packed', '--self-signed-leaf' ] ],
              [ 'self attestation', [ '--attestation', 'packed-self' ] ],
              [ 'no attestation', [ '--attestation', 'none' ] ]) {
    my ($what, $args) = @$case;
    my $before = EnrollTest::dump_redis();
    my $r = EnrollTest::enroll_user('erin', 'erin-bad', prefix => '/trusted', args => $args);
    Test::More::is($r->{status}, 400, "trusted, $what: 400");
    Test::More::is(EnrollTest::code_of($r), 'attestation_untrusted', "trusted, $what: attestation_untrusted");
}
my $inv = EnrollTest::enroll_user('carol', 'carol-inv', prefix => '/inv');
Test::More::is($inv->{status}, 201, '"auth_webauthn off" in the location: invitations still enroll') or Test::More::diag($inv->{body});
my $noa = EnrollTest::options(WebAuthnTest::authz(key => 'carol-self', counter => 1), '/inv');
Test::More::is(EnrollTest::code_of($noa), 'invitation_invalid', '"auth_webauthn off" in the location: no assertion is taken');
for my $k (qw(carol-self carol-x5c carol-u2f carol-inv)) {
    my $a = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $k, counter => 1));
    Test::More::is($a->{status}, 200, "an assertion of $k passes");
}
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 4: every refusal of the ceremony has its code, stores nothing and leaves the invitation usable
--- http_config eval: $EnrollTest::HttpConfig
--- config eval: $EnrollTest::Config
--- init
WebAuthnTest::enroll('taken', alg => 'es256', user => 'someone-else');
my $assertion_challenge = WebAuthnTest::fetch_challenge();
my @cases = (
    [ 'client data type', [ '--type', 'webauthn.get' ], 'client_data_invalid' ],
    [ 'an assertion challenge', [ "--challenge=$assertion_challenge" ], 'challenge_invalid', 'for an assertion' ],
    [ 'origin', [ '--origin', 'https://evil.example' ], 'origin_not_allowed' ],
    [ 'rp id', [ '--rp-id', 'evil.example' ], 'rp_id_mismatch' ],
    [ 'no UP', [ '--no-up' ], 'user_not_present' ],
    [ 'AT clear', [ '--no-at' ], 'attestation_malformed' ],
    [ 'a 1024 byte credential id', [ '--cred-id-len', '1024' ], 'attestation_malformed' ],
    [ 'BS without BE', [ '--bs-without-be' ], 'attestation_malformed' ],
    [ 'a COSE key not matching its alg', [ '--cose-alg-mismatch' ], 'attestation_malformed' ],
    [ 'an unknown format', [ '--fmt', 'bogus' ], 'attestation_malformed' ],
    [ 'a bad self signature', [ '--attestation', 'packed-self', '--bad-sig' ], 'attestation_invalid' ],
    [ 'a bad x5c signature', [ EnrollTest::ca_args('t'), '--bad-sig' ], 'attestation_invalid' ],
    [ 'an AAGUID differing from the certificate\'s', [ EnrollTest::ca_args('t'), '--cert-aaguid', 'cb69481e-8ff7-4039-93ec-0a2729a154a8' ], 'attestation_invalid' ],
    [ 'a taken credential id', [ '--cred-id=' . WebAuthnTest::cred_id('taken') ], 'credential_exists' ],
);
my $token = EnrollTest::invite('frank');
my $m0 = EnrollTest::metrics();
for my $case (@cases) {
    my ($what, $args, $code, $detail) = @$case;
    my $opts = EnrollTest::options(EnrollTest::inv($token));
    my $before = EnrollTest::dump_redis();
    my $r = EnrollTest::register(EnrollTest::inv($token), EnrollTest::create($opts->{json}, 'frank-bad', @$args));
    Test::More::is(EnrollTest::code_of($r), $code, "$what: $code");
    Test::More::is($r->{status}, $code eq 'credential_exists' ? 409 : 400, "$what: status");
    Test::More::is($r->{headers}{'content-type'}, 'application/problem+json', "$what: problem+json");
    Test::More::like($r->{json} && $r->{json}{detail} // '', qr/\Q$detail\E/, "$what: the detail") if $detail;
    Test::More::is(EnrollTest::dump_redis(), $before, "$what: nothing stored, the invitation kept");
}
my $m1 = EnrollTest::metrics();
for my $code (qw(client_data_invalid challenge_invalid origin_not_allowed rp_id_mismatch user_not_present attestation_invalid credential_exists)) {
    Test::More::is(($m1->{"refused $code"} // 0) - ($m0->{"refused $code"} // 0), scalar(grep { $_->[2] eq $code } @cases), "webauthn_registrations_total counts $code");
}
Test::More::is(($m1->{'refused attestation_malformed'} // 0) - ($m0->{'refused attestation_malformed'} // 0), 5, 'webauthn_registrations_total counts attestation_malformed');
# a key of an algorithm that was not offered: RS1 (-65535) for RS256 (-257)
my $opts = EnrollTest::options(EnrollTest::inv($token));
my $body = JSON::PP::decode_json(EnrollTest::create($opts->{json}, 'frank-rs1', '--alg', 'rs256'));
my $ao = WebAuthnTest::b64url_decode($body->{response}{attestationObject});
Test::More::ok($ao =~ s/\x03\x39\x01\x00/\x03\x39\xff\xfe/, 'the COSE alg rewritten');
$body->{response}{attestationObject} = WebAuthnTest::b64url($ao);
my $rs1 = EnrollTest::register(EnrollTest::inv($token), JSON::PP->new->encode($body));
Test::More::is(EnrollTest::code_of($rs1), 'algorithm_unsupported', 'an algorithm not offered: algorithm_unsupported');
# not JSON at all, and not the shape
for my $case ([ 'not JSON', 'nope' ], [ 'not a credential', '{"id": 1}' ], [ 'empty', '' ]) {
    my $r = EnrollTest::register(EnrollTest::inv($token), $case->[1]);
    Test::More::is(EnrollTest::code_of($r), 'credential_malformed', "$case->[0]: credential_malformed");
}
# a challenge bound to another invitation
my $other = EnrollTest::invite('gina');
my $og = EnrollTest::options(EnrollTest::inv($other));
my $cross = EnrollTest::register(EnrollTest::inv($token), EnrollTest::create($og->{json}, 'frank-cross'));
Test::More::is(EnrollTest::code_of($cross), 'challenge_invalid', 'a challenge of another invitation: challenge_invalid');
Test::More::like($cross->{json} && $cross->{json}{detail} // '', qr/for this enrollment/, 'the detail says so');
# user verification required
my $ou = EnrollTest::options(EnrollTest::inv($token), '/uv');
my $nouv = EnrollTest::register(EnrollTest::inv($token), EnrollTest::create($ou->{json}, 'frank-nouv', '--no-uv'), '/uv');
Test::More::is(EnrollTest::code_of($nouv), 'user_not_verified', 'UV required, not verified: user_not_verified');
# an expired challenge
my $os = EnrollTest::options(EnrollTest::inv($token), '/short');
Time::HiRes::sleep(1.2);
my $late = EnrollTest::register(EnrollTest::inv($token), EnrollTest::create($os->{json}, 'frank-late'), '/short');
Test::More::is(EnrollTest::code_of($late), 'challenge_invalid', 'an expired challenge: challenge_invalid');
# after all that, the invitation still works
my $m2 = EnrollTest::metrics();
my $ok = EnrollTest::register(EnrollTest::inv($token), EnrollTest::create(EnrollTest::options(EnrollTest::inv($token))->{json}, 'frank'));
Test::More::is($ok->{status}, 201, 'the invitation is still good') or Test::More::diag($ok->{body});
Test::More::is(EnrollTest::metrics()->{'registered ok'} - ($m2->{'registered ok'} // 0), 1, 'webauthn_registrations_total counts the registration');
--- request
GET /webauthn/challenge
--- error_code: 200
--- error_log
registration refused: attestation_malformed
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 5: an expired invitation and an unknown one are refused; a replayed registration is refused
--- http_config eval: $EnrollTest::HttpConfig
--- config eval: $EnrollTest::Config
--- init
my $ttl = $ENV{TEST_NGINX_USE_VALGRIND} ? 10 : 2;
my $token = EnrollTest::invite('hank', ttl => $ttl);
my $opts = EnrollTest::options(EnrollTest::inv($token));
Test::More::is($opts->{status}, 200, 'options while the invitation is open');
my $body = EnrollTest::create($opts->{json}, 'hank1');
Time::HiRes::sleep($ttl + 1.1);
my $r = EnrollTest::register(EnrollTest::inv($token), $body);
Test::More::is($r->{status}, 401, 'the invitation expired: 401');
Test::More::is(EnrollTest::code_of($r), 'invitation_invalid', 'invitation_invalid');
my $t2 = EnrollTest::invite('hank');
my $b2 = EnrollTest::create(EnrollTest::options(EnrollTest::inv($t2))->{json}, 'hank2');
my $first = EnrollTest::register(EnrollTest::inv($t2), $b2);
Test::More::is($first->{status}, 201, 'registered once');
my $t3 = EnrollTest::invite('hank');
my $replay = EnrollTest::register(EnrollTest::inv($t3), $b2);
Test::More::is($replay->{status}, 400, 'the same registration with a new invitation: refused');
Test::More::is(EnrollTest::code_of($replay), 'challenge_invalid', 'its challenge is bound to the first invitation');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 6: another device with a fresh assertion of the user's credential: the user's handle and roles, the first credential excluded, and a replay of the registration refused
--- http_config eval: $EnrollTest::HttpConfig
--- config eval: $EnrollTest::Config
--- init
my $r = EnrollTest::enroll_user('ivy', 'ivy1', roles => 'reader admin');
Test::More::is($r->{status}, 201, 'the first device') or Test::More::diag($r->{body});
my $id1 = WebAuthnTest::cred_id('ivy1');
my $opts = EnrollTest::options(WebAuthnTest::authz(key => 'ivy1', counter => 1));
Test::More::is($opts->{status}, 200, 'options for an assertion');
Test::More::is_deeply($opts->{json} && $opts->{json}{excludeCredentials}, [ { type => 'public-key', id => $id1 } ], 'the first device is excluded');
Test::More::is($opts->{json} && $opts->{json}{user}{id}, WebAuthnTest::user_handle('ivy1'), 'the same user handle');
my $body = EnrollTest::create($opts->{json}, 'ivy2');
my $spent = EnrollTest::register(WebAuthnTest::authz(key => 'ivy1', counter => 1), $body);
Test::More::is($spent->{status}, 401, 'the options\' assertion again: refused');
my $two = EnrollTest::register(WebAuthnTest::authz(key => 'ivy1', counter => 2), $body);
Test::More::is($two->{status}, 201, 'a fresh assertion registers the second device') or Test::More::diag($two->{body});
my %rec = @{ WebAuthnTest::redis_cmd('main', 'HGETALL', 'webauthn:cred:{' . WebAuthnTest::cred_id('ivy2') . '}') };
Test::More::is($rec{roles}, 'reader admin', 'with the user\'s roles');
Test::More::is($rec{user_handle}, WebAuthnTest::user_handle('ivy1'), 'and handle');
Test::More::is_deeply([ sort @{ WebAuthnTest::redis_cmd('main', 'SMEMBERS', 'webauthn:user_creds:{ivy}') } ], [ sort($id1, WebAuthnTest::cred_id('ivy2')) ], 'both devices are the user\'s');
my $a = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'ivy2', counter => 1));
Test::More::is($a->{status}, 200, 'the second device passes auth_webauthn');
my $replay = EnrollTest::register(WebAuthnTest::authz(key => 'ivy1', counter => 3), $body);
Test::More::is($replay->{status}, 400, 'the registration replayed with a fresh assertion: refused');
Test::More::is(EnrollTest::code_of($replay), 'challenge_invalid', 'its challenge was used');
Test::More::like($replay->{json} && $replay->{json}{detail} // '', qr/already used/, 'the detail says so');
my $inv = EnrollTest::options(EnrollTest::inv(EnrollTest::invite('jack')));
my $mixed = EnrollTest::register(WebAuthnTest::authz(key => 'ivy1', counter => 4), EnrollTest::create($inv->{json}, 'ivy3'));
Test::More::is(EnrollTest::code_of($mixed), 'challenge_invalid', 'a challenge of an invitation does not pass for an assertion');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 7: an MDS3 BLOB vouches for a model's root, a status report refuses a model, webauthn_aaguid_allow narrows "trusted", GET trust lists what is in use
--- http_config eval: $EnrollTest::MdsHttpConfig
--- config eval: $EnrollTest::Config
--- init
my @other = (EnrollTest::ca_args('other'));
my $ok = EnrollTest::enroll_user('mona', 'mona1', prefix => '/trusted', args => [ @other, '--aaguid', $EnrollTest::MdsOk ]);
Test::More::is($ok->{status}, 201, 'a CA that is no anchor, vouched for by the BLOB for this model: 201') or Test::More::diag($ok->{body});
my $rev = EnrollTest::enroll_user('mona', 'mona2', prefix => '/trusted', args => [ @other, '--aaguid', $EnrollTest::MdsRevoked ]);
Test::More::is(EnrollTest::code_of($rev), 'attestation_untrusted', 'a model the BLOB reports REVOKED: attestation_untrusted');
Test::More::like($rev->{json} && $rev->{json}{detail} // '', qr/metadata service: REVOKED/, 'the detail names the status');
my $unk = EnrollTest::enroll_user('mona', 'mona3', prefix => '/trusted', args => [ @other, '--aaguid', 'cb69481e-8ff7-4039-93ec-0a2729a154a8' ]);
Test::More::is(EnrollTest::code_of($unk), 'attestation_untrusted', 'the same CA for a model the BLOB does not list: attestation_untrusted');
my $in = EnrollTest::enroll_user('nina', 'nina1', prefix => '/allow', args => [ EnrollTest::ca_args('t'), '--aaguid', $EnrollTest::MdsOk ]);
Test::More::is($in->{status}, 201, 'an allowed AAGUID from an anchor: 201') or Test::More::diag($in->{body});
my $out = EnrollTest::enroll_user('nina', 'nina2', prefix => '/allow', args => [ EnrollTest::ca_args('t'), '--aaguid', 'cb69481e-8ff7-4039-93ec-0a2729a154a8' ]);
Test::More::is(EnrollTest::code_of($out), 'attestation_untrusted', 'another AAGUID from the same anchor: attestation_untrusted');
Test::More::like($out->{json} && $out->{json}{detail} // '', qr/webauthn_aaguid_allow/, 'the detail names the allow-list');
my $t = WebAuthnTest::http_request('GET', '/webauthn/admin/trust');
Test::More::is($t->{status}, 200, 'GET trust: 200');
my $j = eval { JSON::PP::decode_json($t->{body}) } || {};
Test::More::is($j->{mds} && $j->{mds}{no}, 7, 'the BLOB in use: its number');
Test::More::is($j->{mds} && $j->{mds}{entries}, 2, 'its entries');
Test::More::cmp_ok(abs((($j->{mds} && $j->{mds}{next_update}) // 0) - (time + 60 * 86400)), '<', 2 * 86400, 'its nextUpdate');
Test::More::ok(($j->{mds} && !$j->{mds}{expired} && !$j->{mds}{expiring}), 'neither expired nor expiring');
Test::More::is_deeply([ map { $_->{subject} =~ /t root CA/ ? 1 : 0 } @{ $j->{anchors} || [] } ], [ 1 ], 'the anchor bundle, its one root, is listed') or Test::More::diag($t->{body});
my $m = WebAuthnTest::http_request('GET', '/metrics');
my %g;
while (($m->{body} // '') =~ /^webauthn_trust_anchor_expiry_seconds\{kind="(\w+)",subject="([^"]*)"\} (-?\d+)$/mg) {
    $g{$1} = [ $2, $3 ];
}
Test::More::like($g{anchor} && $g{anchor}[0], qr/t root CA/, 'webauthn_trust_anchor_expiry_seconds: the anchor');
Test::More::cmp_ok(($g{anchor} && $g{anchor}[1]) // 0, '>', 86400, 'the anchor has days left');
Test::More::cmp_ok(abs((($g{mds_blob} && $g{mds_blob}[1]) // 0) - 60 * 86400), '<', 2 * 86400, 'the BLOB: its nextUpdate, in 60 days');
Test::More::ok($g{mds_signer}, 'and its signer');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]
