# vi:filetype=perl

# Faults between the module and Redis, injected by t/lib/faultproxy.py: a
# reply late, dripping, never, cut, partial, garbage, huge (a bulk string
# of 400 MB declared, an array of 2^31 elements, 2^31-1, 349000 streamed,
# nesting 100000 deep), a connection black-holed, SYNs dropped, connections
# refused.  For each, with the module pointed at the proxy:
#
#   - a valid fresh assertion gets 503 problem+json "store_unavailable",
#     within connect_timeout + timeout + 1.5 s (an upper bound only);
#   - a forged and a replayed assertion never get 200;
#   - the error log says why, once per refused request, and nothing at
#     alert or crit, no worker exit (the worker keeps its pid); each is
#     counted once in webauthn_redis_errors_total, under its reason;
#   - no leak: the worker's file descriptors do not grow across repeated
#     faults, and back in pass-through they are what they were before the
#     faults; the proxy's open connections return to the keepalive bound,
#     then to 0 after keepalive_timeout;
#   - service resumes by itself: the block's request, a fresh assertion
#     after the proxy went back to pass-through, gets 200 (no reload).
#
# t/004-store.t has Redis stopped and restarted, a silent and a garbage
# fake Redis, AUTH and SELECT; t/005-garbage.t hostile Authorization
# headers; neither is repeated here.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use FaultProxy;

repeat_each(1);
no_shuffle();
no_long_string();
master_on();
workers(1);
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 10);
add_block_preprocessor(\&WebAuthnTest::preprocess);

our $Proxy = FaultProxy::start(upstream => $ENV{TEST_NGINX_REDIS_PORT});
$ENV{TEST_NGINX_FAULT_PORT} = $Proxy->{port};

# timeouts of the module, in seconds, as configured below
our ($ConnectTimeout, $Timeout, $KeepaliveTimeout, $Keepalive) =
    (0.8, 0.8, 0.5, 2);
our $Margin = $ENV{TEST_NGINX_USE_VALGRIND} ? 20 : 1.5;

$WebAuthnTest::HttpConfig =~ s{webauthn_redis [^;]*;}
    {webauthn_redis 127.0.0.1:\$TEST_NGINX_FAULT_PORT connect_timeout=800ms timeout=800ms keepalive=2 keepalive_timeout=500ms;};

# the --- init code's assertions, made at once by bench/genpool.py (the
# signing of tools/webauthn-softkey, one process): one credential of its
# own, counter 0 every time (so that its assertions do not regress a
# counter whatever their order), each line a fresh challenge
our @Pool;
{
    my $dir = $WebAuthnTest::WorkDir;
    WebAuthnTest::run_cmd($WebAuthnTest::Python,
        "$WebAuthnTest::Top/bench/genpool.py", '--alg', 'es256',
        '--count', 200, '--creds', 1, '--counter', 'zero',
        '--secret-file', $WebAuthnTest::SecretFile, '--rp-id', 'localhost',
        '--origin', 'http://localhost', '--ttl', $WebAuthnTest::ChallengeTtl,
        '--procs', 1, '--out', "$dir/pool", '--redis-out', "$dir/pool.resp");
    system("redis-cli -p $ENV{TEST_NGINX_REDIS_PORT} --pipe "
           . "< $dir/pool.resp > /dev/null") == 0
        or die "redis-cli --pipe failed\n";
    open my $fh, '<', "$dir/pool.0" or die "$dir/pool.0: $!";
    chomp(@Pool = <$fh>);
    close $fh;
}

$WebAuthnTest::Config .= <<'_EOC_';
    location = /metrics {
        webauthn_metrics;
    }
_EOC_

# the webauthn_redis_errors_total reason each fault is counted under
our %Metric = (delay => 'timeout', drip => 'timeout', stall => 'timeout',
               cut => 'closed', partial => 'timeout', garbage => 'protocol',
               bulk => 'protocol', array => 'protocol', deep => 'protocol',
               blackhole => 'timeout', drop => 'timeout',
               refuse => 'closed');

our @Figures;

# the commit's pooled connection closed before any reply byte (TEST 19,
# 20): sent again once, on a fresh connection, it finds its own nonce
sub commit_cut {
    my $p = $main::Proxy;
    my ($r) = main::timed(main::fresh());
    Test::More::is($r->{status}, 200, 'passes before the fault, the connection pooled');
    my $resends = WebAuthnTest::metric('webauthn_redis_resends_total');
    FaultProxy::mode($p, 'cut 0 cmd=EVALSHA count=1');
    my $t = main::fresh();
    my $dt;
    ($r, $dt) = main::timed($t);
    main::check_503('commit cut before its reply', $r, $dt);
    my @c = map { $_->[2] ? 'cut' : 'ok' } grep { $_->[1] eq 'EVALSHA' }
            @{ FaultProxy::history($p) };
    Test::More::is("@c[-2, -1]", 'cut ok', 'the commit was sent again, on a fresh connection');
    my @l = grep { /webauthn: / } WebAuthnTest::error_log_lines();
    Test::More::is(scalar(grep { /\[error\] .*store_unavailable: redis closed the connection during the commit; sent again, it found the challenge used/ } @l),
                   1, 'logged as a store fault, once');
    Test::More::is(scalar(grep { /challenge_invalid/ } @l), 0,
                   'and not as a replay');
    Test::More::is(WebAuthnTest::redis_errors()->{closed}, 1,
                   'counted as a closed connection');
    Test::More::is(WebAuthnTest::metric('webauthn_redis_resends_total') - $resends,
                   1, 'and as one operation sent again');
    FaultProxy::mode($p, 'pass');
    ($r) = main::timed($t);
    Test::More::is($r->{status}, 401, 'its assertion was spent: 401 afterwards');
}

# "Authorization: WebAuthn ..." of a fresh assertion; bad_signature => 1:
# its signature's last byte changed
sub fresh {
    my (%o) = @_;
    my $v = shift @Pool // die "the pool of assertions is used up\n";
    if ($o{bad_signature}) {
        my ($scheme, $token) = split / /, $v;
        my $j = JSON::PP::decode_json(WebAuthnTest::b64url_decode($token));
        my $sig = WebAuthnTest::b64url_decode($j->{response}{signature});
        substr($sig, -1) = chr(ord(substr($sig, -1)) ^ 1);
        $j->{response}{signature} = WebAuthnTest::b64url($sig);
        $v = "$scheme " . WebAuthnTest::encode_token($j);
    }
    return "Authorization: $v";
}

# one request to /t: (response, seconds)
sub timed {
    my ($headers) = @_;
    my $t0 = Time::HiRes::time();
    my $r = WebAuthnTest::http_request('GET', '/t', $headers);
    return ($r, Time::HiRes::time() - $t0);
}

# a 503 store_unavailable, problem+json, in time
sub check_503 {
    my ($what, $r, $dt) = @_;
    Test::More::is($r->{status}, 503, "$what: 503");
    Test::More::like($r->{headers}{'content-type'} // '',
                     qr{^application/problem\+json}, "$what: problem+json");
    my $j = eval { JSON::PP::decode_json($r->{body}) } // {};
    Test::More::is($j->{code}, 'store_unavailable',
                   "$what: code store_unavailable");
    Test::More::is($j->{status}, 503, "$what: status member 503");
    my $bound = $ConnectTimeout + $Timeout + $Margin;
    Test::More::cmp_ok($dt, '<', $bound,
                       sprintf("%s: answered in %.2f s, under %.1f s",
                               $what, $dt, $bound));
}

# settles until the worker's fds minus its Redis connections are WANT
sub other_fds_are {
    my ($w, $want) = @_;
    my $n;
    FaultProxy::settle(sub { ($n = FaultProxy::other_fds($Proxy, $w)) == $want });
    return $n;
}

# fault_case(MODE, REASON): the checks above for one fault mode (a
# faultproxy.py "mode" line); REASON matches the cause the error log gives
sub fault_case {
    my ($mode, $reason, %o) = @_;
    my $n = $o{n} // 3;
    my $p = $Proxy;

    FaultProxy::mode($p, 'pass');
    Test::More::ok(FaultProxy::wait_open($p, 0, 5)->{ok},
                   "$mode: no connection left from before");
    my ($worker, @more) = FaultProxy::worker_pids();
    Test::More::ok($worker && !@more, "one worker ($worker)");

    # before: one assertion passes, its connection kept in the pool
    my $used = fresh();
    my ($r) = timed($used);
    Test::More::is($r->{status}, 200, "$mode: passes before the fault");
    my $before = FaultProxy::stats($p);
    Test::More::cmp_ok($before->{open}, '<=', $Keepalive,
                       "$mode: its connection pooled ($before->{open})");
    my $base = FaultProxy::other_fds($Proxy, $worker);
    my $errors = WebAuthnTest::redis_errors();

    FaultProxy::mode($p, $mode);

    my (@fds, @times, @faulted);
    my $refused = 0;
    for my $i (1 .. $n) {
        my $dt;
        push @faulted, fresh();
        ($r, $dt) = timed($faulted[-1]);
        check_503("$mode, fault $i", $r, $dt);
        $refused++ if $r->{status} == 503;
        push @times, $dt;
        # the fault's connection is closed, not pooled: the pool is empty
        push @fds, FaultProxy::settle(sub {
            my $k = FaultProxy::fd_count($worker);
            return $k <= $base ? $k : 0;
        }) || FaultProxy::fd_count($worker);
    }

    # a forged and a replayed assertion, during the fault
    ($r) = timed(fresh(bad_signature => 1));
    Test::More::isnt($r->{status}, 200, "$mode: a forged assertion: "
                                        . "$r->{status}, not 200");
    $refused++ if $r->{status} == 503;
    ($r) = timed($used);
    Test::More::isnt($r->{status}, 200, "$mode: a replayed assertion: "
                                        . "$r->{status}, not 200");
    $refused++ if $r->{status} == 503;

    my $during = FaultProxy::stats($p);
    if ($mode eq 'drop') {
        # no SYN gets through: nothing accepted
        Test::More::is($during->{accepted}, $before->{accepted},
                       "$mode: the proxy accepted no connection");
    } else {
        Test::More::cmp_ok($during->{faults} - $before->{faults}, '>', 0,
                           "$mode: the proxy injected the fault");
    }
    Test::More::ok(!grep({ $_ > $base } @fds),
                   "$mode: the worker's fds do not grow across repeated "
                   . "faults (@fds, $base before without Redis "
                   . "connections)");

    # counted once per refused request, under its reason
    my $now = WebAuthnTest::redis_errors();
    my ($kind) = $mode =~ /^(\w+)/;
    my %d = map { $_ => $now->{$_} - ($errors->{$_} // 0) } keys %$now;
    Test::More::is_deeply(\%d, { %{ { map { $_ => 0 } keys %d } },
                                 $Metric{$kind} => $refused },
                          "$mode: webauthn_redis_errors_total "
                          . "{reason=\"$Metric{$kind}\"} +$refused, no other");

    # the reason, once per refused request
    my @lines = grep { /webauthn: store_unavailable: / } WebAuthnTest::error_log_lines();
    Test::More::is(scalar @lines, $refused,
                   "$mode: one store_unavailable line per 503 ($refused)");
    my @why = grep { /\[error\] .*webauthn: store_unavailable: .*$reason/ }
              @lines;
    Test::More::is(scalar @why, scalar @lines,
                   "$mode: each at error, saying why ($reason)")
        or Test::More::diag(@lines);

    # back to pass-through: passes at once, no reload
    FaultProxy::mode($p, 'pass');
    my $again = fresh();
    ($r) = timed($again);
    Test::More::is($r->{status}, 200, "$mode: passes again in pass-through");
    ($r) = timed($used);
    Test::More::is($r->{status}, 401, "$mode: the replay is still refused");
    ($r) = timed(fresh(bad_signature => 1));
    Test::More::like($r->{body}, qr/"code":"signature_invalid"/,
                     "$mode: a forged one is signature_invalid");
    if ($o{commit}) {
        # the fault hit the commit's reply: Redis ran it, so the
        # assertions refused with 503 are spent all the same
        my @st = map { (timed($_))[0]{status} } @faulted;
        Test::More::is("@st", join(' ', (401) x @faulted),
                       "$mode: the refused assertions, spent, never pass");
    }

    # no leak: the pool's connection and nothing else
    my $s = FaultProxy::wait_open($p, $Keepalive, 3);
    Test::More::ok($s->{ok}, "$mode: proxy connections within the "
                             . "keepalive bound ($s->{open})");
    Test::More::is(other_fds_are($worker, $base), $base,
                   "$mode: the worker's fds but those to Redis as before "
                   . "the fault");

    $s = FaultProxy::wait_open($p, 0, $KeepaliveTimeout + 3);
    Test::More::ok($s->{ok}, "$mode: no proxy connection open after "
                             . "keepalive_timeout ($s->{open})");
    my $fd = FaultProxy::settle(sub {
        my $k = FaultProxy::fd_count($worker);
        return $k == $base ? $k : 0;
    }) || FaultProxy::fd_count($worker);
    Test::More::is($fd, $base, "$mode: and the worker's fds, its pool "
                               . "idle-closed, are those ($base)");

    my ($w2) = FaultProxy::worker_pids();
    Test::More::is($w2, $worker, "$mode: the same worker (no crash)");

    push @Figures, sprintf("%-22s %s s", $mode,
                           join(' ', map { sprintf '%.2f', $_ } @times));
}

add_cleanup_handler(sub {
    Test::More::diag("time to the 503, per fault (connect_timeout=800ms "
                     . "timeout=800ms):");
    Test::More::diag("  $_") for @Figures;
});

run_tests();

__DATA__

=== TEST 1: pass-through: the proxy is transparent, and a delay under the timeout passes
--- init
my $p = $main::Proxy;
FaultProxy::mode($p, 'delay 100');
my ($r, $dt) = main::timed(main::fresh());
Test::More::is($r->{status}, 200, 'a reply 100 ms late passes (timeout 800ms)');
Test::More::cmp_ok(FaultProxy::stats($p)->{faults}, '>=', 2,
                   'both replies (lookup, commit) were delayed');
FaultProxy::mode($p, 'pass');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[error]
exited on signal



=== TEST 2: every reply later than the timeout: 503, then service resumes
--- init
main::fault_case('delay 1500', qr/redis timed out/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 3: every reply dripping, a byte every 20 ms: the timeout is a deadline, not an idle timer
--- init
main::fault_case('drip 20', qr/redis timed out/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 4: the commit's reply later than the timeout: 503, and its assertion is spent
--- init
main::fault_case('delay 1500 cmd=EVALSHA', qr/redis timed out/, commit => 1);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 5: stall: the command is read and never answered
--- init
main::fault_case('stall', qr/redis timed out/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 6: the connection closed before any reply byte (the command reached Redis)
--- init
main::fault_case('cut 0', qr/redis closed the connection/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 7: the connection cut mid-reply, after 5 bytes
--- init
main::fault_case('cut 5', qr/redis closed the connection/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 8: a partial reply, then nothing: the timeout
--- init
main::fault_case('partial 12', qr/redis timed out/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 9: garbage: bytes that are not RESP
--- init
main::fault_case('garbage', qr/redis sent an invalid reply/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 10: a bulk string of 400 MB declared, its bytes streamed: cut at the reply bound
--- init
main::fault_case('bulk 400', qr/redis reply is too large/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 11: an array of 2^31 elements declared
--- init
main::fault_case('array 2147483648', qr/redis sent an invalid reply: Multi-bulk length out of range/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 12: an array of 2^31-1 elements declared: refused before hiredis allocates it
--- init
main::fault_case('array 2147483647', qr/redis reply is too large/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 13: an array of 349000 elements declared (just under the bound) and streamed: cut at the reply bound; the worker's peak memory printed
--- init
main::fault_case('array 349000', qr/redis reply is too large/);
my ($w) = FaultProxy::worker_pids();
open my $fh, '<', "/proc/$w/status" or die "/proc/$w/status: $!";
my %m = map { /^(Vm\w+):\s+(\d+)/ ? ($1, $2) : () } <$fh>;
close $fh;
push @main::Figures, "  (the worker after it: VmHWM $m{VmHWM} kB, VmRSS "
                     . "$m{VmRSS} kB: hiredis makes an object of each "
                     . "element)";
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 14: arrays nested 100000 deep
--- init
main::fault_case('deep 100000', qr/redis reply is too large: arrays nested too deep/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 15: black-holed: connections accepted and never read
--- init
main::fault_case('blackhole', qr/redis timed out/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 16: SYNs dropped: connect() never completes, connect_timeout
--- init
main::fault_case('drop', qr/redis timed out/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 17: connections refused: closed as soon as accepted
--- init
main::fault_case('refuse',
    qr/redis (?:closed the connection|recv\(\) failed \(104: )/);
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 18: a fault on some requests only (every second commit cut mid-reply): only those fail, and their assertions, spent by Redis, never pass
--- init
my $p = $main::Proxy;
my @tok = map { main::fresh() } 1 .. 6;
my ($r) = main::timed(main::fresh());
Test::More::is($r->{status}, 200, 'passes before the fault');
FaultProxy::mode($p, 'cut 3 cmd=EVALSHA every=2');
my @st = map { (main::timed($_))[0]{status} } @tok;
Test::More::is("@st", '200 503 200 503 200 503',
               'the requests whose commit was cut fail, the others pass');
my @hist = grep { $_->[1] eq 'EVALSHA' } @{ FaultProxy::history($p) };
Test::More::is(join(' ', map { $_->[2] ? 'cut' : 'ok' } @hist[-6 .. -1]),
               'ok cut ok cut ok cut', 'the proxy cut every second commit');
my @why = grep { /\[error\] .*store_unavailable: redis closed the connection/ }
          WebAuthnTest::error_log_lines();
Test::More::is(scalar @why, 3, 'one error line for each');
FaultProxy::mode($p, 'pass');
@st = map { (main::timed($_))[0]{status} } @tok;
Test::More::is("@st", '401 401 401 401 401 401',
               'none passes again, the cut ones neither (Redis ran their commit)');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 19: the commit's connection closed before any reply byte: the commit sent again finds its own nonce, and that is a 503, not "already used"
--- init
main::commit_cut();
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 20: the same with pipeline=1 (the event client's own retry of a pooled connection): the commit sent again once, on a fresh connection, finds its own nonce: 503; counted as a closed connection and one resend
--- http_config eval
(my $c = $WebAuthnTest::HttpConfig) =~ s{(webauthn_redis [^;]*);}{$1 pipeline=1;};
$c
--- init
main::commit_cut();
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 21: a stall under 12 requests at once, and clients that go away: all 503, nothing left open; the stalled assertion then passes exactly once
--- init
my $p = $main::Proxy;
my ($r) = main::timed(main::fresh());
Test::More::is($r->{status}, 200, 'passes before the fault');
my ($w) = FaultProxy::worker_pids();
my $base = FaultProxy::other_fds($main::Proxy, $w);
FaultProxy::mode($p, 'stall');
my @gone;
for (1 .. 3) {
    my $s = WebAuthnTest::connect_nginx();
    print $s "GET /t HTTP/1.1\r\nHost: localhost\r\n" . main::fresh() . "\r\n\r\n";
    push @gone, $s;
}
Time::HiRes::sleep(0.1);
close $_ for @gone;
my $h = main::fresh();
my $t0 = Time::HiRes::time();
my @st = WebAuthnTest::race(n => 12, uri => '/t', headers => $h);
my $dt = Time::HiRes::time() - $t0;
Test::More::is("@st", join(' ', (503) x 12), 'all 503');
Test::More::cmp_ok($dt, '<', 0.2 + $main::ConnectTimeout + $main::Timeout + $main::Margin,
                   sprintf('all answered in %.2f s', $dt));
my $s = FaultProxy::wait_open($p, 0, 3);
Test::More::ok($s->{ok}, "no proxy connection left open ($s->{open})");
Test::More::is(main::other_fds_are($w, $base), $base,
               "the worker's fds: nothing left but its Redis connections "
               . "(" . FaultProxy::stats($p)->{open} . ")");
FaultProxy::mode($p, 'pass');
@st = sort(WebAuthnTest::race(n => 6, uri => '/t', headers => $h));
Test::More::is("@st", '200 401 401 401 401 401',
               'never committed, the stalled assertion passes once');
$s = FaultProxy::wait_open($p, $main::Keepalive, 3);
Test::More::ok($s->{ok}, "at most keepalive=$main::Keepalive connections "
                         . "kept ($s->{open})");
Test::More::is(main::other_fds_are($w, $base), $base,
               "and the worker's other fds as before");
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal



=== TEST 22: a reload during a stall: the old worker answers 503 and exits, the new one serves
--- init
my $p = $main::Proxy;
my ($r) = main::timed(main::fresh());
Test::More::is($r->{status}, 200, 'passes before the fault');
my ($old) = FaultProxy::worker_pids();
FaultProxy::mode($p, 'stall');
my $s = WebAuthnTest::connect_nginx();
print $s "GET /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
         . main::fresh() . "\r\n\r\n";
Time::HiRes::sleep(0.1);
kill 'HUP', FaultProxy::master_pid();
my $resp = '';
while (sysread($s, my $buf, 4096)) { $resp .= $buf }
close $s;
Test::More::like($resp, qr{^HTTP/1\.1 503 }, 'the stalled request: 503');
Test::More::ok(FaultProxy::settle(sub { !kill 0, $old }), "the old worker $old exited");
my @w = FaultProxy::worker_pids();
Test::More::ok(@w == 1 && $w[0] != $old, "one new worker (@w)");
FaultProxy::mode($p, 'pass');
Test::More::ok(FaultProxy::wait_open($p, $main::Keepalive, 3)->{ok},
               'no connection of the old worker left open');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- no_error_log
[alert]
[crit]
[emerg]
exited on signal
