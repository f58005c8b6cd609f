# vi:filetype=perl

# webauthn_redis with a host name: with "resolver" in http{} the name is
# resolved by nginx's resolver at every exchange (its cache answering
# within "valid="), so a name that moves (a cloud endpoint after a
# failover) is followed without a reload, and idle connections to the
# former address are closed; without a resolver it is resolved once, at
# configuration.  The DNS stand-in (t/lib/dns_standin.py) answers from a
# file the test rewrites; two Redis servers share a port on 127.0.0.2 and
# 127.0.0.3.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use RedisServers;

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 10);
add_block_preprocessor(\&WebAuthnTest::preprocess);

our $Dir = $WebAuthnTest::WorkDir;
our $Records = "$Dir/dns.records";

sub records {
    my ($text) = @_;
    open my $out, '>', "$Records.tmp" or die $!;
    print $out $text;
    close $out;
    rename "$Records.tmp", $Records or die $!;
}

sub dns_log {
    open my $in, '<', "$Dir/dns.log" or return ();
    my @l = <$in>;
    close $in;
    chomp @l;
    return @l;
}

records("redis.test 127.0.0.2\n");

my $pid = fork();
die "fork: $!" unless defined $pid;
if ($pid == 0) {
    open STDOUT, '>', '/dev/null';
    open STDERR, '>', "$Dir/dns.err";
    { exec $WebAuthnTest::Python, "$WebAuthnTest::Top/t/lib/dns_standin.py",
           "$Dir/dns.port", $Records, "$Dir/dns.log"; }
    POSIX::_exit(127);
}
push @WebAuthnTest::Children, $pid;
$ENV{TEST_NGINX_DNS_PORT} = RedisServers::wait_until(10, sub {
    open my $in, '<', "$Dir/dns.port" or return;
    my $p = <$in>;
    return $p;
}) or die "the DNS stand-in did not start; see $Dir/dns.err";

$ENV{TEST_NGINX_MOVING_PORT} = WebAuthnTest::free_port();
RedisServers::start('a', bind => '127.0.0.2',
                    port => $ENV{TEST_NGINX_MOVING_PORT});
RedisServers::start('b', bind => '127.0.0.3',
                    port => $ENV{TEST_NGINX_MOVING_PORT});
RedisServers::copy_keys('main', 'a');
RedisServers::copy_keys('main', 'b');

our %Before;

run_tests();

__DATA__

=== TEST 1: a host name with a resolver: on A; the name moved to B: the next request goes to B, without a reload, the idle connection to A closed
--- http_config
    resolver 127.0.0.1:$TEST_NGINX_DNS_PORT valid=1s ipv6=off;
    webauthn_redis redis.test:$TEST_NGINX_MOVING_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- init
my ($a, $b) = (RedisServers::dbsize('a'), RedisServers::dbsize('b'));
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'es384'));
Test::More::is($r->{status}, 200, 'passes while redis.test is 127.0.0.2');
Test::More::is(RedisServers::dbsize('a') - $a, 1, 'the commit ran on A');
Test::More::is(RedisServers::dbsize('b') - $b, 0, 'not on B');
Test::More::ok((grep { $_ eq 'query redis.test 1 127.0.0.2' } main::dns_log()), 'redis.test asked of the DNS stand-in');
Test::More::is(RedisServers::info('a', 'clients')->{connected_clients}, 2, 'A: the idle connection of nginx, and this one');
main::records("redis.test 127.0.0.3\n");
# nginx's resolver keeps an answer while its expiry (whole seconds) is not
# past: valid=1s is up to two seconds
Time::HiRes::sleep(2.5);
$r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'rs256'));
Test::More::is($r->{status}, 200, 'passes once redis.test is 127.0.0.3');
Test::More::is(RedisServers::dbsize('a') - $a, 1, 'nothing more on A');
Test::More::is(RedisServers::dbsize('b') - $b, 1, 'the commit ran on B');
Test::More::is(RedisServers::info('a', 'clients')->{connected_clients}, 1, 'A: the idle connection to the former address closed');
$main::Before{b} = RedisServers::dbsize('b');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[error]
[alert]
[crit]



=== TEST 2: (the request went to B) the name gone from DNS: 503, the resolver's answer logged
--- init
Test::More::is(RedisServers::dbsize('b') - $main::Before{b}, 1, 'the last commit ran on B');
main::records("other.test 127.0.0.9\n");
--- http_config
    resolver 127.0.0.1:$TEST_NGINX_DNS_PORT valid=1s ipv6=off;
    webauthn_redis redis.test:$TEST_NGINX_MOVING_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: redis\.test could not be resolved \(3: Host not found\)/]
--- no_error_log
[alert]
[crit]



=== TEST 3: a host name without a resolver: resolved once at configuration (localhost, /etc/hosts), never asked of a DNS server
--- init
main::records("redis.test 127.0.0.2\n");
$main::Before{dns} = scalar(main::dns_log());
--- http_config
    webauthn_redis localhost:$TEST_NGINX_REDIS_PORT;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[error]
[alert]
[crit]



=== TEST 4: (no DNS query) a name that does not resolve, without a resolver: nginx -t refuses it
--- init
Test::More::is(scalar(main::dns_log()), $main::Before{dns}, 'no DNS query without a resolver');
my ($rc, $out) = WebAuthnTest::nginx_t("webauthn_redis no-such-host.invalid:6379;");
Test::More::isnt($rc, 0, 'refused');
Test::More::like($out, qr/host not found in "no-such-host\.invalid:6379" of "webauthn_redis"/, 'the reason');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
