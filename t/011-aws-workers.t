# vi:filetype=perl

# AWS credentials with two workers: one fetch per set of credentials
# across all workers (the webauthn_aws_credentials zone's single flight),
# for a person's role session from STS and for the base credentials from
# instance metadata.  The requests come in on a "reuseport" listener, so
# that the kernel spreads them over both workers, and each answer says
# which worker gave it.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use AwsStandins;
use IO::Select ();
use IO::Socket::INET ();
use JSON::PP ();
use POSIX ();

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
workers(2);
master_on();
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 10);
AwsStandins::start_aws_standins();
add_block_preprocessor(\&AwsStandins::preprocess);

our $Reader = "arn:aws:iam::$AwsStandins::Account:role/ApiReader";
our $N = 16;

$ENV{TEST_NGINX_SPREAD_PORT} = WebAuthnTest::free_port();

WebAuthnTest::enroll('many', alg => 'es256', user => 'many',
                     roles => 'reader');
WebAuthnTest::enroll('base', alg => 'es256', user => 'base-user',
                     roles => '');

sub api_config {
    my ($roles) = @_;
    my $role = $roles ? "webauthn_aws_role reader $::Reader;" : '';
    return <<"_EOC_" . $AwsStandins::StatsLocations;
    location /api/ {
        auth_webauthn "api";
        webauthn_aws_sign on;
        webauthn_aws_region us-east-1;
        $role
        add_header X-Worker \$pid always;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_APIGW_PORT;
    }
_EOC_
}

# the second server, on the reuseport listener, with the same locations
sub spread_http_config {
    my ($roles) = @_;
    my $c = main::api_config($roles);
    return $AwsStandins::HttpConfig . <<"_EOC_";
    server {
        listen 127.0.0.1:\$TEST_NGINX_SPREAD_PORT reuseport;
        server_name spread;
$c
    }
_EOC_
}

# N requests at once to the spread port: (status, worker pid, access key)
sub spread {
    my ($uri, @headers) = @_;
    my ($go_r, $go_w);
    pipe($go_r, $go_w) or die "pipe: $!";
    my @kids;
    for my $h (@headers) {
        pipe(my $rd, my $wr) or die "pipe: $!";
        my $pid = fork();
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            close $go_w;
            close $rd;
            my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                          PeerPort => $ENV{TEST_NGINX_SPREAD_PORT},
                                          Timeout => 30);
            my $buf;
            sysread($go_r, $buf, 1);
            my $resp = '';
            if ($s) {
                syswrite($s, "GET $uri HTTP/1.1\r\nHost: localhost\r\n"
                             . "Connection: close\r\n$h\r\n\r\n");
                my $sel = IO::Select->new($s);
                while ($sel->can_read(30)) {
                    last unless sysread($s, $resp, 65536, length $resp);
                }
            }
            my ($status) = $resp =~ m{^HTTP/\S+ (\d+)};
            my ($worker) = $resp =~ m{\r\nX-Worker: (\d+)\r\n}i;
            my ($body) = $resp =~ m{\r\n\r\n(.*)\z}s;
            my $echo = eval { JSON::PP::decode_json($body // '') } || {};
            syswrite($wr, join(' ', $status // 0, $worker // '-',
                               $echo->{access_key_id} // '-') . "\n");
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$pid, $rd];
    }
    close $go_r;
    Time::HiRes::sleep(0.2);
    close $go_w;
    my @out;
    for my $k (@kids) {
        my $fh = $k->[1];
        my $line = <$fh> // "0 - -\n";
        close $fh;
        waitpid $k->[0], 0;
        chomp $line;
        push @out, [split / /, $line];
    }
    return @out;
}

sub check_spread {
    my ($what, @res) = @_;
    Test::More::is(join(' ', map { $_->[0] } @res), join(' ', (200) x $N),
                   "$what: all $N signed");
    my %workers = map { $_->[1] => 1 } @res;
    Test::More::ok(keys %workers >= 2,
                   "$what: both workers answered (" . join(',', sort keys %workers)
                   . ')');
    my %keys = map { $_->[2] => 1 } @res;
    Test::More::is(scalar(keys %keys), 1,
                   "$what: one set of credentials signed them all");
}

run_tests();

__DATA__

=== TEST 1: a person's role session: 16 requests at once on two workers while STS takes a second, one AssumeRole
--- aws_source: env
--- http_config eval: main::spread_http_config(1)
--- config eval: main::api_config(1)
--- init
AwsStandins::aws_reset();
AwsStandins::aws_config('sts', delay => 1);
my @h = map { WebAuthnTest::authz(key => 'many', no_counter => 1) } 1 .. $::N;
main::check_spread('role session', main::spread('/api/many', @h));
AwsStandins::aws_config('sts', delay => 0);
--- request
GET /__stats/sts
--- response_body_like chomp
^\{(?=.*"calls":\{"AssumeRole":1\}).*\}$
--- no_error_log
[alert]
[crit]
[error]



=== TEST 2: the base credentials from instance metadata: 16 requests at once on two workers while IMDS takes a second, one token, one credentials fetch
--- aws_source: imds
--- http_config eval: main::spread_http_config(0)
--- config eval: main::api_config(0)
--- init
AwsStandins::aws_reset();
AwsStandins::aws_config('imds', delay => 1);
my @h = map { WebAuthnTest::authz(key => 'base', no_counter => 1) } 1 .. $::N;
main::check_spread('instance metadata', main::spread('/api/base', @h));
AwsStandins::aws_config('imds', delay => 0);
--- request
GET /__stats/imds
--- response_body_like chomp
^\{(?=.*"calls":\{[^}]*"token":1)(?!.*"token":[2-9]).*\}$
--- no_error_log
[alert]
[crit]
[error]
