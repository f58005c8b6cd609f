# vi:filetype=perl

# webauthn_metrics: the Prometheus text exposition, parsed by the reference
# parser (python3-prometheus-client, through t/lib/prom_parse.py), and the
# counters moved exactly as the requests made predict, across two workers
# and a reload; Redis faults by reason.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use IPC::Open2 ();

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
workers(2);
master_on();
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5);
add_block_preprocessor(\&WebAuthnTest::preprocess);

WebAuthnTest::enroll('mk', alg => 'es256', user => 'maya', roles => 'm');
WebAuthnTest::enroll('bad', alg => 'es256', user => 'bo', roles => 'b');

$ENV{TEST_NGINX_DEAD_PORT} = WebAuthnTest::free_port();
$ENV{TEST_NGINX_FAKE_GARBAGE_PORT} = WebAuthnTest::fake_redis('garbage');
$ENV{TEST_NGINX_FAKE_SILENT_PORT} = WebAuthnTest::fake_redis('silent');

our $CacheHttpConfig = $WebAuthnTest::HttpConfig . <<'_EOC_';
    webauthn_key_cache zone=wk:1m valid=10m;
_EOC_

our $Config = $WebAuthnTest::Config . <<'_EOC_';
    location = /metrics {
        webauthn_metrics;
    }
_EOC_

sub redis_config {
    my ($port, $opts) = @_;
    return "    webauthn_redis 127.0.0.1:$port $opts;\n" . <<'_EOC_';
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
_EOC_
}

# GET /metrics, parsed: { families => {...}, samples => { key => value } }
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
    return JSON::PP::decode_json($json);
}

# the change of every sample from BEFORE to AFTER, zeros left out
sub delta {
    my ($before, $after) = @_;
    my %d;
    for my $k (keys %{ $after->{samples} }) {
        my $v = $after->{samples}{$k} - ($before->{samples}{$k} // 0);
        $d{$k} = $v if $v != 0;
    }
    return \%d;
}

# Test::More::is_deeply on the counters only (histogram sums are times)
sub counters {
    my ($d) = @_;
    return { map { $_ => $d->{$_} } grep { !/_sum$/ } keys %$d };
}

# the commands nginx sent to Redis (not a script's), of MONITOR lines
sub round_trips {
    my ($lines) = @_;
    return scalar(map { WebAuthnTest::client_commands($lines, $_) }
                  qw(HMGET EVALSHA EVAL));
}

run_tests();

__DATA__

=== TEST 1: a challenge, two passes (a key cache miss, then a hit), credential_missing, signature_invalid: the counters move by exactly that
--- http_config eval: $::CacheHttpConfig
--- config eval: $::Config
--- init
my $m0 = main::scrape();
my %types = map { $_ => $m0->{families}{$_}{type} } keys %{ $m0->{families} };
Test::More::is_deeply(\%types, {
    webauthn_requests => 'counter',
    webauthn_challenges_issued => 'counter',
    webauthn_registrations => 'counter',
    webauthn_sessions_issued => 'counter',
    webauthn_verify_duration_seconds => 'histogram',
    webauthn_key_cache_hits => 'counter',
    webauthn_key_cache_misses => 'counter',
    webauthn_redis_round_trips => 'counter',
    webauthn_redis_resends => 'counter',
    webauthn_redis_errors => 'counter',
    webauthn_redis_duration_seconds => 'histogram',
    webauthn_sigv4_signed => 'counter',
    webauthn_aws_credential_refresh => 'counter',
    webauthn_aws_credential_expiry_seconds => 'gauge',
    webauthn_trust_anchor_expiry_seconds => 'gauge',
}, 'every family, with its type');
Test::More::ok(!grep({ !length $m0->{families}{$_}{help} }
                     keys %{ $m0->{families} }), 'every family has HELP');
Test::More::is($m0->{samples}{'webauthn_requests_total{code="ok",result="allowed"}'},
               0, 'a fresh zone starts at 0');

my $r;
my $lines = WebAuthnTest::monitor_redis('main', sub {
$r = WebAuthnTest::http_request('GET', '/webauthn/challenge');
Test::More::is($r->{status}, 200, 'a challenge');
for my $n (1, 2) {
    $r = WebAuthnTest::http_request('GET', '/t',
        WebAuthnTest::authz(key => 'mk', counter => $n));
    Test::More::is($r->{status}, 200, "pass $n");
}
$r = WebAuthnTest::http_request('GET', '/t');
Test::More::is($r->{status}, 401, 'no assertion');
$r = WebAuthnTest::http_request('GET', '/t',
    WebAuthnTest::authz(key => 'bad', counter => 1, bad_signature => 1));
Test::More::is($r->{status}, 401, 'a bad signature');
Test::More::like($r->{body}, qr/"signature_invalid"/, 'signature_invalid');
});

my $rt = main::round_trips($lines);
my $m1 = main::scrape();
my $d = main::delta($m0, $m1);

# HMGET for the miss and for "bad"; a commit per pass (two, when Redis
# first answers NOSCRIPT): as many as Redis saw
Test::More::ok($rt == 4 || $rt == 5, "Redis saw $rt round trips");

my %want = (
    'webauthn_requests_total{code="ok",result="allowed"}' => 2,
    'webauthn_requests_total{code="credential_missing",result="refused"}' => 1,
    'webauthn_requests_total{code="signature_invalid",result="refused"}' => 1,
    # the endpoint's, and one with each 401
    'webauthn_challenges_issued_total' => 3,
    'webauthn_key_cache_hits_total' => 1,
    'webauthn_key_cache_misses_total' => 2,
    'webauthn_redis_round_trips_total' => $rt,
    'webauthn_verify_duration_seconds_count' => 4,
    'webauthn_verify_duration_seconds_bucket{le="+Inf"}' => 4,
    'webauthn_redis_duration_seconds_count' => $rt,
    'webauthn_redis_duration_seconds_bucket{le="+Inf"}' => $rt,
);

# the finer buckets hold what they hold; each at most the next one's
my $c = main::counters($d);
for my $h (qw(verify redis)) {
    my $prev = 0;
    for my $le (qw(0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 +Inf)) {
        my $k = "webauthn_${h}_duration_seconds_bucket{le=\"$le\"}";
        my $v = delete $c->{$k} // 0;
        Test::More::cmp_ok($v, '>=', $prev, "$h bucket $le is cumulative");
        $prev = $v;
    }
    Test::More::cmp_ok($d->{"webauthn_${h}_duration_seconds_sum"} // 0, '>=', 0,
                       "$h sum");
}
delete $want{'webauthn_verify_duration_seconds_bucket{le="+Inf"}'};
delete $want{'webauthn_redis_duration_seconds_bucket{le="+Inf"}'};
Test::More::is_deeply($c, \%want, 'the counters moved as predicted')
    or Test::More::diag(JSON::PP->new->canonical->encode($d));

# a reload keeps the zone, and so the counters
my $pidfile = "$ENV{TEST_NGINX_SERVER_ROOT}/logs/nginx.pid";
open my $fh, '<', $pidfile or die "$pidfile: $!";
my $master = <$fh>;
close $fh;
chomp $master;
kill 'HUP', $master or die "HUP: $!";
Time::HiRes::sleep(1);
my $m2 = main::scrape();
Test::More::is_deeply(main::counters(main::delta($m1, $m2)), {},
                      'the same counters after a reload');
--- request
GET /metrics
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body_like
^# HELP webauthn_requests_total .*
webauthn_requests_total\{result="allowed",code="ok"\} 2
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 2: Redis refuses the connection: store_unavailable, and a connect error
--- http_config eval: main::redis_config($ENV{TEST_NGINX_DEAD_PORT}, 'connect_timeout=1s timeout=1s')
--- config eval: $::Config
--- init
my $m0 = main::scrape();
my $r = WebAuthnTest::http_request('GET', '/t',
    WebAuthnTest::authz(key => 'mk', counter => 10));
Test::More::is($r->{status}, 503, 'the store is unavailable');
my $c = main::counters(main::delta($m0, main::scrape()));
Test::More::is($c->{'webauthn_redis_errors_total{reason="connect"}'}, 1,
               'one connect error');
Test::More::is($c->{'webauthn_requests_total{code="store_unavailable",result="refused"}'},
               1, 'refused: store_unavailable');
Test::More::is(scalar(grep { /^webauthn_redis_errors_total/ } keys %$c), 1,
               'no other reason');
--- request
GET /metrics
--- response_body_like
webauthn_redis_errors_total\{reason="connect"\} 1
--- error_log
store_unavailable
--- no_error_log
[alert]
[crit]



=== TEST 3: Redis answers garbage: a protocol error, after one round trip
--- http_config eval: main::redis_config($ENV{TEST_NGINX_FAKE_GARBAGE_PORT}, 'timeout=2s')
--- config eval: $::Config
--- init
my $m0 = main::scrape();
my $r = WebAuthnTest::http_request('GET', '/t',
    WebAuthnTest::authz(key => 'mk', counter => 11));
Test::More::is($r->{status}, 503, 'the store is unavailable');
my $c = main::counters(main::delta($m0, main::scrape()));
Test::More::is($c->{'webauthn_redis_errors_total{reason="protocol"}'}, 1,
               'one protocol error');
Test::More::is($c->{'webauthn_redis_round_trips_total'}, 1, 'one round trip');
Test::More::is($c->{'webauthn_redis_duration_seconds_count'}, 1,
               'one round trip timed');
--- request
GET /metrics
--- response_body_like
webauthn_redis_errors_total\{reason="protocol"\} 1
--- no_error_log
[alert]
[crit]



=== TEST 4: Redis never answers: a timeout
--- http_config eval: main::redis_config($ENV{TEST_NGINX_FAKE_SILENT_PORT}, 'connect_timeout=500ms timeout=500ms')
--- config eval: $::Config
--- init
my $m0 = main::scrape();
my $r = WebAuthnTest::http_request('GET', '/t',
    WebAuthnTest::authz(key => 'mk', counter => 12));
Test::More::is($r->{status}, 503, 'the store is unavailable');
my $d = main::delta($m0, main::scrape());
Test::More::is($d->{'webauthn_redis_errors_total{reason="timeout"}'}, 1,
               'one timeout');
Test::More::is($d->{'webauthn_redis_duration_seconds_bucket{le="0.25"}'} // 0,
               0, 'not within 250ms');
Test::More::is($d->{'webauthn_redis_duration_seconds_bucket{le="0.5"}'}
               // $d->{'webauthn_redis_duration_seconds_bucket{le="1"}'}, 1,
               'in the 0.5 or 1 second bucket');
Test::More::cmp_ok($d->{'webauthn_verify_duration_seconds_sum'}, '>=', 0.49,
                   'the check took the timeout');
--- request
GET /metrics
--- response_body_like
webauthn_redis_errors_total\{reason="timeout"\} 1
--- no_error_log
[alert]
[crit]



=== TEST 5: webauthn_metrics answers GET and HEAD only
--- config eval: $::Config
--- request
POST /metrics
--- error_code: 405
--- no_error_log
[alert]
[crit]
