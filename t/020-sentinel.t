# vi:filetype=perl

# Redis with replicas: "wait=N" (WAIT after the commit, in the same round
# trip: passes once a replica has the nonce, 503 when none acknowledges
# within wait_timeout, the nonce then spent on the master), and Sentinel
# (webauthn_redis sentinel=mymaster ...): a master and a replica on
# loopback, three of Debian's redis-sentinel (quorum 2); the master found
# through the sentinels, in turn; a failover (SENTINEL failover) fails
# closed and then passes on the new master without a reload; a nonce used
# before the failover is still refused after it; a second failover, to a
# second replica, leaves the former master a master without replicas for
# seconds: a WAIT short of wait=1 puts it in doubt, and the worker finds
# the new master before Sentinel demotes the former one.

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

$ENV{TEST_NGINX_MASTER_PORT} = RedisServers::start('master');
RedisServers::copy_keys('main', 'master');
$ENV{TEST_NGINX_REPLICA_PORT} =
    RedisServers::start('replica', replicaof => $ENV{TEST_NGINX_MASTER_PORT});
RedisServers::wait_replica('replica');

for my $i (1 .. 3) {
    $ENV{"TEST_NGINX_SENTINEL${i}_PORT"} =
        RedisServers::sentinel("sentinel$i",
                               master => $ENV{TEST_NGINX_MASTER_PORT},
                               quorum => 2);
}
$ENV{TEST_NGINX_DEAD_PORT} = WebAuthnTest::free_port();

our %Saved;
our %Before;

# the sentinels agree on a master at PORT, which says it is one, with its
# replica's link up
sub settled {
    my ($port, $replica) = @_;
    return RedisServers::wait_until(30, sub {
        for my $i (1 .. 3) {
            return 0 unless (RedisServers::sentinel_master("sentinel$i") // '')
                            eq $port;
        }
        my $m = RedisServers::port('master') == $port ? 'master' : 'replica';
        return 0 unless RedisServers::info($m, 'replication')->{role}
                        eq 'master';
        return (RedisServers::info($replica, 'replication')
                    ->{master_link_status} // '') eq 'up';
    });
}

run_tests();

__DATA__

=== TEST 1: wait=1 with a replica up: passes, and the replica has the nonce as the request returns
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_MASTER_PORT wait=1 wait_timeout=500ms;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- init
my $before = RedisServers::dbsize('replica');
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'es384'));
Test::More::is($r->{status}, 200, 'a first request passes');
Test::More::is(RedisServers::dbsize('replica') - $before, 1, 'its nonce is on the replica when the answer comes');
Test::More::ok(RedisServers::info('master', 'commandstats')->{cmdstat_wait}, 'the master ran WAIT');
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



=== TEST 2: wait=1, the replica stopped (SIGSTOP): 503 store_unavailable after wait_timeout, the counts logged
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_MASTER_PORT wait=1 wait_timeout=500ms;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- more_headers eval
$main::Saved{unacked} = WebAuthnTest::authz(key => 'es256')
--- init
RedisServers::pause('replica');
my $t0 = Time::HiRes::time();
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'es384'));
my $dt = Time::HiRes::time() - $t0;
Test::More::is($r->{status}, 503, 'no replica acknowledges: 503');
Test::More::ok($dt >= 0.45 && $dt < ($ENV{TEST_NGINX_USE_VALGRIND} ? 20 : 3), "answered after the 500ms wait_timeout ($dt s)");
--- request
GET /t
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: redis WAIT: 0 of 1 replicas acknowledged the commit within 500ms \(the nonce is spent on the master\)/]
--- no_error_log
[alert]
[crit]



=== TEST 3: (the replica back) the assertion refused for want of a replica cannot be used again: its nonce was written on the master
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_MASTER_PORT wait=1 wait_timeout=500ms;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- init
RedisServers::resume('replica');
RedisServers::wait_replica('replica');
--- request
GET /t
--- more_headers eval
$main::Saved{unacked}
--- denied: challenge_invalid
--- error_log eval
[qr/\[info\] .*webauthn: challenge_invalid: .*challenge has already been used/]
--- no_error_log
[alert]
[crit]



=== TEST 4: wait=2 with one replica: 503, never a pass
--- http_config
    webauthn_redis 127.0.0.1:$TEST_NGINX_MASTER_PORT wait=2 wait_timeout=200ms;
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
[qr/\[error\] .*webauthn: store_unavailable: redis WAIT: 1 of 2 replicas acknowledged the commit within 200ms/]
--- no_error_log
[alert]
[crit]



=== TEST 5: Sentinel: the master found through the sentinels (the first one down: the next is asked), passes with wait=1
--- http_config
    webauthn_redis sentinel=mymaster 127.0.0.1:$TEST_NGINX_DEAD_PORT 127.0.0.1:$TEST_NGINX_SENTINEL1_PORT 127.0.0.1:$TEST_NGINX_SENTINEL2_PORT wait=1;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- init
$main::Before{master} = RedisServers::dbsize('master');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- error_log eval
[qr/\[info\] .*webauthn: redis sentinel 127\.0\.0\.1:$ENV{TEST_NGINX_SENTINEL1_PORT}: the master "mymaster" is at 127\.0\.0\.1:$ENV{TEST_NGINX_MASTER_PORT}/]
--- no_error_log
[error]
[alert]
[crit]



=== TEST 6: (the nonce went to the master) a master name no sentinel knows: 503, the reason logged
--- init
Test::More::is(RedisServers::dbsize('master') - $main::Before{master}, 1, 'the commit ran on the master');
--- http_config
    webauthn_redis sentinel=othermaster 127.0.0.1:$TEST_NGINX_SENTINEL1_PORT 127.0.0.1:$TEST_NGINX_SENTINEL2_PORT;
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
[qr/\[error\] .*webauthn: store_unavailable: no sentinel gave the master "othermaster"; the last, 127\.0\.0\.1:$ENV{TEST_NGINX_SENTINEL2_PORT}: it knows no master "othermaster"/]
--- no_error_log
[alert]
[crit]



=== TEST 7: no sentinel answers: 503; sentinel= without a name or an address: nginx -t refuses it
--- init
my ($rc, $out) = WebAuthnTest::nginx_t("webauthn_redis sentinel=mymaster wait=1;");
Test::More::isnt($rc, 0, 'no sentinel address: refused');
Test::More::like($out, qr/has sentinel= without a sentinel address/, 'the reason');
($rc, $out) = WebAuthnTest::nginx_t("webauthn_redis sentinel= 127.0.0.1:26379;");
Test::More::isnt($rc, 0, 'no master name: refused');
Test::More::like($out, qr/has an empty sentinel= master name/, 'the reason');
--- http_config
    webauthn_redis sentinel=mymaster 127.0.0.1:$TEST_NGINX_DEAD_PORT;
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
[qr/\[error\] .*webauthn: store_unavailable: no sentinel gave the master "mymaster"; the last, 127\.0\.0\.1:$ENV{TEST_NGINX_DEAD_PORT}: sentinel connect\(\) to 127\.0\.0\.1:$ENV{TEST_NGINX_DEAD_PORT} failed/]
--- no_error_log
[alert]
[crit]



=== TEST 8: SENTINEL failover under a running nginx: refusals are 503 only, then assertions pass on the new master, without a reload; the nonce used before the failover is still refused
--- http_config
    webauthn_redis sentinel=mymaster 127.0.0.1:$TEST_NGINX_SENTINEL1_PORT 127.0.0.1:$TEST_NGINX_SENTINEL2_PORT 127.0.0.1:$TEST_NGINX_SENTINEL3_PORT wait=1 wait_timeout=500ms;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- more_headers eval
$main::Saved{before} = WebAuthnTest::authz(key => 'es256')
--- init
my $r = WebAuthnTest::http_request('GET', '/t', $main::Saved{before});
Test::More::is($r->{status}, 200, 'before the failover: passes on the first master');
Test::More::ok(main::settled($ENV{TEST_NGINX_MASTER_PORT}, 'replica'), 'the sentinels see the first master');
my $evals = RedisServers::info('replica', 'commandstats')->{cmdstat_evalsha} // '';
Test::More::unlike($evals, qr/calls=[1-9]/, 'no commit ran on the replica yet');
my $t0 = Time::HiRes::time();
Test::More::is(RedisServers::cmd('sentinel1', 'SENTINEL', 'failover', 'mymaster'), 'OK', 'SENTINEL failover');
Test::More::ok(main::settled($ENV{TEST_NGINX_REPLICA_PORT}, 'master'), 'the replica is the master, the former master its replica');
Test::More::diag(sprintf "failover: %.1f s until the sentinels agree and the former master is a synced replica", Time::HiRes::time() - $t0);
$t0 = Time::HiRes::time();
my (%seen, $first, $n);
for my $i (1 .. 40) {
    my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'es384'));
    $seen{$r->{status}}++;
    $n = $i;
    if ($r->{status} == 200) { $first //= $i; last if $i - $first >= 2; }
    elsif (defined $first) { last; }
    Time::HiRes::sleep(0.1) unless defined $first;
}
Test::More::diag(sprintf "failover: then %.1f s, %d request(s) refused before the first pass",
                 Time::HiRes::time() - $t0, ($first // $n + 1) - 1);
Test::More::is(join(' ', sort keys %seen), ($first > 1 ? '200 503' : '200'), 'refusals are 503 only');
Test::More::ok(defined $first && $n - $first == 2, 'after the first pass, every request passes');
$evals = RedisServers::info('replica', 'commandstats')->{cmdstat_evalsha} // '';
Test::More::like($evals, qr/calls=[1-9]/, 'commits ran on the new master');
--- request
GET /t
--- denied: challenge_invalid
--- error_log eval
[qr/\[info\] .*webauthn: challenge_invalid: .*challenge has already been used/,
 qr/\[notice\] .*webauthn: redis sentinel 127\.0\.0\.1:\d+: the master "mymaster" is at 127\.0\.0\.1:$ENV{TEST_NGINX_REPLICA_PORT}, was 127\.0\.0\.1:$ENV{TEST_NGINX_MASTER_PORT}/]
--- no_error_log
[alert]
[crit]



=== TEST 9: a failover that leaves the former master a master without replicas: the first WAIT short of wait=1 makes the worker ask the sentinels again, and assertions pass on the new master before the former one is demoted
--- http_config
    webauthn_redis sentinel=mymaster 127.0.0.1:$TEST_NGINX_SENTINEL1_PORT 127.0.0.1:$TEST_NGINX_SENTINEL2_PORT 127.0.0.1:$TEST_NGINX_SENTINEL3_PORT wait=1 wait_timeout=500ms;
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
--- more_headers eval
$main::Saved{before2} = WebAuthnTest::authz(key => 'es256')
--- init
# after TEST 8: "replica" is the master, "master" its replica; a second
# replica, preferred by Sentinel (replica-priority 1), is the next master
my $old = RedisServers::port('replica');
my $port = RedisServers::start('replica2', replicaof => $old,
                               args => ['--replica-priority', '1',
                                        '--repl-diskless-sync-delay', '0']);
RedisServers::wait_replica('replica2');
Test::More::ok(RedisServers::wait_until(40, sub {
    for my $i (1 .. 3) {
        my $n = 0;
        for my $r (@{ RedisServers::cmd("sentinel$i", 'SENTINEL', 'replicas', 'mymaster') }) {
            my %kv = @$r;
            $n++ if $kv{'master-link-status'} eq 'ok' && $kv{flags} eq 'slave';
        }
        return 0 unless $n == 2;
    }
    return 1;
}), 'the sentinels see both replicas');
my $r = WebAuthnTest::http_request('GET', '/t', $main::Saved{before2});
Test::More::is($r->{status}, 200, 'before the failover: passes on the master the worker knows');
Test::More::is(RedisServers::cmd('sentinel1', 'SENTINEL', 'failover', 'mymaster'), 'OK', 'SENTINEL failover');
Test::More::ok(RedisServers::wait_until(20, sub {
    for my $i (1 .. 3) {
        return 0 unless (RedisServers::sentinel_master("sentinel$i") // '') eq $port;
    }
    my $i = RedisServers::info('master', 'replication');
    return RedisServers::info('replica2', 'replication')->{role} eq 'master'
           && ($i->{master_port} // '') eq $port
           && ($i->{master_link_status} // '') eq 'up';
}), 'the sentinels name the second replica, the other replica follows it (synced)');
Test::More::is(RedisServers::info('replica', 'replication')->{role}, 'master',
               'the former master is still a master (Sentinel demotes it some seconds later), with no replica');
my (%seen, $first, $role);
for my $i (1 .. 20) {
    my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'es384'));
    $seen{$r->{status}}++;
    if ($r->{status} == 200) {
        $first = $i;
        $role = RedisServers::info('replica', 'replication')->{role};
        last;
    }
    Time::HiRes::sleep(0.1);
}
Test::More::diag("failover: the first pass at request " . ($first // 'none')
                 . ", the former master then " . ($role // '?'));
Test::More::is(join(' ', sort keys %seen), ($first && $first > 1 ? '200 503' : '200'), 'refusals are 503 only');
Test::More::is($role, 'master', 'a pass on the new master while the former one is still a master without replicas');
--- request
GET /t
--- denied: challenge_invalid
--- error_log eval
[qr/\[notice\] .*webauthn: redis sentinel 127\.0\.0\.1:\d+: the master "mymaster" is at 127\.0\.0\.1:\d+, was 127\.0\.0\.1:$ENV{TEST_NGINX_REPLICA_PORT}/]
--- no_error_log
[alert]
[crit]
