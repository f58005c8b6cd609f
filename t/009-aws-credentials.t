# vi:filetype=perl

# AWS credentials (issue 8): per-person role sessions from STS AssumeRole
# (session name, SourceIdentity, tags, duration, checked by the STS
# stand-in, which also checks the call's own SigV4 signature for "sts"),
# the shared cache (reuse, one fetch under concurrent load, refresh ahead
# of expiry), fail-closed 503 while STS fails and recovery after,
# role_forbidden, and each base source of the chain in turn: environment,
# web identity token file, container full URI with a token, IMDSv2.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use AwsStandins;
use IPC::Open2 ();
use JSON::PP ();
use POSIX ();
use Time::HiRes ();

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 10);
AwsStandins::start_aws_standins();
add_block_preprocessor(\&AwsStandins::preprocess);

our $Acct = $AwsStandins::Account;
our $Reader = "arn:aws:iam::$Acct:role/ApiReader";
our $Deployer = "arn:aws:iam::$Acct:role/ApiDeployer";
# user_name is UTF-8 without controls (README, "Redis schema"): issue 8's
# "Zo\xc3\xab O'Brien" (UTF-8 bytes here), a space and an apostrophe, all
# outside STS's set
our $Zoe = "Zo\xc3\xab O'Brien";
our $Zoe2 = "Zoe O Brien";
our $Long = ('l' x 80) . ' "x"';

WebAuthnTest::enroll('alice', alg => 'es256', user => 'alice',
                     roles => 'deployer');
WebAuthnTest::enroll('redir9', alg => 'es256', user => 'rene',
                     roles => 'deployer');
WebAuthnTest::enroll('both', alg => 'es256', user => 'bo.th',
                     roles => 'deployer reader');
WebAuthnTest::enroll('zoe', alg => 'es256', user => $Zoe, roles => 'reader');
WebAuthnTest::enroll('zoe2', alg => 'es256', user => $Zoe2,
                     roles => 'reader');
WebAuthnTest::enroll('long', alg => 'es256', user => $Long,
                     roles => 'reader');
WebAuthnTest::enroll('rita', alg => 'es256', user => 'rita',
                     roles => 'reader');
WebAuthnTest::enroll('bob', alg => 'es256', user => 'bob',
                     roles => 'reader');
WebAuthnTest::enroll('crowd', alg => 'es256', user => 'crowd',
                     roles => 'reader');
WebAuthnTest::enroll('fred', alg => 'es256', user => 'fred',
                     roles => 'reader');
WebAuthnTest::enroll('carol', alg => 'es256', user => 'carol',
                     roles => 'reader');
for my $m (qw(m500 mgarbage mclose mjunk mhang)) {
    WebAuthnTest::enroll($m, alg => 'es256', user => "user-$m",
                         roles => 'reader');
}
WebAuthnTest::enroll('nobody', alg => 'es256', user => 'nobody',
                     roles => 'auditor');
WebAuthnTest::enroll('metered', alg => 'es256', user => 'metered',
                     roles => 'reader');
WebAuthnTest::enroll('none', alg => 'es256', user => 'nora',
                     roles => 'reader');
for my $s (qw(src_env src_wi src_ecs src_imds)) {
    WebAuthnTest::enroll($s, alg => 'es256', user => "user-$s",
                         roles => 'reader');
}

# a signing location; roles => 0 for none (the base credentials sign)
sub api_config {
    my (%o) = @_;
    my $roles = exists $o{roles} && !$o{roles} ? '' : <<"_EOC_";
        webauthn_aws_role reader $::Reader;
        webauthn_aws_role deployer $::Deployer;
        webauthn_aws_role_duration 15m;
_EOC_
    my $c = <<'_EOC_';
    location /api/ {
        auth_webauthn "api";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        webauthn_aws_host abc123.execute-api.us-east-1.amazonaws.com;
@ROLES@
        add_header X-Aws-Key $webauthn_aws_access_key always;
        add_header X-Aws-Role $webauthn_aws_role always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_APIGW_PORT;
    }
    location = /webauthn/challenge {
        webauthn_challenge;
    }
_EOC_
    $c =~ s/\@ROLES\@\n/$roles/;
    return $c . $AwsStandins::StatsLocations;
}

# GET URI as credential KEY (COUNTER: its signature counter, else the
# next one): (status, the echo decoded or undef, the response)
sub call {
    my ($key, $counter, $uri) = @_;
    my $r = WebAuthnTest::http_request('GET', $uri // '/api/whoami',
        WebAuthnTest::authz(key => $key,
                            defined $counter ? (counter => $counter) : ()));
    my $echo = $r->{status} == 200
               ? eval { JSON::PP::decode_json($r->{body}) } : undef;
    return ($r->{status}, $echo, $r);
}

# a refusal by the AWS stage: status, problem+json code, Retry-After on 503
sub is_refused {
    my ($r, $status, $code, $what) = @_;
    Test::More::is($r->{status}, $status, "$what: $status");
    Test::More::like($r->{headers}{'content-type'} // '',
                     qr{^application/problem\+json}, "$what: problem+json");
    Test::More::like($r->{body} // '', qr/"code"\s*:\s*"\Q$code\E"/,
                     "$what: $code");
    Test::More::like($r->{headers}{'retry-after'} // '', qr/^\d{1,2}$/,
                     "$what: Retry-After") if $status == 503;
}

# the regex of an echo whose identity is the role session of USER
sub session_re {
    my (%o) = @_;
    my $re = '^\{(?=.*"access_key_id":"ASIA[A-Z0-9]{16}")'
             . '(?=.*"identity":\{[^{}]*"role_arn":"' . quotemeta($o{role})
             . '")(?=.*"type":"assumed-role")';
    $re .= '(?=.*"role_session_name":"' . quotemeta($o{session}) . '")'
           . '(?=.*"source_identity":"' . quotemeta($o{session}) . '")'
        if defined $o{session};
    $re .= '(?=.*"tags":\{"webauthn_credential":"' . quotemeta($o{cred})
           . '","webauthn_user":"' . quotemeta($o{user}) . '"\})'
        if defined $o{cred};
    $re .= '(?=.*"duration_seconds":' . $o{duration} . '[,}])'
        if defined $o{duration};
    return $re . '.*\}\s*$';
}

# sends the requests (header strings) at the same moment from as many
# processes; returns their statuses and echoes' access keys
sub concurrent {
    my ($uri, @headers) = @_;
    my @kids;
    for my $h (@headers) {
        pipe(my $rd, my $wr) or die "pipe: $!";
        my $pid = fork();
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            close $rd;
            my $r = WebAuthnTest::http_request('GET', $uri, $h);
            my $echo = eval { JSON::PP::decode_json($r->{body}) } || {};
            syswrite($wr, "$r->{status} " . ($echo->{access_key_id} // '-')
                          . "\n");
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$pid, $rd];
    }
    my @out;
    for my $k (@kids) {
        my $fh = $k->[1];
        my $line = <$fh> // "0 -\n";
        close $fh;
        waitpid $k->[0], 0;
        chomp $line;
        push @out, [split / /, $line];
    }
    return @out;
}

# /metrics parsed by prometheus_client's parser (t/lib/prom_parse.py)
sub scrape {
    my $r = WebAuthnTest::http_request('GET', '/metrics');
    die "GET /metrics: $r->{status}\n" unless $r->{status} == 200;
    my $pid = IPC::Open2::open2(my $out, my $in, '/usr/bin/python3',
                                "$WebAuthnTest::Top/t/lib/prom_parse.py");
    print $in $r->{body};
    close $in;
    my $json = do { local $/; <$out> };
    waitpid $pid, 0;
    die "prom_parse.py failed ($?)\n" if $? != 0;
    return JSON::PP::decode_json($json)->{samples};
}

run_tests();

__DATA__

=== TEST 1: AssumeRole per person: the mapped role (deployer), session name and SourceIdentity from the user name, tags webauthn_user and webauthn_credential, 15m; signed for sts by the base credentials
--- aws_source: env
--- config eval: main::api_config()
--- init
AwsStandins::aws_reset();
--- request eval
["GET /api/whoami", "GET /__stats/sts"]
--- more_headers eval
[WebAuthnTest::authz(key => 'alice'), '']
--- error_code eval
[200, 200]
--- response_headers_like eval
["X-Aws-Role: \Q$::Deployer\E\nX-Aws-Key: ASIA[A-Z0-9]{16}\n", '']
--- response_body_like eval
[main::session_re(role => $::Deployer, session => 'alice',
                  user => 'alice', cred => WebAuthnTest::cred_id('alice'),
                  duration => 900),
 '^\{(?=.*"calls":\{"AssumeRole":1\})'
 . '(?=.*"Action":"AssumeRole")(?=.*"Version":"2011-06-15")'
 . '(?=.*"RoleArn":"' . quotemeta($::Deployer) . '")'
 . '(?=.*"RoleSessionName":"alice")(?=.*"SourceIdentity":"alice")'
 . '(?=.*"DurationSeconds":"900")'
 . '(?=.*"Tags\.member\.\d\.Key":"webauthn_user")'
 . '(?=.*"Tags\.member\.\d\.Key":"webauthn_credential")'
 . '(?=.*"caller":"AKIDEXAMPLE")(?=.*"status":200)']
--- no_error_log
[alert]
[crit]
[error]



=== TEST 2: the first webauthn_aws_role line whose role the credential has wins (reader before deployer)
--- aws_source: env
--- config eval: main::api_config()
--- request
GET /api/whoami
--- more_headers eval
WebAuthnTest::authz(key => 'both')
--- response_body_like eval
main::session_re(role => $::Reader, session => 'bo.th')
--- response_headers_like eval
"X-Aws-Role: \Q$::Reader\E\n"
--- no_error_log
[alert]
[crit]
[error]



=== TEST 3: names outside STS's set ("Zo\xc3\xab O'Brien" in UTF-8, "Zoe O Brien", 84 characters) get a session: mapped into [A-Za-z0-9_+=,.@-], at most 64, distinct people distinct
--- aws_source: env
--- config eval: main::api_config()
--- init
AwsStandins::aws_reset('sts');
my %name;
for my $k (qw(zoe zoe2 long)) {
    my ($status, $echo) = main::call($k);
    Test::More::is($status, 200, "$k: a role session");
    my $id = $echo ? $echo->{identity} : {};
    my $s = $id->{role_session_name} // '';
    Test::More::like($s, qr/^[A-Za-z0-9_+=,.\@-]{2,64}$/,
                     "$k: RoleSessionName in STS's set ($s)");
    Test::More::like($id->{source_identity} // '',
                     qr/^[A-Za-z0-9_+=,.\@-]{2,64}$/,
                     "$k: SourceIdentity in STS's set");
    Test::More::ok(defined $id->{tags}{webauthn_user},
                   "$k: tag webauthn_user");
    $name{$k} = $s;
}
Test::More::isnt($name{zoe}, $name{zoe2},
                 'two names that map alike get distinct sessions');
Test::More::isnt($name{zoe}, $::Zoe, "Zoe's name was mapped");
--- request
GET /__stats/sts
--- response_body_like chomp
^\{(?=.*"calls":\{"AssumeRole":3\})(?!.*"status":400).*\}$
--- no_error_log
[alert]
[crit]
[error]



=== TEST 4: the same person's second request reuses the cached credentials (STS called once); another person gets a session of their own
--- aws_source: env
--- config eval: main::api_config()
--- init
AwsStandins::aws_reset();
my ($s1, $e1) = main::call('rita');
my ($s2, $e2) = main::call('rita');
my ($s3, $e3) = main::call('bob');
Test::More::is("$s1 $s2 $s3", '200 200 200', 'three signed requests');
Test::More::is($e2 && $e2->{access_key_id}, $e1 && $e1->{access_key_id},
               'the second request of rita: the same credentials');
Test::More::isnt($e3 && $e3->{access_key_id}, $e1 && $e1->{access_key_id},
                 'bob: credentials of his own');
--- request
GET /__stats/sts
--- response_body_like chomp
^\{(?=.*"calls":\{"AssumeRole":2\})(?=.*"RoleSessionName":"rita")(?=.*"RoleSessionName":"bob").*\}$
--- no_error_log
[alert]
[crit]
[error]



=== TEST 5: one fetch under concurrent load: 8 requests of one person at once while STS takes a second, one AssumeRole, all signed with it
--- aws_source: env
--- config eval: main::api_config()
--- init
AwsStandins::aws_reset();
AwsStandins::aws_config('sts', delay => 1);
my @h = map { WebAuthnTest::authz(key => 'crowd', no_counter => 1) } 1 .. 8;
my @res = main::concurrent('/api/crowd', @h);
Test::More::is(join(' ', map { $_->[0] } @res), join(' ', (200) x 8),
               'all 8 signed');
my %keys = map { $_->[1] => 1 } @res;
Test::More::is(scalar(keys %keys), 1, 'all with the same credentials');
AwsStandins::aws_config('sts', delay => 0);
--- request
GET /__stats/sts
--- response_body_like chomp
^\{(?=.*"calls":\{"AssumeRole":1\}).*\}$
--- no_error_log
[alert]
[crit]
[error]



=== TEST 6: credentials are refreshed ahead of their expiry (12 s: a fifth before), and the new ones sign after the old expire
--- aws_source: env
--- config eval: main::api_config()
--- timeout: 30
--- init
AwsStandins::aws_reset();
AwsStandins::aws_config('sts', lifetime => 12);
my ($s1, $e1) = main::call('fred');
Test::More::is($s1, 200, 'first request: signed');
Time::HiRes::sleep(10.5);
my ($s2, $e2) = main::call('fred');
Test::More::is($s2, 200, 'inside the refresh window: signed');
Time::HiRes::sleep(1);
Test::More::is(AwsStandins::aws_calls('sts', 'AssumeRole'), 2,
               'refreshed before the first credentials expired');
Time::HiRes::sleep(2.5);
my ($s3, $e3) = main::call('fred');
Test::More::is($s3, 200, 'after the first credentials expired: signed');
Test::More::isnt($e3 && $e3->{access_key_id}, $e1 && $e1->{access_key_id},
                 'with the new credentials');
AwsStandins::aws_config('sts', lifetime => undef);
--- request
GET /__stats/sts
--- response_body_like chomp
^\{(?=.*"calls":\{"AssumeRole":2\}).*\}$
--- no_error_log
[alert]
[crit]



=== TEST 7: while STS answers 500: 503 aws_credentials_unavailable with Retry-After, nothing upstream; once STS is back, the person gets a session
--- aws_source: env
--- config eval: main::api_config()
--- timeout: 40
--- init
AwsStandins::aws_reset();
AwsStandins::aws_config('sts', mode => '500');
my ($s, $e, $r) = main::call('carol', 1);
main::is_refused($r, 503, 'aws_credentials_unavailable', 'STS failing');
Test::More::is(AwsStandins::aws_calls('apigw', 'request'), 0,
               'nothing reached the upstream');
Test::More::ok(AwsStandins::aws_calls('sts', 'failure:500') >= 1,
               'STS was asked');
AwsStandins::aws_config('sts', mode => 'ok');
my $ok = 0;
for my $i (2 .. 31) {
    ($s) = main::call('carol', $i);
    if ($s == 200) { $ok = 1; last; }
    Test::More::is($s, 503, "retry $i while backing off: 503");
    Time::HiRes::sleep(1);
}
Test::More::ok($ok, 'recovered within 30 s of STS coming back');
--- request
GET /api/whoami
--- more_headers eval
WebAuthnTest::authz(key => 'carol', counter => 100)
--- response_body_like eval
main::session_re(role => $::Reader, session => 'carol')
--- error_log eval
[qr/\[error\] .*webauthn: aws_credentials_unavailable: /]
--- no_error_log
[alert]
[crit]



=== TEST 8: STS answering garbage, closing the connection, not speaking HTTP, or hanging past the fetch timeout: 503 each time, never unsigned upstream
--- aws_source: env
--- config eval: main::api_config()
--- timeout: 30
--- init
AwsStandins::aws_reset();
for my $mode (qw(500 garbage close junk)) {
    AwsStandins::aws_config('sts', mode => $mode);
    my ($s, $e, $r) = main::call("m$mode");
    main::is_refused($r, 503, 'aws_credentials_unavailable',
                     "STS in mode $mode");
}
Test::More::is(AwsStandins::aws_calls('apigw', 'request'), 0,
               'nothing reached the upstream');
AwsStandins::aws_config('sts', mode => 'hang');
--- request
GET /api/whoami
--- more_headers eval
WebAuthnTest::authz(key => 'mhang')
--- aws_denied: aws_credentials_unavailable
--- no_error_log
[alert]
[crit]



=== TEST 9: a location with webauthn_aws_role lines none of which the credential has: 403 role_forbidden
--- aws_source: env
--- config eval: main::api_config()
--- init
AwsStandins::aws_reset();
--- request
GET /api/whoami
--- more_headers eval
WebAuthnTest::authz(key => 'nobody')
--- aws_denied: role_forbidden
--- no_error_log
[alert]
[crit]
[error]



=== TEST 10: no usable AWS credentials at all: 503 aws_credentials_unavailable with Retry-After (and TEST 9's refusal called neither STS nor the upstream)
--- aws_source: none
--- config eval: main::api_config(roles => 0)
--- init
Test::More::is(AwsStandins::aws_calls('sts', 'AssumeRole'), 0,
               'role_forbidden: STS never called');
Test::More::is(AwsStandins::aws_calls('apigw', 'request'), 0,
               'role_forbidden: nothing reached the upstream');
AwsStandins::aws_reset();
--- request
GET /api/whoami
--- more_headers eval
WebAuthnTest::authz(key => 'none')
--- aws_denied: aws_credentials_unavailable
--- no_error_log
[alert]
[crit]



=== TEST 10b: an internal redirect into a signing location that maps none of the credential's roles: 403 role_forbidden there
--- aws_source: env
--- config eval
'    location /api/ {
        auth_webauthn "api";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        webauthn_aws_role deployer ' . $::Deployer . ';
        try_files /nonexistent-file @strict;
    }
    location @strict {
        auth_webauthn "api";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        webauthn_aws_role reader ' . $::Reader . ';
        proxy_pass http://127.0.0.1:$TEST_NGINX_APIGW_PORT;
    }
    location = /webauthn/challenge {
        webauthn_challenge;
    }
' . $AwsStandins::StatsLocations
--- request
GET /api/whoami
--- more_headers eval
WebAuthnTest::authz(key => 'redir9', no_counter => 1)
--- aws_denied: role_forbidden
--- no_error_log
[alert]
[crit]
[error]



=== TEST 11: base source 1, the environment: AssumeRole is signed with AWS_ACCESS_KEY_ID (and TEST 10 sent nothing upstream)
--- aws_source: env
--- config eval: main::api_config()
--- init
Test::More::is(AwsStandins::aws_calls('apigw', 'request'), 0,
               'no credentials: nothing reached the upstream');
AwsStandins::aws_reset();
--- request eval
["GET /api/whoami", "GET /__stats/sts"]
--- more_headers eval
[WebAuthnTest::authz(key => 'src_env'), '']
--- error_code eval
[200, 200]
--- response_body_like eval
[main::session_re(role => $::Reader, session => 'user-src_env'),
 '^\{(?=.*"calls":\{"AssumeRole":1\})(?=.*"caller":"AKIDEXAMPLE").*\}$']
--- no_error_log
[alert]
[crit]
[error]



=== TEST 12: base source 2, web identity: AssumeRoleWithWebIdentity with the token file's token, AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME; those credentials sign
--- aws_source: web_identity
--- config eval: main::api_config(roles => 0)
--- init
AwsStandins::aws_reset();
--- request eval
["GET /api/whoami", "GET /__stats/sts"]
--- more_headers eval
[WebAuthnTest::authz(key => 'src_wi'), '']
--- error_code eval
[200, 200]
--- response_body_like eval
['^\{(?=.*"access_key_id":"ASIA[A-Z0-9]{16}")'
 . '(?=.*"identity":\{[^{}]*"role_arn":"'
 . quotemeta($AwsStandins::WebIdentityRole) . '")'
 . '(?=.*"role_session_name":"nginx-gateway")'
 . '(?=.*"type":"web-identity").*\}\s*$',
 '^\{(?=.*"calls":\{"AssumeRoleWithWebIdentity":1\})'
 . '(?=.*"WebIdentityToken":"' . quotemeta($AwsStandins::WebIdentityToken)
 . '")(?=.*"RoleArn":"' . quotemeta($AwsStandins::WebIdentityRole) . '")'
 . '(?=.*"RoleSessionName":"nginx-gateway")(?=.*"status":200).*\}$']
--- no_error_log
[alert]
[crit]
[error]



=== TEST 13: base source 3, container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN as Authorization
--- aws_source: container
--- config eval: main::api_config(roles => 0)
--- init
AwsStandins::aws_reset();
--- request eval
["GET /api/whoami", "GET /__stats/ecs"]
--- more_headers eval
[WebAuthnTest::authz(key => 'src_ecs'), '']
--- error_code eval
[200, 200]
--- response_body_like eval
['^\{(?=.*"access_key_id":"ASIA[A-Z0-9]{16}")'
 . '(?=.*"identity":\{[^{}]*"type":"container").*\}\s*$',
 '^\{(?=.*"calls":\{"credentials":1\})'
 . '(?=.*\["(?i:authorization)","'
 . quotemeta($AwsStandins::EcsToken) . '"\])'
 . '(?!.*"status":401).*\}$']
--- no_error_log
[alert]
[crit]
[error]



=== TEST 14: base source 3, container credentials at http://localhost: the loopback name, never resolved, is plain http:// allowed
--- aws_source: container_localhost
--- config eval: main::api_config(roles => 0)
--- init
AwsStandins::aws_reset();
--- request eval
["GET /api/whoami", "GET /__stats/ecs"]
--- more_headers eval
[WebAuthnTest::authz(key => 'src_ecs'), '']
--- error_code eval
[200, 200]
--- response_body_like eval
['^\{(?=.*"access_key_id":"ASIA[A-Z0-9]{16}")'
 . '(?=.*"identity":\{[^{}]*"type":"container").*\}\s*$',
 '^\{(?=.*"calls":\{"credentials":1\}).*\}$']
--- no_error_log
[alert]
[crit]
[error]



=== TEST 15: base source 4, IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT: a session token first, then the role and its credentials, never IMDSv1
--- aws_source: imds
--- config eval: main::api_config(roles => 0)
--- init
AwsStandins::aws_reset();
--- request eval
["GET /api/whoami", "GET /__stats/imds"]
--- more_headers eval
[WebAuthnTest::authz(key => 'src_imds'), '']
--- error_code eval
[200, 200]
--- response_body_like eval
['^\{(?=.*"access_key_id":"ASIA[A-Z0-9]{16}")'
 . '(?=.*"identity":\{[^{}]*"type":"instance-profile").*\}\s*$',
 '^\{(?=.*"calls":\{"credentials":1,"role":1,"token":\d+\})'
 . '(?=.*\["(?i:x-aws-ec2-metadata-token-ttl-seconds)","\d+"\])'
 . '(?!.*"status":401).*\}$']
--- no_error_log
[alert]
[crit]
[error]



=== TEST 16: the metrics move as the requests predict: one signed request, one STS fetch of a role session, its expiry gauge
--- aws_source: env
--- config eval
main::api_config() . '    location = /metrics { webauthn_metrics; }
'
--- init
my $before = main::scrape();
my ($status) = main::call('metered');
Test::More::is($status, 200, 'a signed request with a fresh role session');
my $after = main::scrape();
my $d = sub { ($after->{$_[0]} // 0) - ($before->{$_[0]} // 0) };
Test::More::is($d->('webauthn_sigv4_signed_total'), 1, 'one more signed request');
Test::More::is($d->('webauthn_aws_credential_refresh_total{result="ok",source="sts"}'), 1,
               'one more STS fetch, ok');
Test::More::is($d->('webauthn_aws_credential_refresh_total{result="error",source="sts"}'), 0,
               'no failed STS fetch');
my $left = $after->{'webauthn_aws_credential_expiry_seconds{source="sts"}'} // 0;
Test::More::ok($left > 600 && $left <= 900, "the STS set has about 15 minutes left ($left s)");
--- request
GET /metrics
--- response_body_like
webauthn_sigv4_signed_total \d+
--- no_error_log
[alert]
[crit]
[error]
