# vi:filetype=perl

# The event client's TLS and resolver, on STS AssumeRole: https to a
# loopback stand-in verified against webauthn_aws_trusted_certificate, a
# wrong CA and a wrong name refused, a host name resolved with "resolver"
# (a UDP DNS stand-in) or refused without one, keepalive and TLS session
# reuse, plain http only to loopback, the regional default endpoint.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5);
add_block_preprocessor(\&WebAuthnTest::preprocess);

our $Dir = $WebAuthnTest::WorkDir;

# openssl, its progress on stderr kept out of the test's output
sub openssl {
    open my $save, '>&', \*STDERR or die $!;
    open STDERR, '>>', "$Dir/openssl.err" or die $!;
    my $out = eval { WebAuthnTest::run_cmd('openssl', @_) };
    my $err = $@;
    open STDERR, '>&', $save or die $!;
    die $err if $err;
    return $out;
}

# a CA, and a certificate it signs for NAMES (subjectAltName entries)
sub make_ca {
    my ($name) = @_;
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt',
            'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
            '-keyout', "$Dir/$name.key", '-out', "$Dir/$name.crt",
            '-subj', "/CN=webauthn test $name",
            '-addext', 'basicConstraints=critical,CA:TRUE',
            '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

sub make_cert {
    my ($name, $ca, $cn, $san) = @_;
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt',
            'ec_paramgen_curve:prime256v1', '-nodes',
            '-keyout', "$Dir/$name.key", '-out', "$Dir/$name.csr",
            '-subj', "/CN=$cn");
    open my $ext, '>', "$Dir/$name.ext" or die $!;
    print $ext "subjectAltName=$san\nbasicConstraints=CA:FALSE\n"
               . "extendedKeyUsage=serverAuth\n";
    close $ext;
    openssl('x509', '-req', '-in', "$Dir/$name.csr", '-CA', "$Dir/$ca.crt",
            '-CAkey', "$Dir/$ca.key", '-CAcreateserial', '-days', '2',
            '-out', "$Dir/$name.crt", '-extfile', "$Dir/$name.ext");
}

# t/lib/sts_standin.py MODE ARGS...: its port once it listens
sub standin {
    my ($mode, $name, @args) = @_;
    my $portfile = "$Dir/$name.port";
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', "$Dir/$name.err";
        { exec $WebAuthnTest::Python, "$WebAuthnTest::Top/t/lib/sts_standin.py",
               $mode, $portfile, "$Dir/$name.log", @args; }
        POSIX::_exit(127);
    }
    push @WebAuthnTest::Children, $pid;
    for (1 .. 500) {
        if (open my $in, '<', $portfile) {
            my $port = <$in>;
            close $in;
            return $port if $port;
        }
        Time::HiRes::sleep(0.02);
    }
    die "stand-in $name did not start; see $Dir/$name.err";
}

# the stand-in's log lines
sub standin_log {
    my ($name) = @_;
    open my $in, '<', "$Dir/$name.log" or return ();
    my @lines = <$in>;
    close $in;
    chomp @lines;
    return @lines;
}

make_ca('ca');
make_ca('wrong-ca');
make_cert('sts', 'ca', 'localhost', 'DNS:localhost,IP:127.0.0.1');
make_cert('other', 'ca', 'other.example', 'DNS:other.example');

$ENV{TEST_NGINX_CA} = "$Dir/ca.crt";
$ENV{TEST_NGINX_WRONG_CA} = "$Dir/wrong-ca.crt";
$ENV{TEST_NGINX_STS_PORT} =
    standin('sts', 'sts', '--cert', "$Dir/sts.crt", '--key', "$Dir/sts.key");
$ENV{TEST_NGINX_CLOSE_PORT} =
    standin('sts', 'close', '--cert', "$Dir/sts.crt", '--key', "$Dir/sts.key",
            '--close');
$ENV{TEST_NGINX_OTHER_PORT} =
    standin('sts', 'other', '--cert', "$Dir/other.crt",
            '--key', "$Dir/other.key");
$ENV{TEST_NGINX_PLAIN_PORT} = standin('sts', 'plain');
$ENV{TEST_NGINX_DNS_PORT} = standin('dns', 'dns');

# the base credentials that sign AssumeRole
$ENV{AWS_ACCESS_KEY_ID} = 'AKIDTLSBASE';
$ENV{AWS_SECRET_ACCESS_KEY} = 'tls-base-secret';
delete $ENV{AWS_SESSION_TOKEN};
delete $ENV{AWS_ENDPOINT_URL_STS};

our $Signed = qr/^token=tls-session-token authorization=AWS4-HMAC-SHA256 Credential=ASIATLSSTANDIN\/\d{8}\/us-east-1\/execute-api\/aws4_request, /;

run_tests();

__DATA__

=== TEST 1: https to an address, the test CA trusted: STS credentials sign the request; a second exchange reuses the TLS connection
--- main_config
env AWS_ACCESS_KEY_ID;
env AWS_SECRET_ACCESS_KEY;
env AWS_ENDPOINT_URL_STS=https://127.0.0.1:$TEST_NGINX_STS_PORT;
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
    webauthn_aws_trusted_certificate $TEST_NGINX_CA;
    webauthn_aws_credentials zone=aws_credentials:1m;
--- config
    location = /aws {
        auth_webauthn "test";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        webauthn_aws_role reader arn:aws:iam::123456789012:role/reader;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/signed;
    }
    location = /signed {
        return 200 "token=$http_x_amz_security_token authorization=$http_authorization\n";
    }
--- init
my $r = WebAuthnTest::http_request('GET', '/aws',
                                   WebAuthnTest::authz(key => 'rs256'));
Test::More::is($r->{status}, 200, 'the first exchange: 200');
--- request
GET /aws
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body_like eval
$main::Signed
--- no_error_log
[error]
[alert]
[crit]



=== TEST 2: (the stand-in saw both AssumeRole over TLS, on one connection) a wrong CA: 503 aws_credentials_unavailable, the verify failure logged
--- init
my @l = main::standin_log('sts');
Test::More::is(scalar @l, 2, 'two AssumeRole calls');
Test::More::like($l[0], qr/^request host=127\.0\.0\.1:\d+ tls=1 reused=0 port=(\d+) action=True$/, 'over TLS, Host as in the URL');
my ($p0) = $l[0] =~ /port=(\d+)/;
my ($p1) = ($l[1] // '') =~ /port=(\d+)/;
Test::More::is($p1, $p0, 'the second on the kept connection');
--- main_config
env AWS_ACCESS_KEY_ID;
env AWS_SECRET_ACCESS_KEY;
env AWS_ENDPOINT_URL_STS=https://127.0.0.1:$TEST_NGINX_STS_PORT;
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
    webauthn_aws_trusted_certificate $TEST_NGINX_WRONG_CA;
    webauthn_aws_credentials zone=aws_credentials:1m;
--- config
    location = /aws {
        auth_webauthn "test";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        webauthn_aws_role reader arn:aws:iam::123456789012:role/reader;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/signed;
    }
    location = /signed {
        return 200 "token=$http_x_amz_security_token authorization=$http_authorization\n";
    }
--- request
GET /aws
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- error_code: 503
--- response_body_like: "code"\s*:\s*"aws_credentials_unavailable"
--- error_log eval
[qr/\[error\] .*webauthn: aws_credentials_unavailable: STS AssumeRole: sts TLS certificate verify failed: unable to (?:get local issuer certificate|verify the first certificate) \(2[01]\), credential: /]
--- no_error_log
[alert]
[crit]



=== TEST 3: the right CA but a certificate for another name: refused, the name logged
--- main_config
env AWS_ACCESS_KEY_ID;
env AWS_SECRET_ACCESS_KEY;
env AWS_ENDPOINT_URL_STS=https://127.0.0.1:$TEST_NGINX_OTHER_PORT;
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
    webauthn_aws_trusted_certificate $TEST_NGINX_CA;
    webauthn_aws_credentials zone=aws_credentials:1m;
--- config
    location = /aws {
        auth_webauthn "test";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        webauthn_aws_role reader arn:aws:iam::123456789012:role/reader;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/signed;
    }
    location = /signed {
        return 200 "token=$http_x_amz_security_token authorization=$http_authorization\n";
    }
--- request
GET /aws
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- error_code: 503
--- response_body_like: "code"\s*:\s*"aws_credentials_unavailable"
--- error_log eval
[qr/\[error\] .*webauthn: aws_credentials_unavailable: STS AssumeRole: sts TLS certificate verify failed: the certificate is not for "127\.0\.0\.1"/]
--- no_error_log
[alert]
[crit]



=== TEST 4: a host name, resolved with "resolver" (the DNS stand-in): passes, SNI and the name checked
--- main_config
env AWS_ACCESS_KEY_ID;
env AWS_SECRET_ACCESS_KEY;
env AWS_ENDPOINT_URL_STS=https://localhost:$TEST_NGINX_STS_PORT/;
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
    webauthn_aws_trusted_certificate $TEST_NGINX_CA;
    webauthn_aws_credentials zone=aws_credentials:1m;
--- config
    resolver 127.0.0.1:$TEST_NGINX_DNS_PORT ipv6=off;
    resolver_timeout 2s;
    location = /aws {
        auth_webauthn "test";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        webauthn_aws_role reader arn:aws:iam::123456789012:role/reader;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/signed;
    }
    location = /signed {
        return 200 "token=$http_x_amz_security_token authorization=$http_authorization\n";
    }
--- request
GET /aws
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body_like eval
$main::Signed
--- no_error_log
[error]
[alert]
[crit]



=== TEST 5: (the name went through the DNS stand-in) a host name without a resolver: 503, the reason logged
--- init
Test::More::ok((grep { $_ eq 'query localhost 1' } main::standin_log('dns')), 'localhost asked of the DNS stand-in');
Test::More::like((main::standin_log('sts'))[-1], qr/^request host=localhost:\d+ tls=1 /, 'the Host header has the name');
--- main_config
env AWS_ACCESS_KEY_ID;
env AWS_SECRET_ACCESS_KEY;
env AWS_ENDPOINT_URL_STS=https://localhost:$TEST_NGINX_STS_PORT;
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
    webauthn_aws_trusted_certificate $TEST_NGINX_CA;
    webauthn_aws_credentials zone=aws_credentials:1m;
--- config
    location = /aws {
        auth_webauthn "test";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        webauthn_aws_role reader arn:aws:iam::123456789012:role/reader;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/signed;
    }
    location = /signed {
        return 200 "token=$http_x_amz_security_token authorization=$http_authorization\n";
    }
--- request
GET /aws
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- error_code: 503
--- response_body_like: "code"\s*:\s*"aws_credentials_unavailable"
--- error_log eval
[qr/\[error\] .*webauthn: aws_credentials_unavailable: STS AssumeRole: no resolver defined to resolve localhost, credential: /]
--- no_error_log
[alert]
[crit]



=== TEST 6: no AWS_ENDPOINT_URL_STS: the regional https endpoint, a host name, refused without a resolver
--- main_config
env AWS_ACCESS_KEY_ID;
env AWS_SECRET_ACCESS_KEY;
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
    webauthn_aws_credentials zone=aws_credentials:1m;
--- config
    location = /aws {
        auth_webauthn "test";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        webauthn_aws_role reader arn:aws:iam::123456789012:role/reader;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/signed;
    }
    location = /signed {
        return 200 "token=$http_x_amz_security_token authorization=$http_authorization\n";
    }
--- request
GET /aws
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- error_code: 503
--- response_body_like: "code"\s*:\s*"aws_credentials_unavailable"
--- error_log eval
[qr/\[error\] .*webauthn: aws_credentials_unavailable: STS AssumeRole: no resolver defined to resolve sts\.us-east-1\.amazonaws\.com, credential: /]
--- no_error_log
[alert]
[crit]



=== TEST 7: TLS sessions: a server that closes every connection; the next new connection resumes the saved session
--- main_config
env AWS_ACCESS_KEY_ID;
env AWS_SECRET_ACCESS_KEY;
env AWS_ENDPOINT_URL_STS=https://127.0.0.1:$TEST_NGINX_CLOSE_PORT;
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
    webauthn_aws_trusted_certificate $TEST_NGINX_CA;
    webauthn_aws_credentials zone=aws_credentials:1m;
--- config
    location = /aws {
        auth_webauthn "test";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        webauthn_aws_role reader arn:aws:iam::123456789012:role/reader;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/signed;
    }
    location = /signed {
        return 200 "token=$http_x_amz_security_token authorization=$http_authorization\n";
    }
--- init
my $r = WebAuthnTest::http_request('GET', '/aws',
                                   WebAuthnTest::authz(key => 'es384'));
Test::More::is($r->{status}, 200, 'the first exchange: 200');
--- request
GET /aws
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body_like eval
$main::Signed
--- no_error_log
[error]
[alert]
[crit]



=== TEST 8: (two connections, the second resumed) plain http to a loopback address: passes
--- init
my @l = main::standin_log('close');
Test::More::is(scalar @l, 2, 'two AssumeRole calls');
Test::More::like($l[0] // '', qr/ tls=1 reused=0 /, 'the first: a full handshake');
Test::More::like($l[1] // '', qr/ tls=1 reused=1 /, 'the second: the session resumed');
--- main_config
env AWS_ACCESS_KEY_ID;
env AWS_SECRET_ACCESS_KEY;
env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_PLAIN_PORT;
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
    webauthn_aws_credentials zone=aws_credentials:1m;
--- config
    location = /aws {
        auth_webauthn "test";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        webauthn_aws_role reader arn:aws:iam::123456789012:role/reader;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/signed;
    }
    location = /signed {
        return 200 "token=$http_x_amz_security_token authorization=$http_authorization\n";
    }
--- request
GET /aws
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body_like eval
$main::Signed
--- no_error_log
[error]
[alert]
[crit]



=== TEST 9: plain http to a host name: refused, with the reason
--- main_config
env AWS_ACCESS_KEY_ID;
env AWS_SECRET_ACCESS_KEY;
env AWS_ENDPOINT_URL_STS=http://localhost:$TEST_NGINX_PLAIN_PORT;
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
    webauthn_aws_credentials zone=aws_credentials:1m;
--- config
    resolver 127.0.0.1:$TEST_NGINX_DNS_PORT ipv6=off;
    location = /aws {
        auth_webauthn "test";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        webauthn_aws_role reader arn:aws:iam::123456789012:role/reader;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/signed;
    }
    location = /signed {
        return 200 "token=$http_x_amz_security_token authorization=$http_authorization\n";
    }
--- request
GET /aws
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- error_code: 503
--- response_body_like: "code"\s*:\s*"aws_credentials_unavailable"
--- error_log eval
[qr/\[error\] .*webauthn: aws_credentials_unavailable: STS AssumeRole: no STS endpoint: plain http:\/\/ in AWS_ENDPOINT_URL_STS is only for a loopback address/]
--- no_error_log
[alert]
[crit]
