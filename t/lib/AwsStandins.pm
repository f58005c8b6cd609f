package AwsStandins;

# Copyright (C) ngx_http_webauthn_module authors
#
# The AWS side of the t/*.t suite: starts t/lib/aws_standins.py (one
# process: API Gateway, STS, IMDSv2 and container credentials, each on a
# loopback port; see the comment on top of that file) and talks to its
# control endpoints.  Use after WebAuthnTest:
#
#   use lib 't/lib';
#   use WebAuthnTest;
#   use AwsStandins;
#   AwsStandins::start_aws_standins();
#   add_block_preprocessor(\&AwsStandins::preprocess);
#
# start_aws_standins(%o) (options: region, lifetime, web_identity_token,
# ecs_token, imds_role) returns { apigw, sts, imds, ecs } ports and
# exports, for $TEST_NGINX_* substitution and for aws_env():
#
#   TEST_NGINX_APIGW_PORT TEST_NGINX_STS_PORT TEST_NGINX_IMDS_PORT
#   TEST_NGINX_ECS_PORT
#   TEST_NGINX_AWS_REGION                     us-east-1
#   TEST_NGINX_AWS_ACCESS_KEY_ID              long-term base credentials
#   TEST_NGINX_AWS_SECRET_ACCESS_KEY            (an IAM user's)
#   TEST_NGINX_AWS_SESSION_ACCESS_KEY_ID      base credentials with a
#   TEST_NGINX_AWS_SESSION_SECRET_ACCESS_KEY    session token (a role
#   TEST_NGINX_AWS_SESSION_TOKEN                session's)
#   TEST_NGINX_AWS_STS_ENDPOINT               http://127.0.0.1:<sts>
#   TEST_NGINX_AWS_IMDS_ENDPOINT              http://127.0.0.1:<imds>
#   TEST_NGINX_AWS_CONTAINER_URI              http://127.0.0.1:<ecs>/v2/...
#   TEST_NGINX_AWS_CONTAINER_TOKEN
#   TEST_NGINX_AWS_WEB_IDENTITY_TOKEN_FILE    holds the token STS accepts
#   TEST_NGINX_AWS_WEB_IDENTITY_ROLE_ARN
#
# A block says where nginx's base credentials come from with
# "--- aws_source: env | session | web_identity | container | imds | none"
# (default env; container_localhost: that URI with "localhost" for
# 127.0.0.1): preprocess() sets the SDKs' own AWS_* variables in this
# process's environment before nginx starts (nginx inherits it) and, unless
# the block has its own, a main_config of "env AWS_...;" lines that pass
# them on to the workers.  Every source but imds sets
# AWS_EC2_METADATA_DISABLED=true, so that nothing tries 169.254.169.254.
#
# "--- aws_denied: CODE" stands for the checks of a refusal by the AWS
# stage (403 role_forbidden, 503 aws_credentials_unavailable with
# Retry-After), like WebAuthnTest's "--- denied".
#
# aws_stats(SERVICE) is that stand-in's /__stats (calls by endpoint or
# action, the last requests); aws_config(SERVICE, %cfg) posts /__config
# (mode => '500' | 'hang' | 'garbage' | 'close' | 'junk' | 'ok',
# delay => s, lifetime => s, ...); aws_reset(SERVICE...) (none: all).
# Config sections can also read a stand-in's stats through nginx: see
# $StatsLocations.

use strict;
use warnings;

use IO::Select ();
use IO::Socket::INET ();
use JSON::PP ();
use POSIX ();
use Time::HiRes ();

use WebAuthnTest ();

our $Script = "$WebAuthnTest::Top/t/lib/aws_standins.py";
our %Ports;
our $Pid;
our $MainPid = $$;

our $Region = 'us-east-1';
our $Account = '111122223333';
our %Base = (
    access_key_id     => 'AKIDEXAMPLE',
    secret_access_key => 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
);
our %Session = (
    access_key_id     => 'ASIAEXAMPLESESSION01',
    secret_access_key => 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
    session_token     => 'IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJH'
                         . 'MEUCIQDtest+session/token==',
);
our $WebIdentityToken = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.eyJzdWIiOi'
                        . 'JzeXN0ZW06c2VydmljZWFjY291bnQ6Z2F0ZXdheTpuZ2lue'
                        . 'CJ9.c2lnbmF0dXJl';
our $WebIdentityRole = "arn:aws:iam::$Account:role/GatewayIrsa";
our $EcsPath = '/v2/credentials/7c1f0d3e-gateway';
our $EcsToken = 'ecs-pod-identity-token-0123456789';

# every variable the module may read: what preprocess() clears and passes
our @AwsVars = qw(
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
    AWS_ENDPOINT_URL_STS AWS_EC2_METADATA_SERVICE_ENDPOINT
    AWS_EC2_METADATA_DISABLED AWS_CONTAINER_CREDENTIALS_FULL_URI
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_AUTHORIZATION_TOKEN
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE AWS_WEB_IDENTITY_TOKEN_FILE
    AWS_ROLE_ARN AWS_ROLE_SESSION_NAME AWS_REGION AWS_DEFAULT_REGION
);

# the main_config every block gets unless it has its own
our $MainConfig = join '', map { "env $_;\n" } @AwsVars;

# WebAuthnTest's http{} lines and the credentials zone
our $HttpConfig = $WebAuthnTest::HttpConfig . <<'_EOC_';
    webauthn_aws_credentials zone=aws_credentials:1m;
_EOC_

# locations that show a stand-in's /__stats through nginx, for a last
# request of a block: GET /__stats/sts
our $StatsLocations = <<'_EOC_';
    location = /__stats/apigw {
        proxy_pass http://127.0.0.1:$TEST_NGINX_APIGW_PORT/__stats;
    }
    location = /__stats/sts {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STS_PORT/__stats;
    }
    location = /__stats/imds {
        proxy_pass http://127.0.0.1:$TEST_NGINX_IMDS_PORT/__stats;
    }
    location = /__stats/ecs {
        proxy_pass http://127.0.0.1:$TEST_NGINX_ECS_PORT/__stats;
    }
_EOC_


# -- the process ------------------------------------------------------------

sub start_aws_standins {
    my (%o) = @_;
    return {%Ports} if $Pid;

    my $dir = $WebAuthnTest::WorkDir;
    my $tokfile = "$dir/aws-web-identity-token";
    open my $t, '>', $tokfile or die "$tokfile: $!";
    print $t $o{web_identity_token} // $WebIdentityToken;
    close $t;
    chmod 0644, $tokfile;

    my %conf = (
        region => $o{region} // $Region,
        account => $Account,
        base => [
            { %Base, arn => "arn:aws:iam::$Account:user/gateway" },
            { %Session, arn => "arn:aws:sts::$Account:assumed-role/"
                               . "GatewayBase/base-session" },
        ],
        web_identity_token => $o{web_identity_token} // $WebIdentityToken,
        imds_role => $o{imds_role} // 'GatewayInstanceRole',
        ecs_path => $EcsPath,
        ecs_token => exists $o{ecs_token} ? $o{ecs_token} : $EcsToken,
        lifetime => $o{lifetime},
        history => $o{history} // 50,
    );
    my $conffile = "$dir/aws-standins.json";
    my $portsfile = "$dir/aws-standins-ports.json";
    unlink $portsfile;
    open my $c, '>', $conffile or die "$conffile: $!";
    print $c JSON::PP->new->canonical->encode(\%conf);
    close $c;

    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDOUT, '>', "$dir/aws-standins.log";
        open STDERR, '>&', \*STDOUT;
        { exec $WebAuthnTest::Python, $Script, '--config', $conffile,
               '--ports-file', $portsfile; }
        POSIX::_exit(127);
    }
    $Pid = $pid;

    for (1 .. 500) {
        if (-s $portsfile) {
            open my $in, '<', $portsfile or die "$portsfile: $!";
            %Ports = %{ JSON::PP::decode_json(do { local $/; <$in> }) };
            close $in;
            last;
        }
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            undef $Pid;
            die "aws_standins.py exited; see $dir/aws-standins.log\n";
        }
        Time::HiRes::sleep(0.02);
    }
    die "aws_standins.py did not start; see $dir/aws-standins.log\n"
        unless %Ports;

    $ENV{TEST_NGINX_APIGW_PORT} = $Ports{apigw};
    $ENV{TEST_NGINX_STS_PORT} = $Ports{sts};
    $ENV{TEST_NGINX_IMDS_PORT} = $Ports{imds};
    $ENV{TEST_NGINX_ECS_PORT} = $Ports{ecs};
    $ENV{TEST_NGINX_AWS_REGION} = $conf{region};
    $ENV{TEST_NGINX_AWS_ACCESS_KEY_ID} = $Base{access_key_id};
    $ENV{TEST_NGINX_AWS_SECRET_ACCESS_KEY} = $Base{secret_access_key};
    $ENV{TEST_NGINX_AWS_SESSION_ACCESS_KEY_ID} = $Session{access_key_id};
    $ENV{TEST_NGINX_AWS_SESSION_SECRET_ACCESS_KEY} =
        $Session{secret_access_key};
    $ENV{TEST_NGINX_AWS_SESSION_TOKEN} = $Session{session_token};
    $ENV{TEST_NGINX_AWS_STS_ENDPOINT} = "http://127.0.0.1:$Ports{sts}";
    $ENV{TEST_NGINX_AWS_IMDS_ENDPOINT} = "http://127.0.0.1:$Ports{imds}";
    $ENV{TEST_NGINX_AWS_CONTAINER_URI} = "http://127.0.0.1:$Ports{ecs}$EcsPath";
    $ENV{TEST_NGINX_AWS_CONTAINER_TOKEN} = $conf{ecs_token} // '';
    $ENV{TEST_NGINX_AWS_WEB_IDENTITY_TOKEN_FILE} = $tokfile;
    $ENV{TEST_NGINX_AWS_WEB_IDENTITY_ROLE_ARN} = $WebIdentityRole;
    return {%Ports};
}

sub stop_aws_standins {
    return unless $Pid;
    kill 'TERM', $Pid;
    waitpid $Pid, 0;
    undef $Pid;
    %Ports = ();
}

END {
    return unless $$ == $MainPid;
    local $?;
    stop_aws_standins();
}


# -- control ----------------------------------------------------------------

# (status, body) of METHOD PATH on SERVICE's port
sub standin_request {
    my ($service, $method, $path, $body) = @_;
    my $port = $Ports{$service} or die "no stand-in named $service\n";
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Timeout => 10)
        or die "aws stand-in $service: connect: $!\n";
    $body //= '';
    syswrite($sock, "$method $path HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    . "Connection: close\r\nContent-Length: "
                    . length($body) . "\r\n\r\n$body");
    my $resp = '';
    my $sel = IO::Select->new($sock);
    while ($sel->can_read(10)) {
        my $n = sysread($sock, $resp, 65536, length $resp);
        last unless $n;
    }
    close $sock;
    my ($head, $content) = split /\r\n\r\n/, $resp, 2;
    my ($status) = ($head // '') =~ m{^HTTP/\S+ (\d+)};
    return ($status // 0, $content // '');
}

sub aws_stats {
    my ($service) = @_;
    my ($status, $body) = standin_request($service, 'GET', '/__stats');
    die "aws stand-in $service: /__stats: $status\n" unless $status == 200;
    return JSON::PP::decode_json($body);
}

sub aws_config {
    my ($service, %cfg) = @_;
    my ($status, $body) = standin_request($service, 'POST', '/__config',
                                          JSON::PP::encode_json(\%cfg));
    die "aws stand-in $service: /__config: $status $body\n"
        unless $status == 200;
    return JSON::PP::decode_json($body);
}

sub aws_reset {
    my @services = @_ ? @_ : qw(apigw sts imds ecs);
    for my $s (@services) {
        my ($status) = standin_request($s, 'POST', '/__reset');
        die "aws stand-in $s: /__reset: $status\n" unless $status == 200;
    }
}

# the calls SERVICE counted for ENDPOINT (an action, 'request', 'token',
# 'credentials', ...), 0 when none
sub aws_calls {
    my ($service, $endpoint) = @_;
    return aws_stats($service)->{calls}{$endpoint} // 0;
}

# the recorded requests of SERVICE for ENDPOINT, oldest first
sub aws_requests {
    my ($service, $endpoint) = @_;
    return grep { !defined $endpoint || ($_->{endpoint} // '') eq $endpoint }
           @{ aws_stats($service)->{requests} };
}

# the value of header NAME (any case) in a recorded [[name, value], ...]
sub header_of {
    my ($headers, $name) = @_;
    my @v = map { $_->[1] } grep { lc $_->[0] eq lc $name } @$headers;
    return wantarray ? @v : $v[0];
}


# -- blocks -----------------------------------------------------------------

# AWS_* for a base source (see the comment on top)
sub aws_env {
    my ($source) = @_;
    my %e = (AWS_REGION => $ENV{TEST_NGINX_AWS_REGION},
             AWS_ENDPOINT_URL_STS => $ENV{TEST_NGINX_AWS_STS_ENDPOINT},
             AWS_EC2_METADATA_DISABLED => 'true');
    if ($source eq 'env') {
        $e{AWS_ACCESS_KEY_ID} = $ENV{TEST_NGINX_AWS_ACCESS_KEY_ID};
        $e{AWS_SECRET_ACCESS_KEY} = $ENV{TEST_NGINX_AWS_SECRET_ACCESS_KEY};
    } elsif ($source eq 'session') {
        $e{AWS_ACCESS_KEY_ID} = $ENV{TEST_NGINX_AWS_SESSION_ACCESS_KEY_ID};
        $e{AWS_SECRET_ACCESS_KEY} =
            $ENV{TEST_NGINX_AWS_SESSION_SECRET_ACCESS_KEY};
        $e{AWS_SESSION_TOKEN} = $ENV{TEST_NGINX_AWS_SESSION_TOKEN};
    } elsif ($source eq 'web_identity') {
        $e{AWS_WEB_IDENTITY_TOKEN_FILE} =
            $ENV{TEST_NGINX_AWS_WEB_IDENTITY_TOKEN_FILE};
        $e{AWS_ROLE_ARN} = $ENV{TEST_NGINX_AWS_WEB_IDENTITY_ROLE_ARN};
        $e{AWS_ROLE_SESSION_NAME} = 'nginx-gateway';
    } elsif ($source eq 'container' || $source eq 'container_localhost') {
        $e{AWS_CONTAINER_CREDENTIALS_FULL_URI} =
            $ENV{TEST_NGINX_AWS_CONTAINER_URI};
        $e{AWS_CONTAINER_CREDENTIALS_FULL_URI} =~
            s{//127\.0\.0\.1:}{//localhost:}
            if $source eq 'container_localhost';
        $e{AWS_CONTAINER_AUTHORIZATION_TOKEN} =
            $ENV{TEST_NGINX_AWS_CONTAINER_TOKEN};
    } elsif ($source eq 'imds') {
        delete $e{AWS_EC2_METADATA_DISABLED};
        $e{AWS_EC2_METADATA_SERVICE_ENDPOINT} =
            $ENV{TEST_NGINX_AWS_IMDS_ENDPOINT};
    } elsif ($source ne 'none') {
        die "aws_source: unknown source \"$source\"\n";
    }
    return \%e;
}

# the block preprocessor of t/008 and t/009: WebAuthnTest's, the AWS
# http_config default, "--- aws_source" and "--- aws_denied"
sub preprocess {
    my ($block) = @_;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    WebAuthnTest::preprocess($block);

    my $source = $block->aws_source // 'env';
    $source =~ s/^\s+|\s+$//g;
    my $env = aws_env($source);
    delete $ENV{$_} for @AwsVars;
    $ENV{$_} = $env->{$_} for keys %$env;
    $block->set_value('main_config', $MainConfig)
        unless defined $block->main_config;

    expand_aws_denied($block);
}

sub expand_aws_denied {
    my ($block) = @_;
    my $code = $block->aws_denied;
    return unless defined $code;
    $code =~ s/^\s+|\s+$//g;
    my $unavailable = $code eq 'aws_credentials_unavailable';

    $block->set_value('error_code', $unavailable ? 503 : 403)
        unless defined $block->error_code;
    if (!defined $block->response_headers_like) {
        my $h = "Content-Type: application/problem\\+json\n"
                . "Cache-Control: no-store\n";
        $h .= "Retry-After: \\d{1,2}\n" if $unavailable;
        $block->set_value('response_headers_like', $h);
    }
    $block->set_value('response_body_like',
                      '^\{(?=.*"status"\s*:\s*' . ($unavailable ? 503 : 403)
                      . ')(?=.*"type"\s*:\s*"urn:ngx-webauthn:error:' . $code
                      . '").*"code"\s*:\s*"' . $code . '".*\}\s*$')
        unless defined $block->response_body_like;
    if (!defined $block->error_log) {
        my $lvl = $unavailable ? 'error' : 'info';
        $block->set_value('error_log',
                          [qr/\[$lvl\] .*webauthn: \Q$code\E: /]);
    }
}

1;
