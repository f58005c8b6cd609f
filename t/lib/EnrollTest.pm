package EnrollTest;

# Copyright (C) ngx_http_webauthn_module authors
#
# Helpers of the enrollment tests (t/014-enroll.t, t/016-enroll-reload.t):
# two test CAs made with tools/webauthn-softkey mkca ("t", root and
# intermediate, the configured anchor; "other", not), the http and server
# configuration with the enrollment locations, invitations written as the
# admin API writes them, the creation options, the test authenticator's
# answer (tools/webauthn-softkey register: it shares no code with the
# module), the registration, Redis dumps and the registration counters.
# Called by their full names (EnrollTest::invite(...)) from --- init code.

use strict;
use warnings;

use Digest::SHA ();
use JSON::PP ();
use Time::HiRes ();

use WebAuthnTest;

our $W = $WebAuthnTest::WorkDir;
our $Py = $WebAuthnTest::Python;
our $Sk = $WebAuthnTest::Softkey;

# two test CAs: "t" (root and intermediate) is the configured anchor,
# "other" is not
WebAuthnTest::run_cmd($Py, $Sk, 'mkca', '--out', "$W/ca", '--name', 't',
                      '--intermediate');
WebAuthnTest::run_cmd($Py, $Sk, 'mkca', '--out', "$W/ca", '--name', 'other');

sub copy_file {
    my ($from, $to) = @_;
    open my $in, '<', $from or die "$from: $!";
    my $data = do { local $/; <$in> };
    close $in;
    open my $out, '>', "$to.tmp" or die "$to: $!";
    print $out $data;
    close $out;
    rename "$to.tmp", $to or die "$to: $!";
}

copy_file("$W/ca/t-root.pem", "$W/roots.pem");

$ENV{TEST_NGINX_ROOTS} = "$W/roots.pem";

# a FIDO MDS3 BLOB of two models, both rooted at the "other" CA: one
# certified, one revoked (t/unit/mktrust.py blob)
our $MdsOk = 'a1b2c3d4-0000-4000-8000-000000000001';
our $MdsRevoked = 'a1b2c3d4-0000-4000-8000-000000000002';
WebAuthnTest::run_cmd($Py, "$WebAuthnTest::Top/t/unit/mktrust.py", 'blob',
                      "$W/mds", "$MdsOk=$W/ca/other-root.pem",
                      "$MdsRevoked=$W/ca/other-root.pem:REVOKED");
$ENV{TEST_NGINX_MDS} = "$W/mds";

our $HttpConfig = $WebAuthnTest::HttpConfig . <<'_EOC_';
    webauthn_rp_name "Example Corp";
    webauthn_trust_anchors $TEST_NGINX_ROOTS;
_EOC_

# the same with the BLOB
our $MdsHttpConfig = $HttpConfig . <<'_EOC_';
    webauthn_mds $TEST_NGINX_MDS/mds.jwt root=$TEST_NGINX_MDS/mds-root.pem;
_EOC_

our $Config = $WebAuthnTest::Config . <<'_EOC_';
    location = /webauthn/register/options { webauthn_register_options; }
    location = /webauthn/register { webauthn_register; }
    location /trusted/ {
        webauthn_attestation trusted;
        location = /trusted/options { webauthn_register_options; }
        location = /trusted/register { webauthn_register; }
    }
    location /uv/ {
        auth_webauthn_user_verification required;
        location = /uv/options { webauthn_register_options; }
        location = /uv/register { webauthn_register; }
    }
    location = /metrics { webauthn_metrics; }
    location /webauthn/admin/ {
        allow 127.0.0.1;
        deny all;
        webauthn_admin;
    }
    location = /inv/options { auth_webauthn off; webauthn_register_options; }
    location = /inv/register { auth_webauthn off; webauthn_register; }
    location /allow/ {
        webauthn_attestation trusted;
        webauthn_aaguid_allow a1b2c3d4-0000-4000-8000-000000000001;
        location = /allow/options { webauthn_register_options; }
        location = /allow/register { webauthn_register; }
    }
    location /short/ {
        webauthn_challenge_timeout 1s;
        location = /short/options { webauthn_register_options; }
        location = /short/register { webauthn_register; }
    }
_EOC_

# an invitation as the admin API makes one (README, "Redis schema"): only
# the token's SHA-256 is stored; an existing user keeps their handle
sub invite {
    my ($user, %o) = @_;
    my $token = WebAuthnTest::b64url(WebAuthnTest::random_bytes(32));
    my $hash = Digest::SHA::sha256_hex($token);
    my $handle = WebAuthnTest::redis_cmd('main', 'HGET', "webauthn:user:{$user}",
                                         'user_handle')
                 // WebAuthnTest::b64url(WebAuthnTest::random_bytes(32));
    my $ttl = $o{ttl} // 3600;
    WebAuthnTest::redis_cmd('main', 'HSET', "webauthn:user:{$user}",
                            'user_handle', $handle,
                            'display_name', $o{display} // $user,
                            'created', time);
    WebAuthnTest::redis_cmd('main', 'HSET', "webauthn:invite:{$hash}",
                            'user_name', $user,
                            'display_name', $o{display} // $user,
                            'roles', $o{roles} // 'reader',
                            'user_handle', $handle,
                            'expires', time + $ttl);
    WebAuthnTest::redis_cmd('main', 'EXPIRE', "webauthn:invite:{$hash}", $ttl);
    WebAuthnTest::redis_cmd('main', 'ZADD', "webauthn:user_invites:{$user}",
                            time + $ttl, $hash);
    return $token;
}

sub inv { return "Authorization: Invitation " . shift }

sub options {
    my ($authz, $prefix) = @_;
    my $r = WebAuthnTest::http_request('POST',
                                       ($prefix // '/webauthn/register')
                                       . ($prefix ? '/options' : '/options'),
                                       $authz, '');
    $r->{json} = eval { JSON::PP::decode_json($r->{body}) };
    return $r;
}

# the test authenticator's answer to OPTIONS (a decoded structure), its
# key saved as NAME for WebAuthnTest::authz(key => NAME)
sub create {
    my ($opts, $name, @args) = @_;
    my $file = "$W/opts-$name.json";
    open my $out, '>', $file or die "$file: $!";
    print $out JSON::PP->new->encode($opts);
    close $out;
    my $keyfile = "$W/key-$name.json";
    my $json = WebAuthnTest::run_cmd($Py, $Sk, 'register', '--options',
                                     $file, '--key', $keyfile, '--origin',
                                     $WebAuthnTest::Origin, '--ignore-exclude',
                                     @args);
    $WebAuthnTest::Keys{$name} = { file => $keyfile };
    return $json;
}

sub register {
    my ($authz, $body, $prefix) = @_;
    my $r = WebAuthnTest::http_request('POST',
                                       ($prefix // '/webauthn') . '/register',
                                       "$authz\nContent-Type: application/json",
                                       $body);
    $r->{json} = eval { JSON::PP::decode_json($r->{body}) };
    return $r;
}

# invitation, options, the authenticator, registration: the answer
sub enroll_user {
    my ($user, $name, %o) = @_;
    my $token = EnrollTest::invite($user, roles => $o{roles});
    my $opts = EnrollTest::options(EnrollTest::inv($token), $o{prefix});
    die "options: $opts->{status} $opts->{body}\n" unless $opts->{json};
    my $body = EnrollTest::create($opts->{json}, $name, @{ $o{args} || [] });
    my $r = EnrollTest::register(EnrollTest::inv($token), $body, $o{prefix});
    $r->{token} = $token;
    return $r;
}

# the problem+json code of a response
sub code_of {
    my ($r) = @_;
    return ($r->{json} && $r->{json}{code}) // "(status $r->{status})";
}

sub ca_args {
    my ($ca, $fmt) = @_;
    my @a = ('--attestation', $fmt // 'packed');
    if ($ca eq 't' && ($fmt // '') eq 'fido-u2f') {
        # U2F sends exactly one certificate: issued by the root itself
        push @a, '--ca-key', "$W/ca/t-root.key", '--ca-cert', "$W/ca/t-root.pem";
    } elsif ($ca eq 't') {
        push @a, '--ca-key', "$W/ca/t-int.key", '--ca-cert', "$W/ca/t-int.pem",
                 '--chain', "$W/ca/t-int.pem";
    } else {
        push @a, '--ca-key', "$W/ca/$ca-root.key",
                 '--ca-cert', "$W/ca/$ca-root.pem";
    }
    return @a;
}

# webauthn_registrations_total, "result code" => count
sub metrics {
    my $r = WebAuthnTest::http_request('GET', '/metrics');
    my %m;
    while (($r->{body} // '') =~ /^webauthn_registrations_total\{result="(\w+)",code="(\w+)"\} (\d+)$/mg) {
        $m{"$1 $2"} = $3;
    }
    return \%m;
}

# the keys Redis holds, and their contents, to show that nothing changed
sub dump_redis {
    my %d;
    for my $k (sort @{ WebAuthnTest::redis_cmd('main', 'KEYS', 'webauthn:*') }) {
        next if $k =~ /^webauthn:(used:|epoch)/;
        my $t = WebAuthnTest::redis_cmd('main', 'TYPE', $k);
        $d{$k} = $t eq 'hash' ? { @{ WebAuthnTest::redis_cmd('main', 'HGETALL', $k) } }
               : $t eq 'set' ? [ sort @{ WebAuthnTest::redis_cmd('main', 'SMEMBERS', $k) } ]
               : $t eq 'zset' ? WebAuthnTest::redis_cmd('main', 'ZRANGE', $k, 0, -1, 'WITHSCORES')
               : WebAuthnTest::redis_cmd('main', 'GET', $k);
    }
    return JSON::PP->new->canonical->encode(\%d);
}


1;
