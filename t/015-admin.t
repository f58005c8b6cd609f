# vi:filetype=perl

# The admin API (webauthn_admin): invitations, users and their
# credentials, roles, revocation, deletion, the trust in use; every
# refusal is problem+json and changes nothing in Redis.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use Digest::SHA ();
use JSON::PP ();

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5);

our $Admin = <<'_EOC_';
    location /webauthn/admin/ {
        allow 127.0.0.1;
        deny all;
        webauthn_admin;
    }
    location /denied/admin/ {
        deny all;
        webauthn_admin;
    }
_EOC_

# runs after this file's preprocessor: the default config with the admin
# locations
add_block_preprocessor(\&WebAuthnTest::preprocess);
add_block_preprocessor(sub {
    my ($block) = @_;
    $block->set_value('config', $WebAuthnTest::Config . $Admin)
        unless defined $block->config;
});

# nothing listens there
$ENV{TEST_NGINX_DEAD_PORT} = WebAuthnTest::free_port();

our $P = 'webauthn:';

# three trust anchors: valid for years, expiring in 10 days, expired;
# "CN not_before not_after" a line each
$ENV{TEST_NGINX_ANCHORS} = "$WebAuthnTest::WorkDir/anchors.pem";
our @Anchors = map { [split / (?=\d)/] } split /\n/,
    WebAuthnTest::run_cmd($WebAuthnTest::Python, '-c', <<'_PY_',
import datetime, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
out = open(sys.argv[1], 'wb')
for cn, nb, na in (('Long Root', -10, 3650), ('Soon Root', -100, 10),
                   ('Old Root', -400, -1)):
    k = ec.generate_private_key(ec.SECP256R1())
    n = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'Test'),
                   x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = now + datetime.timedelta(days=nb)
    a = now + datetime.timedelta(days=na)
    c = (x509.CertificateBuilder().subject_name(n).issuer_name(n)
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(b).not_valid_after(a)
         .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                        critical=True)
         .sign(k, hashes.SHA256()))
    out.write(c.public_bytes(serialization.Encoding.PEM))
    print(cn, int(b.timestamp()), int(a.timestamp()))
_PY_
    $ENV{TEST_NGINX_ANCHORS});

# credentials, each of one user; a user's share the first one's handle
WebAuthnTest::enroll('c1', alg => 'es256', user => 'carol',
                     roles => 'reader');
WebAuthnTest::enroll('c2', alg => 'eddsa', user => 'carol',
                     roles => 'reader writer',
                     user_handle => WebAuthnTest::user_handle('c1'));
WebAuthnTest::enroll('d1', alg => 'es256', user => 'dave', roles => 'reader');
WebAuthnTest::enroll('e1', alg => 'es256', user => 'erin', roles => 'reader');
WebAuthnTest::enroll('f1', alg => 'es256', user => 'frank',
                     roles => 'reader');
WebAuthnTest::enroll('g1', alg => 'es256', user => 'gina', roles => 'reader');
WebAuthnTest::enroll('h1', alg => 'es256', user => 'hank', roles => 'reader');
WebAuthnTest::enroll('z1', alg => 'es256', user => "Zo\xc3\xab O'Brien",
                     roles => 'reader');

sub redis { WebAuthnTest::redis(@_) }

# seed(USER, KEYS...): the user hash and user_creds of enrolled keys, as
# enrollment writes them (design.md, "Redis schema")
sub seed {
    my ($user, @keys) = @_;
    redis('HSET', "${P}user:{$user}", 'user_handle',
          WebAuthnTest::user_handle($keys[0]), 'display_name', "The $user",
          'created', 1700000000);
    redis('SADD', "${P}user_creds:{$user}", map { WebAuthnTest::cred_id($_) }
          @keys);
}

# admin(METHOD, ROUTE, BODY [, prefix => '/denied/admin/']): the response,
# its JSON decoded in ->{json}; BODY a structure (sent as JSON) or text
sub admin {
    my ($method, $route, $body, %o) = @_;
    $body = JSON::PP->new->canonical->encode($body) if ref $body;
    my @h = defined $body ? ('Content-Type: application/json') : ();
    push @h, "Origin: $o{origin}" if defined $o{origin};
    my $r = WebAuthnTest::http_request($method,
                                       ($o{prefix} // '/webauthn/admin/')
                                       . $route, join("\n", @h), $body);
    $r->{json} = eval { JSON::PP->new->utf8->decode($r->{body}) }
        if ($r->{body} // '') =~ /\S/;
    return $r;
}

# every key of the store with its type and content, for before/after
sub dump_redis {
    my %d;
    for my $k (@{ redis('KEYS', '*') || [] }) {
        my $t = redis('TYPE', $k);
        my $v;
        if ($t eq 'hash') {
            my %h = @{ redis('HGETALL', $k) };
            $v = join "\n", map { "$_=$h{$_}" } sort keys %h;
        } elsif ($t eq 'set') {
            $v = join "\n", sort @{ redis('SMEMBERS', $k) };
        } elsif ($t eq 'zset') {
            $v = join "\n", @{ redis('ZRANGE', $k, 0, -1) };
        } else {
            $v = redis('GET', $k);
        }
        $d{$k} = "$t: " . ($v // '');
    }
    return \%d;
}

# the keys of the dump not about USER (and their credentials, their
# store epochs)
sub others {
    my ($d, $user, @ids) = @_;
    my %skip = map { $_ => 1 } ("${P}user:{$user}", "${P}user_creds:{$user}",
                                "${P}user_invites:{$user}", "${P}revoked",
                                map { ("${P}cred:{$_}", "${P}epoch:{$_}") }
                                @ids);
    return { map { $_ => $d->{$_} }
             grep { !$skip{$_} && !/^\Q${P}invite:\E/ } keys %$d };
}

sub error_log {
    no warnings 'once';
    my $f = $Test::Nginx::Util::ErrLogFile // $Test::Nginx::Socket::ErrLogFile;
    open my $in, '<', $f or return '';
    local $/;
    my $log = <$in>;
    close $in;
    return $log;
}

# a refusal: status, problem+json, the code, the detail
sub refused {
    my ($r, $status, $code, $detail, $name) = @_;
    Test::More::is($r->{status}, $status, "$name: status");
    Test::More::like($r->{headers}{'content-type'} // '',
                     qr{^application/problem\+json}, "$name: problem+json");
    Test::More::is($r->{json} && $r->{json}{code}, $code, "$name: code");
    Test::More::is($r->{json} && $r->{json}{status}, $status,
                   "$name: status member");
    Test::More::like($r->{json} && $r->{json}{detail}, $detail,
                     "$name: detail") if defined $detail;
}

run_tests();

__DATA__

=== TEST 1: an invitation is created: a token of 32 random bytes, its expiry, the new user's handle; Redis keeps only the token's SHA-256
--- init
my $t0 = time;
my $r = main::admin('POST', 'invitations', {user_name => 'alice', display_name => 'Alice Liddell', roles => ['reader', 'ops:admin'], ttl => 3600});
Test::More::is($r->{status}, 201, '201 Created');
Test::More::like($r->{headers}{'content-type'}, qr{^application/json}, 'JSON');
Test::More::is($r->{headers}{'cache-control'}, 'no-store', 'not cached');
my $j = $r->{json} // {};
Test::More::is_deeply([sort keys %$j], [qw(expires token user_handle)], 'token, expires, user_handle');
Test::More::like($j->{token}, qr/^[A-Za-z0-9_-]{43}$/, 'the token: 32 bytes, base64url, unpadded');
Test::More::like($j->{user_handle}, qr/^[A-Za-z0-9_-]{43}$/, 'a new user handle: 32 bytes, base64url');
Test::More::ok($j->{expires} >= $t0 + 3600 && $j->{expires} <= time + 3600, 'expires is now + ttl');
my $hash = Digest::SHA::sha256_hex($j->{token} // '');
my %i = @{ main::redis('HGETALL', "webauthn:invite:{$hash}") || [] };
Test::More::is_deeply(\%i, {user_name => 'alice', display_name => 'Alice Liddell', roles => 'reader ops:admin', user_handle => $j->{user_handle}, expires => $j->{expires}}, 'the invitation is under the SHA-256 hex of the token');
my $ttl = main::redis('TTL', "webauthn:invite:{$hash}");
Test::More::ok($ttl > 3590 && $ttl <= 3600, "the invitation expires with the token ($ttl s)");
Test::More::is(main::redis('EXPIRETIME', "webauthn:invite:{$hash}"), $j->{expires}, 'EXPIREAT its expiry');
my %u = @{ main::redis('HGETALL', 'webauthn:user:{alice}') || [] };
Test::More::is($u{user_handle}, $j->{user_handle}, 'the user is created with the handle');
Test::More::is($u{display_name}, 'Alice Liddell', 'and the display name');
Test::More::ok($u{created} >= $t0 && $u{created} <= time, 'and its creation time');
Test::More::is_deeply(main::redis('ZRANGE', 'webauthn:user_invites:{alice}', 0, -1), [$hash], 'the hash is in the user\'s invitations');
my $d = main::dump_redis();
my @seen = grep { index($_, $j->{token}) >= 0 || index($d->{$_}, $j->{token}) >= 0 } keys %$d;
Test::More::is_deeply(\@seen, [], 'the token is in no key name and no value of Redis');
Test::More::is(index(main::error_log(), $j->{token}), -1, 'nor in the error log');
--- request
GET /webauthn/admin/users/alice
--- response_body_like: ^\{"user_name":"alice","display_name":"Alice Liddell","user_handle":"[A-Za-z0-9_-]{43}","credentials":\[\]\}$
--- error_log eval
qr/\[info\] .*webauthn admin: invited "alice", expires \d+/
--- no_error_log
[alert]
[crit]
[error]



=== TEST 2: an existing user keeps their handle (and their display name unless one is given); a user with credentials but no user hash gets theirs; ttl defaults to webauthn_invitation_ttl
--- http_config eval
$WebAuthnTest::HttpConfig . "    webauthn_invitation_ttl 2h;\n"
--- init
my %u = @{ main::redis('HGETALL', 'webauthn:user:{alice}') || [] };
Test::More::ok($u{user_handle}, 'alice exists');
my $r = main::admin('POST', 'invitations', {user_name => 'alice'});
Test::More::is($r->{status}, 201, 'a second invitation');
Test::More::is($r->{json}{user_handle}, $u{user_handle}, 'alice keeps her handle');
Test::More::ok(abs($r->{json}{expires} - (time + 7200)) <= 2, 'ttl: the location\'s webauthn_invitation_ttl');
my %i = @{ main::redis('HGETALL', 'webauthn:invite:{' . Digest::SHA::sha256_hex($r->{json}{token}) . '}') || [] };
Test::More::is($i{display_name}, 'Alice Liddell', 'the invitation has her display name');
Test::More::is($i{user_handle}, $u{user_handle}, 'and her handle');
Test::More::is($i{roles}, '', 'and no roles');
Test::More::is(main::redis('HGET', 'webauthn:user:{alice}', 'created'), $u{created}, 'her creation time is kept');
$r = main::admin('POST', 'invitations', {user_name => 'alice', display_name => 'Alice L.', ttl => 7200});
Test::More::is($r->{status}, 201, 'a third, with a display name and the largest ttl');
Test::More::is($r->{json}{user_handle}, $u{user_handle}, 'the same handle');
Test::More::is(main::redis('HGET', 'webauthn:user:{alice}', 'display_name'), 'Alice L.', 'the display name is updated');
Test::More::is(main::redis('ZCARD', 'webauthn:user_invites:{alice}'), 3, 'three open invitations');
main::redis('SADD', 'webauthn:user_creds:{gina}', WebAuthnTest::cred_id('g1'));
$r = main::admin('POST', 'invitations', {user_name => 'gina', ttl => 60});
Test::More::is($r->{json}{user_handle}, WebAuthnTest::user_handle('g1'), 'gina, with a credential stored by hand, gets its handle');
Test::More::is(main::redis('HGET', 'webauthn:user:{gina}', 'display_name'), 'gina', 'a new user\'s display name is the user name');
--- request
GET /webauthn/admin/users/alice
--- response_body_like: ^\{"user_name":"alice","display_name":"Alice L\.",
--- no_error_log
[alert]
[crit]
[error]



=== TEST 3: a bad body is 400 request_invalid with what was wrong, and changes nothing
--- http_config eval
$WebAuthnTest::HttpConfig . "    webauthn_invitation_ttl 1d;\n"
--- init
my $before = main::dump_redis();
my @cases = (
    ['not JSON', '{"user_name": "bob"', qr/^body is not JSON$/],
    ['an array', '["bob"]', qr/^body is not a JSON object$/],
    ['a string', '"bob"', qr/^body is not a JSON object$/],
    ['no body', undef, qr/^body is not a JSON object$/],
    ['a member twice', '{"user_name": "bob", "user_name": "eve"}', qr/^body has a member twice$/],
    ['no user_name', {display_name => 'Bob'}, qr/^"user_name" is missing$/],
    ['user_name a number', {user_name => 5}, qr/^"user_name" is not a string$/],
    ['user_name null', '{"user_name": null}', qr/^"user_name" is not a string$/],
    ['user_name empty', {user_name => ''}, qr/^"user_name" is not 1 to 256 bytes/],
    ['user_name with LF', {user_name => "bob\nX-Evil: 1"}, qr/^"user_name" is not 1 to 256 bytes/],
    ['user_name with C1', '{"user_name": "bob\u0085"}', qr/^"user_name" is not 1 to 256 bytes/],
    ['user_name too long', {user_name => 'b' x 257}, qr/^"user_name" is not 1 to 256 bytes/],
    ['display_name a number', {user_name => 'bob', display_name => 1}, qr/^"display_name" is not a string$/],
    ['display_name too long', {user_name => 'bob', display_name => 'B' x 257}, qr/^"display_name" is not at most 256 bytes/],
    ['display_name with NUL', '{"user_name": "bob", "display_name": "B\u0000b"}', qr/^body is not JSON$/],
    ['roles a string', {user_name => 'bob', roles => 'reader'}, qr/^"roles" is not an array of strings$/],
    ['roles an object', {user_name => 'bob', roles => {reader => 1}}, qr/^"roles" is not an array of strings$/],
    ['roles with a number', {user_name => 'bob', roles => ['reader', 1]}, qr/^"roles" is not an array of strings$/],
    ['a role with SP', {user_name => 'bob', roles => ['reader writer']}, qr/^"roles" has a role that is not/],
    ['an empty role', {user_name => 'bob', roles => ['']}, qr/^"roles" has a role that is not/],
    ['a role with /', {user_name => 'bob', roles => ['a/b']}, qr/^"roles" has a role that is not/],
    ['a role of 65', {user_name => 'bob', roles => ['r' x 65]}, qr/^"roles" has a role that is not/],
    ['33 roles', {user_name => 'bob', roles => [map { "r$_" } 1 .. 33]}, qr/^"roles" has more than 32 roles$/],
    ['ttl a string', {user_name => 'bob', ttl => '60'}, qr/^"ttl" is not an integer$/],
    ['ttl a real', '{"user_name": "bob", "ttl": 60.5}', qr/^"ttl" is not an integer$/],
    ['ttl true', '{"user_name": "bob", "ttl": true}', qr/^"ttl" is not an integer$/],
    ['ttl 0', {user_name => 'bob', ttl => 0}, qr/^"ttl" is not from 1 to/],
    ['ttl -1', {user_name => 'bob', ttl => -1}, qr/^"ttl" is not from 1 to/],
    ['ttl above webauthn_invitation_ttl', {user_name => 'bob', ttl => 86401}, qr/^"ttl" is not from 1 to/],
    ['ttl huge', '{"user_name": "bob", "ttl": 99999999999999999999}', qr/^body is not JSON$/],
    ['a body over 64 KB', {user_name => 'bob', pad => 'x' x 65536}, qr/^body is longer than 65536 bytes$/],
);
for my $c (@cases) {
    my ($name, $body, $detail) = @$c;
    main::refused(main::admin('POST', 'invitations', $body), 400, 'request_invalid', $detail, $name);
}
main::seed('hank', 'h1');
$before = main::dump_redis();
my $id = WebAuthnTest::cred_id('h1');
for my $c (['no roles', {}, qr/^"roles" is missing$/],
           ['roles null', '{"roles": null}', qr/^"roles" is not an array of strings$/],
           ['a bad role', {roles => ['ok', 'not ok']}, qr/^"roles" has a role that is not/],
           ['not JSON', 'roles=reader', qr/^body is not JSON$/])
{
    my ($name, $body, $detail) = @$c;
    main::refused(main::admin('PATCH', "credentials/$id", $body), 400, 'request_invalid', $detail, "PATCH: $name");
}
main::refused(main::admin('PATCH', 'credentials/not+base64', {roles => []}), 400, 'request_invalid', qr/^the credential id is not unpadded base64url$/, 'PATCH: a bad id');
main::refused(main::admin('POST', 'credentials/a/revoke'), 400, 'request_invalid', qr/^the credential id is not unpadded base64url$/, 'revoke: an id of one character');
main::refused(main::admin('GET', 'users/bob%0Aeve'), 400, 'request_invalid', qr/^the user name is not valid UTF-8/, 'GET users: a name with LF');
main::refused(main::admin('DELETE', 'users/' . ('b' x 257)), 400, 'request_invalid', qr/^the user name is not valid UTF-8/, 'DELETE users: a name too long');
Test::More::is_deeply(main::dump_redis(), $before, 'Redis is as it was');
Test::More::is(main::redis('EXISTS', 'webauthn:user:{bob}'), 0, 'no user bob');
--- request
POST /webauthn/admin/invitations
{"user_name": ["bob"]}
--- error_code: 400
--- response_headers
Content-Type: application/problem+json
Cache-Control: no-store
--- response_body_like: ^\{"type":"urn:ngx-webauthn:error:request_invalid","title":"Request invalid","status":400,"detail":"\\"user_name\\" is not a string","code":"request_invalid"\}$
--- no_error_log
[alert]
[crit]
[error]



=== TEST 4: a body in a temporary file (larger than client_body_buffer_size) is read from it
--- config eval
$WebAuthnTest::Config . '
    location /webauthn/admin/ {
        client_body_buffer_size 1k;
        webauthn_admin;
    }
'
--- init
my $r = main::admin('POST', 'invitations', {user_name => 'ivan', roles => ['reader'], comment => 'x' x 20000});
Test::More::is($r->{status}, 201, 'a 20 KB body through a file');
Test::More::is(main::redis('HGET', 'webauthn:user:{ivan}', 'display_name'), 'ivan', 'ivan is invited');
--- request
GET /webauthn/admin/users/ivan
--- response_body_like: ^\{"user_name":"ivan",
--- error_log
a client request body is buffered to a temporary file
--- no_error_log
[alert]
[crit]
[error]



=== TEST 5: unknown users, credentials and routes are 404 not_found, and change nothing
--- init
my $before = main::dump_redis();
main::refused(main::admin('GET', 'users/nobody'), 404, 'not_found', qr/^no such user$/, 'GET an unknown user');
main::refused(main::admin('DELETE', 'users/nobody'), 404, 'not_found', qr/^no such user$/, 'DELETE an unknown user');
main::refused(main::admin('PATCH', 'credentials/AAAAAAAAAAAAAAAAAAAAAA', {roles => ['x']}), 404, 'not_found', qr/^no such credential$/, 'PATCH an unknown credential');
main::refused(main::admin('POST', 'credentials/AAAAAAAAAAAAAAAAAAAAAA/revoke'), 404, 'not_found', qr/^no such credential$/, 'revoke an unknown credential');
for my $route ('', 'nothing', 'users', 'users/', 'invitations/x', 'credentials/', 'credentials/AAAA/', 'credentials/AAAA/unrevoke', 'trust/x') {
    main::refused(main::admin('GET', $route), 404, 'not_found', qr/^unknown route$/, "route \"$route\"");
}
Test::More::is_deeply(main::dump_redis(), $before, 'Redis is as it was');
Test::More::is(main::redis('EXISTS', 'webauthn:cred:{AAAAAAAAAAAAAAAAAAAAAA}'), 0, 'no record was made');
--- request
GET /webauthn/admin/users/nobody
--- error_code: 404
--- response_body_like: ^\{"type":"urn:ngx-webauthn:error:not_found","title":"Not found","status":404,"detail":"no such user","code":"not_found"\}$
--- no_error_log
[alert]
[crit]
[error]



=== TEST 6: GET users lists the credentials of user_creds, with their fields; an id without a record is left out
--- init
main::seed('carol', 'c1', 'c2');
main::redis('SADD', 'webauthn:user_creds:{carol}', 'gone-credential-id');
WebAuthnTest::cred_cmd('c1', 'HSET', 'aaguid', 'cb69481e-8ff7-4039-93ec-0a2729a154a8', 'attestation_format', 'packed', 'transports', 'usb nfc', 'created', '1700000001', 'last_used', '1700000100', 'sign_count', '41', 'backup_eligible', '1', 'backup_state', '0');
WebAuthnTest::cred_cmd('c2', 'HSET', 'revoked', 'yes');
WebAuthnTest::cred_cmd('c2', 'HDEL', 'aaguid', 'sign_count');
my $r = main::admin('GET', 'users/carol');
Test::More::is($r->{status}, 200, 'status 200');
my $j = $r->{json} // {};
Test::More::is_deeply([sort keys %$j], [qw(credentials display_name user_handle user_name)], 'the user\'s members');
Test::More::is($j->{user_name}, 'carol', 'user_name');
Test::More::is($j->{display_name}, 'The carol', 'display_name');
Test::More::is($j->{user_handle}, WebAuthnTest::user_handle('c1'), 'user_handle');
my %c = map { $_->{id} => $_ } @{ $j->{credentials} || [] };
Test::More::is_deeply([sort keys %c], [sort map { WebAuthnTest::cred_id($_) } 'c1', 'c2'], 'both credentials, not the id without a record');
Test::More::is_deeply([map { $_->{id} } @{ $j->{credentials} || [] }], [sort map { WebAuthnTest::cred_id($_) } 'c1', 'c2'], 'sorted by id');
Test::More::is_deeply($c{WebAuthnTest::cred_id('c1')}, {
    id => WebAuthnTest::cred_id('c1'), aaguid => 'cb69481e-8ff7-4039-93ec-0a2729a154a8',
    attestation_format => 'packed', roles => ['reader'], transports => ['usb', 'nfc'],
    created => 1700000001, last_used => 1700000100, sign_count => 41,
    revoked => JSON::PP::false, backup_eligible => JSON::PP::true, backup_state => JSON::PP::false,
}, 'the first credential, every field');
Test::More::is_deeply($c{WebAuthnTest::cred_id('c2')}, {
    id => WebAuthnTest::cred_id('c2'), aaguid => undef, attestation_format => undef,
    roles => ['reader', 'writer'], transports => [], created => undef, last_used => undef,
    sign_count => 0, revoked => JSON::PP::true, backup_eligible => undef, backup_state => undef,
}, 'the second: absent fields null, its revocation (any value but "" and "0")');
main::redis('SADD', "webauthn:user_creds:{Zo\xc3\xab O'Brien}", WebAuthnTest::cred_id('z1'));
$r = main::admin('GET', 'users/Zo%C3%AB%20O%27Brien');
Test::More::is($r->{status}, 200, 'a UTF-8 name, percent-encoded, with no user hash');
Test::More::is($r->{json}{user_name}, "Zo\x{eb} O'Brien", 'its name');
Test::More::is($r->{json}{display_name}, undef, 'no display name');
Test::More::is($r->{json}{user_handle}, undef, 'no user handle');
Test::More::is(scalar @{ $r->{json}{credentials} || [] }, 1, 'its credential');
$r = main::admin('HEAD', 'users/carol');
Test::More::is($r->{status}, 200, 'HEAD');
Test::More::is($r->{body} // '', '', 'HEAD: no body');
--- request
GET /webauthn/admin/users/carol
--- response_body_like: "id":"[A-Za-z0-9_-]+","aaguid":"cb69481e-8ff7-4039-93ec-0a2729a154a8","attestation_format":"packed","roles":\["reader"\],"transports":\["usb","nfc"\],"created":1700000001,"last_used":1700000100,"sign_count":41,"revoked":false,"backup_eligible":true,"backup_state":false\}
--- no_error_log
[alert]
[crit]
[error]



=== TEST 7: a credential record that breaks the record rules is 503 store_unavailable, and the PATCH writes nothing
--- init
WebAuthnTest::cred_cmd('c1', 'HSET', 'aaguid', 'not-a-uuid');
my $before = main::dump_redis();
my $r = main::admin('PATCH', 'credentials/' . WebAuthnTest::cred_id('c1'), {roles => ['auditor']});
main::refused($r, 503, 'store_unavailable', qr/^the credential store is unavailable$/, 'PATCH a bad record');
Test::More::is($r->{headers}{'retry-after'}, '1', 'Retry-After');
$r = main::admin('POST', 'credentials/' . WebAuthnTest::cred_id('c1') . '/revoke');
main::refused($r, 503, 'store_unavailable', undef, 'revoke a bad record');
Test::More::is_deeply(main::dump_redis(), $before, 'Redis is as it was');
WebAuthnTest::cred_cmd('c1', 'HSET', 'aaguid', 'cb69481e-8ff7-4039-93ec-0a2729a154a8', 'transports', 'usb  nfc');
--- request
GET /webauthn/admin/users/carol
--- error_code: 503
--- error_log eval
[qr/\[error\] .*webauthn admin: store_unavailable: the credential record "[A-Za-z0-9_-]+" has an invalid aaguid/,
 qr/\[error\] .*webauthn admin: store_unavailable: the credential record "[A-Za-z0-9_-]+" has an invalid transports/]
--- no_error_log
[alert]
[crit]



=== TEST 8: PATCH sets a credential's roles; the next assertion of it has them in $webauthn_roles
--- init
main::seed('dave', 'd1');
my $id = WebAuthnTest::cred_id('d1');
my $a = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'd1'));
Test::More::like($a->{body}, qr/ roles=reader cred=/, 'before: reader');
my $r = main::admin('PATCH', "credentials/$id", {roles => ['deployer', 'ops:audit'], ignored => 1});
Test::More::is($r->{status}, 200, 'status 200');
Test::More::is_deeply([sort keys %{ $r->{json} || {} }], [sort qw(id user_name aaguid attestation_format roles transports created last_used sign_count revoked backup_eligible backup_state)], 'the credential, with its user_name');
Test::More::is($r->{json}{user_name}, 'dave', 'user_name');
Test::More::is_deeply($r->{json}{roles}, ['deployer', 'ops:audit'], 'the new roles');
Test::More::is(WebAuthnTest::cred_cmd('d1', 'HGET', 'roles'), 'deployer ops:audit', 'stored joined with one SP');
$a = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'd1'));
Test::More::is($a->{status}, 200, 'the next assertion passes');
Test::More::like($a->{body}, qr/ roles=deployer ops:audit cred=\Q$id\E /, 'with the new roles');
$r = main::admin('PATCH', "credentials/$id", {roles => []});
Test::More::is_deeply($r->{json}{roles}, [], 'no roles');
$a = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'd1'));
Test::More::like($a->{body}, qr/ roles= cred=/, 'then none');
--- request
GET /webauthn/admin/users/dave
--- response_body_like: "roles":\[\]
--- error_log eval
qr/\[info\] .*webauthn admin: set the roles of credential "[A-Za-z0-9_-]+" to "deployer ops:audit"/
--- no_error_log
[alert]
[crit]
[error]



=== TEST 9: a revoked credential is refused at its next assertion (credential_revoked), even with its key cached
--- http_config eval
$WebAuthnTest::HttpConfig . "    webauthn_key_cache zone=keys:1m;\n"
--- init
main::seed('erin', 'e1');
my $id = WebAuthnTest::cred_id('e1');
my $a = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'e1'));
Test::More::is($a->{status}, 200, 'before: passes (and its key is cached)');
my $r = main::admin('POST', "credentials/$id/revoke");
Test::More::is($r->{status}, 200, 'revoke: 200');
Test::More::is($r->{json}{id}, $id, 'the credential');
Test::More::is($r->{json}{user_name}, 'erin', 'its user');
Test::More::is($r->{json}{revoked}, JSON::PP::true, 'revoked');
Test::More::is(WebAuthnTest::cred_cmd('e1', 'HGET', 'revoked'), '1', 'stored as "1"');
Test::More::cmp_ok(abs((main::redis('ZSCORE', 'webauthn:revoked', $id) // 0) - time), '<', 60, 'in the revocation list of session tokens, at the time of the revocation');
$a = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'e1'));
Test::More::is($a->{status}, 401, 'the next assertion is refused');
Test::More::like($a->{body}, qr/"code":"credential_revoked"/, 'credential_revoked');
$r = main::admin('POST', "credentials/$id/revoke");
Test::More::is($r->{status}, 200, 'revoking again: 200');
--- request
GET /webauthn/admin/users/erin
--- response_body_like: "revoked":true
--- error_log eval
[qr/\[info\] .*webauthn admin: revoked credential "[A-Za-z0-9_-]+"/,
 qr/\[info\] .*webauthn: credential_revoked: /]
--- no_error_log
[alert]
[crit]
[error]



=== TEST 10: DELETE users is 204: the user, their credentials and open invitations are gone, nothing else
--- init
main::seed('frank', 'f1');
my $inv = main::admin('POST', 'invitations', {user_name => 'frank'});
Test::More::is($inv->{status}, 201, 'an open invitation');
my $hash = Digest::SHA::sha256_hex($inv->{json}{token} // '');
my $id = WebAuthnTest::cred_id('f1');
Test::More::is(main::redis('EXISTS', "webauthn:invite:{$hash}", "webauthn:cred:{$id}", 'webauthn:user:{frank}', 'webauthn:user_creds:{frank}', 'webauthn:user_invites:{frank}'), 5, 'before: five keys');
my $before = main::dump_redis();
my $r = main::admin('DELETE', 'users/frank');
Test::More::is($r->{status}, 204, '204 No Content');
Test::More::is($r->{body} // '', '', 'no body');
Test::More::is(main::redis('EXISTS', "webauthn:invite:{$hash}", "webauthn:cred:{$id}", 'webauthn:user:{frank}', 'webauthn:user_creds:{frank}', 'webauthn:user_invites:{frank}'), 0, 'every key of frank is gone');
my $after = main::dump_redis();
Test::More::is_deeply(main::others($after, 'frank', $id), main::others($before, 'frank', $id), 'every other key is as it was');
my @left = grep { /frank/ || index($after->{$_}, 'frank') >= 0 } keys %$after;
Test::More::is_deeply(\@left, [], 'nothing names frank');
Test::More::ok(defined main::redis('ZSCORE', 'webauthn:revoked', $id), 'his credential is in the revocation list of session tokens');
my $a = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'f1'));
Test::More::like($a->{body}, qr/"code":"credential_unknown"/, 'his credential is unknown');
main::refused(main::admin('DELETE', 'users/frank'), 404, 'not_found', qr/^no such user$/, 'deleted twice');
--- request
GET /webauthn/admin/users/frank
--- error_code: 404
--- error_log eval
qr/\[info\] .*webauthn admin: deleted user "frank", credentials: 1, client: /
--- no_error_log
[alert]
[crit]
[error]



=== TEST 11: GET trust without anchors or MDS
--- request
GET /webauthn/admin/trust
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body chomp
{"anchors":[],"mds":null}
--- no_error_log
[alert]
[crit]
[error]



=== TEST 12: the location's access rules protect it: denied is 403, and nothing is done
--- init
my $before = main::dump_redis();
my $r = main::admin('POST', 'invitations', {user_name => 'mallory'}, prefix => '/denied/admin/');
Test::More::is($r->{status}, 403, 'POST from a denied address: 403');
Test::More::is(main::redis('EXISTS', 'webauthn:user:{mallory}'), 0, 'no user made');
Test::More::is_deeply(main::dump_redis(), $before, 'Redis is as it was');
--- request
GET /denied/admin/users/alice
--- error_code: 403
--- error_log
access forbidden by rule
--- no_error_log
[alert]
[crit]



=== TEST 13: a method a route does not have is 405 with Allow, and changes nothing
--- init
my $before = main::dump_redis();
my $id = WebAuthnTest::cred_id('h1');
for my $c (['GET', 'invitations', 'POST'], ['PUT', 'invitations', 'POST'],
           ['POST', 'users/hank', 'GET, HEAD, DELETE'], ['PATCH', 'users/hank', 'GET, HEAD, DELETE'],
           ['GET', "credentials/$id", 'PATCH'], ['DELETE', "credentials/$id", 'PATCH'],
           ['GET', "credentials/$id/revoke", 'POST'], ['DELETE', 'trust', 'GET, HEAD'])
{
    my ($m, $route, $allow) = @$c;
    my $r = main::admin($m, $route, $m =~ /^P/ ? {roles => ['x']} : undef);
    main::refused($r, 405, 'request_invalid', qr/^method not allowed on this route$/, "$m $route");
    Test::More::is($r->{headers}{allow}, $allow, "$m $route: Allow");
}
Test::More::is_deeply(main::dump_redis(), $before, 'Redis is as it was');
--- request
GET /webauthn/admin/invitations
--- error_code: 405
--- response_headers
Allow: POST
Content-Type: application/problem+json
--- response_body_like: "code":"request_invalid"
--- no_error_log
[alert]
[crit]
[error]



=== TEST 17: a change sent by a page of another origin is refused (cross-site request forgery); the API's own origin and clients without one pass
--- init
main::seed('gus', 'g1');
my $id = WebAuthnTest::cred_id('g1');
my $before = main::dump_redis();
for my $c (['POST', 'invitations', {user_name => 'gus'}], ['DELETE', 'users/gus'],
           ['PATCH', "credentials/$id", {roles => ['admin']}], ['POST', "credentials/$id/revoke"])
{
    my ($m, $route, $body) = @$c;
    my $r = main::admin($m, $route, $body, origin => 'https://evil.example');
    main::refused($r, 403, 'request_invalid', qr/^a change from a page of another origin$/, "$m $route from another origin");
}
Test::More::is_deeply(main::dump_redis(), $before, 'nothing changed');
my $get = main::admin('GET', 'users/gus', undef, origin => 'https://evil.example');
Test::More::is($get->{status}, 200, 'a read from another origin: 200 (the browser keeps it from the page)');
my $own = main::admin('POST', 'invitations', {user_name => 'gus'}, origin => 'http://localhost');   # the client's Host is "localhost"
Test::More::is($own->{status}, 201, 'the API\'s own origin: 201');
my $plain = main::admin('POST', "credentials/$id/revoke");
Test::More::is($plain->{status}, 200, 'no Origin (curl): 200');
--- request
GET /webauthn/admin/users/gus
--- error_code: 200
--- no_error_log
[alert]
[crit]



=== TEST 14: Redis down is 503 store_unavailable, logged once with the cause; GET trust needs no Redis
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_DEAD_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
--- init
for my $c (['POST', 'invitations', {user_name => 'olga'}], ['GET', 'users/olga'], ['DELETE', 'users/olga'],
           ['PATCH', 'credentials/AAAA', {roles => []}], ['POST', 'credentials/AAAA/revoke'])
{
    my ($m, $route, $body) = @$c;
    my $r = main::admin($m, $route, $body);
    main::refused($r, 503, 'store_unavailable', qr/^the credential store is unavailable$/, "$m $route");
    Test::More::is($r->{headers}{'retry-after'}, '1', "$m $route: Retry-After");
}
my $log = main::error_log();
my $n = () = $log =~ /webauthn admin: store_unavailable: /g;
Test::More::is($n, 5, 'one error line per request');
Test::More::is(main::admin('GET', 'trust')->{status}, 200, 'GET trust: 200');
--- request
GET /webauthn/admin/users/olga
--- error_code: 503
--- response_headers
Retry-After: 1
--- response_body_like: "code":"store_unavailable"
--- error_log eval
qr/\[error\] .*webauthn admin: store_unavailable: .*(refused|connect)/
--- no_error_log
[alert]
[crit]



=== TEST 15: GET trust lists the anchors in use, with their validity, expired and expiring (within 30 days) ones flagged
--- http_config eval
$WebAuthnTest::HttpConfig . '    webauthn_trust_anchors $TEST_NGINX_ANCHORS;' . "\n"
--- init
my $r = main::admin('GET', 'trust');
Test::More::is($r->{status}, 200, 'status 200');
my $j = $r->{json} // {};
Test::More::is_deeply([sort keys %$j], [qw(anchors mds)], 'anchors and mds');
Test::More::is($j->{mds}, undef, 'no MDS BLOB: null');
my @a = @{ $j->{anchors} || [] };
Test::More::is(scalar @a, 3, 'three anchors, in the bundle\'s order');
for my $i (0 .. 2) {
    my ($cn, $nb, $na) = @{ $main::Anchors[$i] };
    my $x = $a[$i] // {};
    Test::More::is_deeply([sort keys %$x], [qw(expired expiring not_after not_before subject)], "$cn: members");
    Test::More::like($x->{subject}, qr/^CN=\Q$cn\E,O=Test$/, "$cn: the RFC 2253 subject");
    Test::More::is($x->{not_before}, $nb, "$cn: not_before");
    Test::More::is($x->{not_after}, $na, "$cn: not_after");
}
Test::More::is_deeply([map { [$_->{expired}, $_->{expiring}] } @a],
                      [[JSON::PP::false, JSON::PP::false], [JSON::PP::false, JSON::PP::true], [JSON::PP::true, JSON::PP::false]],
                      'valid; expiring in 10 days; expired');
--- request
GET /webauthn/admin/trust
--- response_body_like: ^\{"anchors":\[\{"subject":"CN=Long Root,O=Test","not_before":\d+,"not_after":\d+,"expired":false,"expiring":false\},
--- no_error_log
[alert]
[crit]
[error]



=== TEST 16: configuration: webauthn_admin once per location, in a prefix location only, and with webauthn_redis
--- init
my $srv = sub { "server { listen 127.0.0.1:1; $_[0] }" };
my @bad = (
    'twice' => "webauthn_redis 127.0.0.1:1;\n"
        . $srv->('location /a/ { webauthn_admin; webauthn_admin; }'),
        qr/\[emerg\] .*"webauthn_admin" directive is duplicate/,
    'a regex location' => "webauthn_redis 127.0.0.1:1;\n"
        . $srv->('location ~ ^/a/ { webauthn_admin; }'),
        qr/\[emerg\] .*"webauthn_admin" directive cannot be used in a regex location/,
    'a named location' => "webauthn_redis 127.0.0.1:1;\n"
        . $srv->('location @a { webauthn_admin; }'),
        qr/\[emerg\] .*"webauthn_admin" directive cannot be used in a named location/,
    'an argument' => "webauthn_redis 127.0.0.1:1;\n"
        . $srv->('location /a/ { webauthn_admin on; }'),
        qr/\[emerg\] .*invalid number of arguments in "webauthn_admin"/,
    'no webauthn_redis' => $srv->('location /a/ { webauthn_admin; }'),
        qr/\[emerg\] .*"webauthn_redis" is required where "webauthn_admin" is used/,
);
while (my ($what, $conf, $msg) = splice @bad, 0, 3) {
    my ($rc, $out) = WebAuthnTest::nginx_t($conf);
    Test::More::ok($rc != 0 && $out =~ $msg, "nginx -t refuses: $what")
        or Test::More::diag("expected $msg in:\n$out");
}
my ($rc, $out) = WebAuthnTest::nginx_t("webauthn_redis 127.0.0.1:1;\n"
    . $srv->('location /a { webauthn_admin; } location = /b/trust { webauthn_admin; }'));
Test::More::is($rc, 0, 'nginx -t accepts a prefix location and an exact one') or Test::More::diag($out);
--- config eval
$WebAuthnTest::Config . '
    location /webauthn/admin {
        webauthn_admin;
    }
'
--- request eval
["GET /webauthn/admin/trust", "GET /webauthn/adminx/trust", "GET /webauthn/admin"]
--- error_code eval
[200, 404, 404]
--- response_body_like eval
['^\{"anchors":\[\],"mds":null\}$', '"detail":"unknown route"', '"detail":"unknown route"']
--- no_error_log
[alert]
[crit]
[error]
