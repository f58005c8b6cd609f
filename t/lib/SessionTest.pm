package SessionTest;

# Copyright (C) ngx_http_webauthn_module authors
#
# Helpers of t/017-session.t (session tokens, issue 10).  Loading it:
#
#   - makes the session key files in WebAuthnTest's work directory: three
#     Ed25519 keys (openssl genpkey -algorithm ed25519: "new" and "old",
#     the configured ones, and "evil", an attacker's), an HS256 secret of
#     40 printable bytes and a newline ("hs": the newline is part of the
#     secret, byte for byte) and one of 31 bytes ("short");
#   - starts t/lib/ws_echo.py as the upstream (a WebSocket echo that also
#     answers plain requests with the headers it got, as JSON);
#   - exports TEST_NGINX_SESS_NEW, _OLD, _HS, _EVIL, _SHORT and
#     TEST_NGINX_WS_PORT for the config sections.
#
# Tokens are checked and forged with t/lib/session_check.py, which shares
# no code with the module.  Call everything by its full name from --- init
# code (it runs in package Test::Nginx::Util).

use strict;
use warnings;

use IO::Select ();
use JSON::PP ();
use POSIX ();
use Test::More ();
use Time::HiRes ();

use WebAuthnTest;

our $W = $WebAuthnTest::WorkDir;
our $Py = $WebAuthnTest::Python;
our $Check = "$WebAuthnTest::Top/t/lib/session_check.py";
our $WsEcho = "$WebAuthnTest::Top/t/lib/ws_echo.py";

our $Realm = 'api';
our $CookieName = '__Host-webauthn';
our $Ttl = 900;                  # webauthn_session_ttl 15m
our $Leeway = 30;                # exp and iat
our $Refresh = 5;                # seconds between revocation list reads
our $RevokeBound = 60;           # the most a revocation may take (issue 10)
our $RevokeReadme = 5;           # README: "within 5 seconds"
our $StaleBound = 30;            # Redis down: tokens refused after this

our %KeyFile = map { $_ => "$W/session-$_.key" } qw(new old evil hs short);
our %Kid = (new => '2026-12', old => '2026-11', hs => 'hs-1');

our $MainPid = $$;
our $WsPid;

sub random_text {
    my ($n) = @_;
    my @c = ('A' .. 'Z', 'a' .. 'z', '0' .. '9');
    return join '', map { $c[int rand @c] } 1 .. $n;
}

sub write_file {
    my ($path, $data) = @_;
    open my $out, '>', $path or die "$path: $!";
    binmode $out;
    print $out $data;
    close $out;
    chmod 0644, $path;
}

sub read_file {
    my ($path) = @_;
    open my $in, '<', $path or die "$path: $!";
    binmode $in;
    my $d = do { local $/; <$in> };
    close $in;
    return $d;
}

for my $k (qw(new old evil)) {
    WebAuthnTest::run_cmd('openssl', 'genpkey', '-algorithm', 'ed25519',
                          '-out', $KeyFile{$k});
    chmod 0644, $KeyFile{$k};
}
write_file($KeyFile{hs}, random_text(40) . "\n");
write_file($KeyFile{short}, random_text(31));
# the HS256 secret without its newline: what a module trimming it would use
write_file("$W/session-hs-trimmed.key", substr(read_file($KeyFile{hs}), 0, 40));

$ENV{'TEST_NGINX_SESS_' . uc $_} = $KeyFile{$_} for keys %KeyFile;

sub start_ws_echo {
    my $portfile = "$W/ws-echo.port";
    unlink $portfile;
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', "$W/ws-echo.log";
        { exec $Py, $WsEcho, 'server', '--port-file', $portfile; }
        POSIX::_exit(127);
    }
    $WsPid = $pid;
    for (1 .. 250) {
        if (-s $portfile) {
            my $port = read_file($portfile);
            $port =~ s/\s+//g;
            return $port;
        }
        die "ws_echo.py exited; see $W/ws-echo.log"
            if waitpid($pid, POSIX::WNOHANG()) == $pid;
        Time::HiRes::sleep(0.02);
    }
    die "ws_echo.py did not start";
}

$ENV{TEST_NGINX_WS_PORT} = start_ws_echo();

END {
    # the test's own exit status stays: waitpid sets $?
    local $?;
    if ($$ == $MainPid && $WsPid) {
        kill 'TERM', $WsPid;
        waitpid $WsPid, 0;
    }
}


# -- configuration ----------------------------------------------------------

# http_config(keys => [qw(new old hs)], ttl => '15m', cookie => '...')
sub http_config {
    my (%o) = @_;
    my $c = $WebAuthnTest::HttpConfig;
    for my $k (@{ $o{keys} || [qw(new old hs)] }) {
        $c .= "    webauthn_session_key \$TEST_NGINX_SESS_" . uc($k)
              . " id=$Kid{$k};\n";
    }
    $c .= "    webauthn_session_ttl $o{ttl};\n" if $o{ttl};
    $c .= "    webauthn_session_cookie $o{cookie};\n" if $o{cookie};
    return $c;
}

our $HttpConfig = http_config(ttl => '15m',
                              cookie => "name=$CookieName samesite=strict");

# what the upstream (ws_echo.py) is told of the identity
our $Proxy = <<'_EOC_';
        proxy_pass http://127.0.0.1:$TEST_NGINX_WS_PORT;
        proxy_set_header X-User $webauthn_user;
        proxy_set_header X-WebAuthn-User $webauthn_user;
        proxy_set_header X-Roles $webauthn_roles;
        proxy_set_header X-Cred $webauthn_credential_id;
        proxy_set_header X-Count $webauthn_sign_count;
        proxy_set_header X-UV $webauthn_user_verified;
        proxy_set_header X-Method $webauthn_auth_method;
_EOC_

sub location {
    my ($prefix, $extra) = @_;
    return "    location $prefix {\n        auth_webauthn \"$Realm\";\n"
           . ($extra // '') . $Proxy . "    }\n";
}

our $Config = <<'_EOC_'
    location = /webauthn/session {
        webauthn_session;
    }
    location = /webauthn/challenge {
        webauthn_challenge;
    }
    location /webauthn/admin/ {
        allow 127.0.0.1;
        deny all;
        webauthn_admin;
    }
    location /ws/ {
        auth_webauthn "api";
        proxy_pass http://127.0.0.1:$TEST_NGINX_WS_PORT;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection upgrade;
        proxy_set_header X-WebAuthn-User $webauthn_user;
        proxy_read_timeout 10s;
    }
_EOC_
    . location('/api/')
    . location('/roles/', "        auth_webauthn_roles deployer admin;\n")
    . location('/fresh/', "        auth_webauthn_max_age 0;\n")
    . location('/recent/', "        auth_webauthn_max_age 3s;\n")
    . location('/uv/', "        auth_webauthn_user_verification required;\n")
    . location('/pre/', "        auth_webauthn_preflight on;\n");


# -- HTTP ---------------------------------------------------------------------

# req(METHOD, URI, HEADERS (a string of lines or an array), BODY) ->
#   { status, headers => { lc name => [values] }, h => { lc name => first },
#     body, json (the decoded body, if JSON) }
sub req {
    my ($method, $uri, $headers, $body) = @_;
    my $r = WebAuthnTest::http_request($method, $uri,
                                       ref $headers ? join("\n", @$headers)
                                                    : $headers, $body);
    my %first = map { $_ => $r->{all}{$_}[0] } keys %{ $r->{all} };
    my $json = eval { JSON::PP->new->utf8->decode($r->{body} // '') };
    return { status => $r->{status}, headers => $r->{all}, h => \%first,
             body => $r->{body} // '', json => $json };
}


# the headers ws_echo.py says the upstream got: { lc name => [values] }
sub upstream {
    my ($r) = @_;
    my %h;
    my $j = ref $r eq 'HASH' && exists $r->{json} ? $r->{json} : $r;
    for my $p (@{ ($j && ref $j eq 'HASH' && $j->{headers}) || [] }) {
        push @{ $h{lc $p->[0]} }, $p->[1];
    }
    return \%h;
}

# the values of the upstream's headers NAMES, each joined by ",", "" for
# one nginx did not send (proxy_set_header with an empty value)
sub hv {
    my ($u, @names) = @_;
    return [ map { join ',', @{ $u->{lc $_} || [] } } @names ];
}

sub code_of {
    my ($r) = @_;
    return $r->{json}{code} if ref $r->{json} eq 'HASH';
    return ($r->{body} // '') =~ /"code"\s*:\s*"([^"]*)"/ ? $1 : undef;
}


# -- credentials ----------------------------------------------------------------

sub assertion {
    my ($key, %o) = @_;
    return WebAuthnTest::authz(key => $key, %o);
}

sub bearer {
    return "Authorization: Bearer " . shift;
}

sub cookie {
    my ($token, %o) = @_;
    return "Cookie: " . join '; ', @{ $o{before} || [] },
           ($o{name} // $CookieName) . "=$token", @{ $o{after} || [] };
}

# POSTs an assertion of KEY to /webauthn/session; the response, with
# {token} set from its body
sub mint {
    my ($key, %o) = @_;
    my $uri = delete $o{uri} // '/webauthn/session';
    my $r = req('POST', $uri, assertion($key, %o), '');
    $r->{token} = $r->{json} && ref $r->{json} eq 'HASH'
                  ? $r->{json}{token} : undef;
    if ($r->{status} != 200 || !defined $r->{token}) {
        Test::More::diag("mint($key): $r->{status} $r->{body}");
        $r->{token} //= 'no.token.minted';
    }
    return $r;
}

sub token {
    return mint(@_)->{token};
}

sub _run {
    my (@cmd) = @_;
    open my $fh, '-|', @cmd or die "cannot run $cmd[0]: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    chomp $out;
    return ($? >> 8, $out);
}

# (verified, { header, claims, alg, signature_ok }) by session_check.py
# against the key file of NAME (new, old, hs, evil) or a path
sub verify {
    my ($token, $key) = @_;
    my $file = $KeyFile{$key} // $key;
    my ($rc, $out) = _run($Py, $Check, 'verify', $token, $file);
    my $d = eval { JSON::PP::decode_json($out) } || {};
    return ($rc == 0, $d);
}

sub decode {
    my ($token) = @_;
    my ($rc, $out) = _run($Py, $Check, 'decode', $token);
    return eval { JSON::PP::decode_json($out) } || {};
}

# forge(TOKEN, OPTIONS...): session_check.py forge; key names (new, old,
# hs, evil) after --key, --hs256-raw-pub and --hs256-pem-pub become paths
sub forge {
    my ($token, @args) = @_;
    for my $i (1 .. $#args) {
        $args[$i] = $KeyFile{$args[$i]}
            if $args[$i - 1] =~ /^--(?:key|hs256-raw-pub|hs256-pem-pub)$/
               && $KeyFile{$args[$i]};
    }
    my ($rc, $out) = _run($Py, $Check, 'forge',
                          defined $token ? ($token) : (), @args);
    die "session_check.py forge @args failed ($rc): $out\n" if $rc;
    return $out;
}


# -- expectations ---------------------------------------------------------------

sub www_authenticate {
    my ($r) = @_;
    return @{ $r->{headers}{'www-authenticate'} || [] };
}

# the checks of a refusal: status (401 unless status =>), problem+json
# with the code, no-store, on 401 the WebAuthn challenge (header and body)
# and with bearer => 1 also the Bearer error="invalid_token" header
# (bearer => 'insufficient_user_authentication': that error); realm
# => a regex for the realm (default "api")
sub refused {
    my ($r, $code, $what, %o) = @_;
    my $status = $o{status} // 401;
    my $ok = 1;
    $ok &= Test::More::is($r->{status}, $status, "$what: $status");
    $ok &= Test::More::is(code_of($r), $code, "$what: $code");
    $ok &= Test::More::is($r->{h}{'content-type'}, 'application/problem+json',
                          "$what: problem+json");
    if ($status == 401) {
        my $re = $WebAuthnTest::ChallengeRe;
        my $realm = $o{realm} // quotemeta $Realm;
        my @wa = grep { /^WebAuthn realm="$realm", challenge="$re"$/ }
                 www_authenticate($r);
        $ok &= Test::More::is(scalar @wa, 1,
                              "$what: WWW-Authenticate WebAuthn with a "
                              . "fresh challenge");
        $ok &= Test::More::like(($r->{json} && ref $r->{json} eq 'HASH'
                                 && $r->{json}{challenge}) // '',
                                qr/^$re$/, "$what: the challenge in the body");
        if ($o{bearer}) {
            my $e = $o{bearer} eq '1' ? 'invalid_token' : $o{bearer};
            my @b = grep { /^Bearer realm="$realm", error="\Q$e\E"$/ }
                    www_authenticate($r);
            $ok &= Test::More::is(scalar @b, 1,
                                  "$what: WWW-Authenticate Bearer "
                                  . "error=\"$e\"");
        }
    }
    Test::More::diag("$what: $r->{status} "
                     . join(' | ', www_authenticate($r)) . " $r->{body}")
        unless $ok;
    return $ok;
}

sub passes {
    my ($r, $what) = @_;
    my $ok = Test::More::is($r->{status}, 200, "$what: 200");
    Test::More::diag("$what: $r->{body}") unless $ok;
    return $ok;
}

# polls CODE every INTERVAL seconds until it returns true or TIMEOUT
# seconds have passed: the seconds it took, or undef
sub poll {
    my ($code, $timeout, $interval) = @_;
    my $t0 = Time::HiRes::time();
    for ( ;; ) {
        return Time::HiRes::time() - $t0 if $code->();
        return undef if Time::HiRes::time() - $t0 > $timeout;
        Time::HiRes::sleep($interval // 0.5);
    }
}

# ws_echo.py client through nginx: { status, accept_ok, headers, body,
# first, second, server_masked }
sub ws {
    my ($path, @headers) = @_;
    my $url = "ws://127.0.0.1:" . WebAuthnTest::server_port() . $path;
    my ($rc, $out) = _run($Py, $WsEcho, 'client', $url, @headers);
    my $d = eval { JSON::PP::decode_json($out) } || { error => $out };
    $d->{rc} = $rc;
    return $d;
}


# -- reload -------------------------------------------------------------------

# rewrites the running nginx.conf without the lines matching RE and sends
# the master SIGHUP; returns the master's pid
sub reload_without {
    my ($re) = @_;
    my $root = $ENV{TEST_NGINX_SERVROOT} // $Test::Nginx::Socket::ServRoot
               // 't/servroot';
    my $conf = $Test::Nginx::Socket::ConfFile // "$root/conf/nginx.conf";
    my $pidf = $Test::Nginx::Socket::PidFile // "$root/logs/nginx.pid";
    my $text = read_file($conf);
    my $n = (my $new = $text) =~ s/^.*$re.*\n//mg;
    die "reload_without: no line matches $re\n" unless $n;
    write_file($conf, $new);
    my $pid = read_file($pidf);
    $pid =~ s/\s+//g;
    kill 'HUP', $pid or die "kill HUP $pid: $!";
    return $pid;
}

1;
