# vi:filetype=perl

# Pipelining of Redis commands (webauthn_redis ... pipeline=N): the
# operations of one worker share a connection, up to N in flight on it,
# everything made ready in one event-loop pass goes out in one write, and
# the replies are matched to the operations in order.  Each block checks
# one property under concurrent requests of different credentials (so that
# a reply given to the wrong request shows: another user, or a signature
# checked against another key):
#
#   - pipelining happens (the default, 32): fewer connections and far
#     fewer Redis reads than requests, every request its own user;
#   - pipeline=1: one connection per request in flight, as before;
#   - a connection cut: only the requests on it fail (503, never 401,
#     never another's user); on a connection that had served before, the
#     operations that got no reply byte are sent again and pass;
#   - an operation's timeout is its own: its reply, late, is read and
#     dropped, never given to the request behind it on the pipe; that
#     connection takes no new operation and is closed;
#   - wait=N: a commit carrying WAIT has a connection to itself (a
#     replica stopped: every WAIT answers after wait_timeout, none waits
#     behind another's);
#   - pipeline= values nginx -t refuses;
#   - garbage in a pipelined stream: the requests whose replies were owed
#     fail, none passes with a reply that is not its own;
#   - a new connection: AUTH and SELECT first, in one write with the
#     batch's lookups;
#   - a commit Redis ran, its connection closed before the reply: sent
#     again, it is a 503 (its nonce used by itself), not a 401; the
#     commits behind it, never run, sent again and passing.
#
# Batches: burst() opens one connection per request, lets the worker
# accept them all, stops it (SIGSTOP), writes every request, and continues
# it: the worker finds them ready in one event-loop pass, so their
# lookups are made ready together, as under load.  The faults are
# t/lib/faultproxy.py's (t/018-faults.t has each of them without
# concurrency); the proxy serves a pipelined stream in order, a command
# at a time, and says which connection carried which command.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use FaultProxy;
use RedisServers;

repeat_each(1);
no_shuffle();
no_long_string();
master_on();
workers(1);
worker_connections(1024);
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 20);
add_block_preprocessor(\&WebAuthnTest::preprocess);

our $Proxy = FaultProxy::start(upstream => $ENV{TEST_NGINX_REDIS_PORT});
$ENV{TEST_NGINX_FAULT_PORT} = $Proxy->{port};

# a master and its replica, for wait=, with the main Redis's credentials
$ENV{TEST_NGINX_MASTER_PORT} = RedisServers::start('master');
RedisServers::copy_keys('main', 'master');
$ENV{TEST_NGINX_REPLICA_PORT} =
    RedisServers::start('replica', replicaof => $ENV{TEST_NGINX_MASTER_PORT});
RedisServers::wait_replica('replica');

# a Redis with a password, database 3 holding the credentials, behind a
# second proxy: AUTH and SELECT on each new connection
WebAuthnTest::start_redis('secured', password => 'pw-secret');
our $Proxy2 = FaultProxy::start(
    upstream => WebAuthnTest::redis_port('secured'));
$ENV{TEST_NGINX_FAULT2_PORT} = $Proxy2->{port};

our $Margin = $ENV{TEST_NGINX_USE_VALGRIND} ? 20 : 1.5;

# under valgrind the worker is so slow that Redis's replies to a batch
# trickle in over several passes, so the commits of a batch may go out in
# several writes: the checks of how many ops queued behind a cut one are
# TODO there (reported, not counted); every check of what each request
# got (its status, its own user, the resending) stays
our $ValgrindShape = $ENV{TEST_NGINX_USE_VALGRIND}
    ? 'under valgrind a batch may be split over several writes' : undef;

# a check of how a batch was written: TODO under valgrind
sub shape {
    my ($check) = @_;
    my $b = Test::More->builder;
    $b->todo_start($ValgrindShape) if $ValgrindShape;
    $check->();
    $b->todo_end if $ValgrindShape;
}

# the http{} directives but webauthn_redis
our $Common = <<'_EOC_';
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
_EOC_

$WebAuthnTest::Config .= <<'_EOC_';
    location = /metrics {
        webauthn_metrics;
    }
_EOC_

# fresh assertions, made at once by bench/genpool.py: 40 credentials of
# their own (users bench0 ... bench39), line j signed by credential
# j % 40, counter 0 every time; 40 consecutive lines are of 40 different
# users.  In the main Redis (direct and behind the proxy) and the master.
our (@Pool, %User);
{
    my $dir = $WebAuthnTest::WorkDir;
    WebAuthnTest::run_cmd($WebAuthnTest::Python,
        "$WebAuthnTest::Top/bench/genpool.py", '--alg', 'es256',
        '--count', 600, '--creds', 40, '--counter', 'zero',
        '--secret-file', $WebAuthnTest::SecretFile, '--rp-id', 'localhost',
        '--origin', 'http://localhost', '--ttl', $WebAuthnTest::ChallengeTtl,
        '--procs', 1, '--keys', "$dir/pool.keys", '--out', "$dir/pool",
        '--redis-out', "$dir/pool.resp");
    for my $to ("-p $ENV{TEST_NGINX_REDIS_PORT}",
                "-p $ENV{TEST_NGINX_MASTER_PORT}",
                '-p ' . WebAuthnTest::redis_port('secured')
                . ' --no-auth-warning -a pw-secret -n 3')
    {
        system("redis-cli $to --pipe < $dir/pool.resp > /dev/null") == 0
            or die "redis-cli --pipe failed\n";
    }
    open my $fh, '<', "$dir/pool.0" or die "$dir/pool.0: $!";
    chomp(@Pool = <$fh>);
    close $fh;
    open $fh, '<', "$dir/pool.keys" or die "$dir/pool.keys: $!";
    my $i = 0;
    while (<$fh>) {
        my ($cid) = split;
        $User{$cid} = 'bench' . $i++;
    }
    close $fh;
}

our @Figures;


# -- assertions and requests ------------------------------------------------

# the next N fresh assertions ("Authorization: ..." headers), of N
# different credentials (N <= 40)
sub fresh {
    my ($n) = @_;
    my @h = map { 'Authorization: ' . (shift @Pool
                                       // die "the pool is used up\n") }
            1 .. ($n // 1);
    return wantarray ? @h : $h[0];
}

# the credential id of a header's assertion
sub cred_of {
    my ($h) = @_;
    my ($token) = $h =~ /WebAuthn (\S+)/ or die "not an assertion: $h\n";
    return JSON::PP::decode_json(WebAuthnTest::b64url_decode($token))->{id};
}

# the credential id in a store key (webauthn:cred:{ID}, webauthn:epoch:...)
sub cred_of_key {
    my ($key) = @_;
    return $key =~ /\{([^}]+)\}/ ? $1 : '';
}

# one request to /t (GET, Connection: close), in a child process; its
# handle for collect().  go => [a pipe's read end, its write end]: the
# child connects, waits for that pipe's EOF, then writes its request.
sub spawn_request {
    my ($h, %o) = @_;
    pipe(my $res_r, my $res_w) or die "pipe: $!";
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        close $res_r;
        close $o{go}[1] if $o{go};
        my $sock = IO::Socket::INET->new(
            PeerAddr => '127.0.0.1', PeerPort => WebAuthnTest::server_port(),
            Timeout => 30);
        if ($o{go}) {
            my $buf;
            sysread($o{go}[0], $buf, 1);
        }
        my $t0 = Time::HiRes::time();
        my $resp = '';
        if ($sock) {
            syswrite($sock, "GET /t HTTP/1.1\r\nHost: localhost\r\n"
                            . "Connection: close\r\n$h\r\n\r\n");
            syswrite($res_w, "w");      # written
            my $sel = IO::Select->new($sock);
            while ($sel->can_read(60)) {
                my $got = sysread($sock, $resp, 65536, length $resp);
                last unless $got;
            }
        } else {
            syswrite($res_w, "w");
        }
        my $dt = Time::HiRes::time() - $t0;
        syswrite($res_w, sprintf("%.4f\n", $dt) . $resp);
        POSIX::_exit(0);
    }
    close $res_w;
    return { pid => $pid, fh => $res_r, header => $h };
}

# waits until the child has written its request
sub written {
    my ($k) = @_;
    return if $k->{written}++;
    my $got = sysread($k->{fh}, my $buf, 1);
    die "a request child died\n" unless $got && $buf eq 'w';
}

# { status, body, code (a problem's), user, cred (of a 200), time, header }
sub collect {
    my ($k) = @_;
    written($k);
    my $fh = $k->{fh};
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    waitpid $k->{pid}, 0;
    my ($dt, $resp) = split /\n/, $out, 2;
    my ($head, $body) = split /\r\n\r\n/, $resp // '', 2;
    my ($status) = ($head // '') =~ m{^HTTP/\S+ (\d+)};
    $body = WebAuthnTest::dechunk($body // '')
        if ($head // '') =~ /^Transfer-Encoding:\s*chunked/mi;
    my %r = (status => $status // 0, body => $body // '', time => $dt,
             header => $k->{header});
    ($r{code}) = $r{body} =~ /"code"\s*:\s*"([^"]+)"/;
    ($r{user}, $r{cred}) = $r{body} =~ /^user=(\S*) .*?cred=(\S*) /;
    return \%r;
}

# one request, waited for
sub get {
    return collect(spawn_request(@_));
}

# a batch: one request per header, all found ready by the worker in one
# event-loop pass (see the top); the results in the order of HEADERS
sub burst {
    my (@h) = @_;
    my ($worker) = FaultProxy::worker_pids();
    my $base = FaultProxy::socket_count($worker);
    pipe(my $go_r, my $go_w) or die "pipe: $!";
    my @kids = map { spawn_request($_, go => [$go_r, $go_w]) } @h;
    close $go_r;
    # every connection accepted
    my $deadline = Time::HiRes::time() + 5;
    until (FaultProxy::socket_count($worker) >= $base + @h
           || Time::HiRes::time() > $deadline)
    {
        Time::HiRes::sleep(0.02);
    }
    Time::HiRes::sleep(0.05);
    kill 'STOP', $worker;
    close $go_w;
    written($_) for @kids;
    Time::HiRes::sleep(0.05);
    kill 'CONT', $worker;
    return map { collect($_) } @kids;
}

# checks a burst: the results whose credential is in OK (all when OK is
# undef) 200 with their own user and credential, the others 503
# store_unavailable; never a 401
sub check_results {
    my ($what, $rs, %o) = @_;
    my ($own, $wrong, $refused, $other) = (0, 0, 0, 0);
    my @bad;
    for my $r (@$rs) {
        my $cid = cred_of($r->{header});
        my $want = !$o{fail} || !$o{fail}{$cid} ? 200 : 503;
        if ($r->{status} == 200) {
            if (($r->{cred} // '') eq $cid && ($r->{user} // '') eq $User{$cid})
            {
                $own++;
            } else {
                $wrong++;
                push @bad, "200 for $User{$cid} with another's reply: "
                           . "user=" . ($r->{user} // '') . " cred="
                           . ($r->{cred} // '');
            }
        } elsif ($r->{status} == 503
                 && ($r->{code} // '') eq 'store_unavailable')
        {
            $refused++;
        } else {
            $other++;
            push @bad, "$User{$cid}: $r->{status} " . ($r->{code} // '');
        }
        push @bad, "$User{$cid}: $r->{status}, expected $want"
            if $r->{status} != $want && $r->{status} =~ /^(?:200|503)$/;
    }
    Test::More::is($wrong, 0, "$what: no request passed with another's "
                              . "reply");
    Test::More::is($other, 0, "$what: no status but 200 and 503 "
                              . "store_unavailable (no 401)");
    my $fails = $o{fail} ? grep({ $o{fail}{cred_of($_->{header})} } @$rs)
              : 0;
    Test::More::is($own, @$rs - $fails,
                   "$what: " . (@$rs - $fails) . " passed, each with its "
                   . "own user and credential");
    Test::More::is($refused, $fails, "$what: $fails refused with 503")
        or Test::More::diag(join "\n", @bad);
    return ($own, $refused);
}


# -- what Redis, the proxy and the worker say -------------------------------

# INFO's numeric fields of a Redis (a WebAuthnTest or RedisServers name)
sub redis_info {
    my ($name) = @_;
    my %f;
    for (split /\r?\n/, WebAuthnTest::redis_cmd($name // 'main', 'INFO')) {
        $f{$1} = $2 if /^(\w+):(\d+)\r?$/;
    }
    return \%f;
}

# connections Redis accepted and reads it made since BEFORE (an info()),
# not counting those of the INFO calls (a connection and two reads each:
# its command, and its close, read at the next pass)
sub redis_delta {
    my ($before, $name) = @_;
    my $now = redis_info($name);
    return { conns => $now->{total_connections_received}
                      - $before->{total_connections_received} - 1,
             reads => $now->{total_reads_processed}
                      - $before->{total_reads_processed} - 2 };
}

sub store_lines {
    return grep { /webauthn: store_unavailable: / } WebAuthnTest::error_log_lines();
}

# the proxy's connection that carried CRED's command NAME, or undef; and
# that command's fate; LAST: the last such connection (a command sent
# again)
sub conn_of {
    my ($conns, $cid, $name, $last) = @_;
    my @found;
    for my $c (@$conns) {
        for my $cmd (@{ $c->{commands} }) {
            push @found, [$c, $cmd->[2]]
                if $cmd->[0] eq $name && cred_of_key($cmd->[1]) eq $cid;
        }
    }
    return @found ? @{ $found[$last ? -1 : 0] } : ();
}

# the proxy is idle: pass-through, no connection left, counters at 0
sub proxy_idle {
    FaultProxy::mode($Proxy, 'pass');
    my $s = FaultProxy::wait_open($Proxy, 0, 5);
    Test::More::ok($s->{ok}, "no proxy connection left from before "
                             . "($s->{open})");
    FaultProxy::reset($Proxy);
}

add_cleanup_handler(sub {
    Test::More::diag($_) for @Figures;
});

run_tests();

__DATA__

=== TEST 1: pipelining happens (pipeline= not given: 32): 20 concurrent assertions of 20 users on one worker: all pass, each with its own user; Redis accepts at most 2 connections and reads far fewer times than 40 commands
--- http_config eval
'webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;' . "\n" . $main::Common
--- init
my $r = main::get(main::fresh());
Test::More::is($r->{status}, 200, 'one assertion passes first, its connection pooled');
my $before = main::redis_info();
my $cmds = WebAuthnTest::commandstats();
my @h = main::fresh(20);
my @rs = main::burst(@h);
my $d = main::redis_delta($before);
my $now = WebAuthnTest::commandstats();
main::check_results('pipelined', \@rs);
Test::More::is(($now->{hmget} // 0) - ($cmds->{hmget} // 0), 40, 'Redis got the 20 lookups (HMGET, and one in each commit script)');
Test::More::is(($now->{evalsha} // 0) - ($cmds->{evalsha} // 0), 20, 'and the 20 commits');
Test::More::cmp_ok($d->{conns}, '<=', 2, "Redis accepted $d->{conns} connections for 20 requests in flight at once (one per request: 19 or more)");
Test::More::cmp_ok($d->{reads}, '<=', 10, "Redis read $d->{reads} times for 40 commands (a write per operation: 40 or more)");
push @main::Figures, "pipeline=32, 20 requests in one pass: $d->{conns} connections, $d->{reads} Redis reads";
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



=== TEST 2: pipeline=1: the same load takes a connection per request in flight, and a Redis read per command; all pass, each with its own user
--- http_config eval
'webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT pipeline=1;' . "\n" . $main::Common
--- init
my $r = main::get(main::fresh());
Test::More::is($r->{status}, 200, 'one assertion passes first, its connection pooled');
my $before = main::redis_info();
my @h = main::fresh(20);
my @rs = main::burst(@h);
my $d = main::redis_delta($before);
main::check_results('pipeline=1', \@rs);
Test::More::cmp_ok($d->{conns}, '>=', 15, "Redis accepted $d->{conns} connections for 20 requests in flight at once (pipelined: 2 at most)");
Test::More::cmp_ok($d->{reads}, '>=', 40, "Redis read $d->{reads} times for 40 commands, one operation a write");
push @main::Figures, "pipeline=1, 20 requests in one pass: $d->{conns} connections, $d->{reads} Redis reads";
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



=== TEST 3: a new pipelined connection cut 5 bytes into its first reply: the requests on it (at most pipeline=10) get 503, those on the other connection pass with their own users; then pass-through serves without a reload
--- http_config eval
'webauthn_redis 127.0.0.1:$TEST_NGINX_FAULT_PORT pipeline=10 keepalive_timeout=1s;' . "\n" . $main::Common
--- init
my $p = $main::Proxy;
main::proxy_idle();
my ($w) = FaultProxy::worker_pids();
my $errors = WebAuthnTest::redis_errors();
FaultProxy::mode($p, 'cut 5 count=1');
my @h = main::fresh(20);
my @rs = main::burst(@h);
FaultProxy::mode($p, 'pass');
my $conns = FaultProxy::conns($p);
my ($cut) = grep { grep { $_->[2] eq 'fault' } @{ $_->{commands} } } @$conns;
Test::More::ok($cut, 'the proxy cut a connection');
$cut //= { commands => [] };
my %on = map { main::cred_of_key($_->[1]) => 1 } grep { $_->[0] eq 'HMGET' } @{ $cut->{commands} };
my $n = keys %on;
Test::More::ok($n >= 2 && $n <= 10, "the cut connection carried $n of the lookups (pipelined: 2 or more; pipeline=10: 10 at most)");
Test::More::is(scalar(grep { $_->[2] eq 'dropped' } @{ $cut->{commands} }), $n - 1, 'all but the first written behind it, unanswered');
Test::More::ok((grep { $_->{id} != $cut->{id} && grep { $_->[0] eq 'HMGET' } @{ $_->{commands} } } @$conns), 'the other lookups went on another connection');
main::check_results('cut', \@rs, fail => \%on);
my @l = main::store_lines();
Test::More::is(scalar @l, $n, "one store_unavailable line per 503 ($n)");
Test::More::is(scalar(grep { /\[error\] .*store_unavailable: redis (?:closed the connection|recv\(\) failed \(104: )/ } @l), $n, 'each saying the connection was closed') or Test::More::diag(@l);
my $e = WebAuthnTest::redis_errors();
Test::More::is(($e->{closed} // 0) - ($errors->{closed} // 0), $n, "webauthn_redis_errors_total{reason=\"closed\"} +$n");
my $r = main::get(main::fresh());
Test::More::is($r->{status}, 200, 'pass-through: a fresh assertion passes at once');
my $s = FaultProxy::wait_open($p, 0, 4);
Test::More::ok($s->{ok}, "no connection left open after keepalive_timeout ($s->{open})");
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



=== TEST 4: a pooled connection cut 3 bytes into the second reply of a pipelined batch: that request 503; the first passes; those that got no reply byte are sent again on a new connection and pass, each with its own user
--- http_config eval
'webauthn_redis 127.0.0.1:$TEST_NGINX_FAULT_PORT;' . "\n" . $main::Common
--- init
my $p = $main::Proxy;
main::proxy_idle();
my $r = main::get(main::fresh());
Test::More::is($r->{status}, 200, 'one assertion passes first, its connection pooled');
Test::More::is(FaultProxy::stats($p)->{open}, 1, 'one connection, pooled');
FaultProxy::reset($p);
my $resends = WebAuthnTest::metric('webauthn_redis_resends_total');
FaultProxy::mode($p, 'cut 3 cmd=HMGET every=2 count=1');
my @h = main::fresh(20);
my @rs = main::burst(@h);
FaultProxy::mode($p, 'pass');
my $conns = FaultProxy::conns($p);
my ($cut) = grep { grep { $_->[2] eq 'fault' } @{ $_->{commands} } } @$conns;
Test::More::ok($cut, 'the proxy cut a connection');
$cut //= { commands => [] };
my @hm = grep { $_->[0] eq 'HMGET' } @{ $cut->{commands} };
main::shape(sub { Test::More::ok(@hm >= 4, scalar(@hm) . ' lookups were on it (pipelined)'); });
my ($faulted) = map { main::cred_of_key($_->[1]) } grep { $_->[2] eq 'fault' } @hm;
my @dropped = map { main::cred_of_key($_->[1]) } grep { $_->[2] eq 'dropped' } @hm;
main::shape(sub { Test::More::ok(@dropped >= 2, scalar(@dropped) . ' written behind the cut one, unanswered'); });
my @again = grep { my ($c, $f) = main::conn_of($conns, $_, 'HMGET', 1); $c && $c->{id} != $cut->{id} && $f eq 'ok' } @dropped;
Test::More::is(scalar @again, scalar @dropped, 'each of those sent again on another connection');
# each op with no reply byte on it went again, once: at least those the
# proxy saw written behind the cut one, never the cut one itself
my $sent = WebAuthnTest::metric('webauthn_redis_resends_total') - $resends;
Test::More::ok($sent >= @dropped && $sent < @h, "webauthn_redis_resends_total +$sent (" . scalar(@dropped) . ' dropped lookups, at most ' . (@h - 1) . ')');
main::check_results('cut mid-stream', \@rs, fail => { ($faulted // '') => 1 });
my @l = main::store_lines();
Test::More::is(scalar @l, 1, 'one store_unavailable line, the cut one\'s') or Test::More::diag(@l);
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



=== TEST 5: an operation's own timeout (timeout=2s): on one pipe, X's lookup answered after 1.2 s, A's behind it 2.6 s after A was sent: A 503 after its own timeout; X's commit and B's lookup, sent behind A's on the same pipe, get their own replies after A's late one, never it; the connection takes no new operation and is closed; fds back
--- http_config eval
'webauthn_redis 127.0.0.1:$TEST_NGINX_FAULT_PORT timeout=2s keepalive=2 keepalive_timeout=1s;' . "\n" . $main::Common
--- init
# (X's reply at 1.2 s, A's late one at 2.6 s: TEST 12 has a late head
# with nothing answered before it)
my $p = $main::Proxy;
main::proxy_idle();
my ($w) = FaultProxy::worker_pids();
my $r = main::get(main::fresh());
Test::More::is($r->{status}, 200, 'one assertion passes first, its connection pooled');
my $base = FaultProxy::other_fds($main::Proxy, $w);
my $errors = WebAuthnTest::redis_errors();
FaultProxy::reset($p);
my ($hx, $ha, $hb, $hd) = main::fresh(4);
my ($cx, $ca, $cb, $cd) = map { main::cred_of($_) } $hx, $ha, $hb, $hd;
FaultProxy::mode($p, 'delay 1200 cmd=HMGET count=1');
my $t0 = Time::HiRes::time();
my $x = main::spawn_request($hx);
Time::HiRes::sleep(0.1);
my $a = main::spawn_request($ha);
Time::HiRes::sleep(0.2);
# the proxy holds X's lookup; A's, read after X's reply, is held 1.4 s
FaultProxy::mode($p, 'delay 1400 cmd=HMGET count=1');
Time::HiRes::sleep(1.5 - (Time::HiRes::time() - $t0));
my $b = main::spawn_request($hb);
my ($rx, $ra, $rb) = map { main::collect($_) } $x, $a, $b;
my $conns = FaultProxy::conns($p);
Test::More::is($ra->{status}, 503, 'A, its reply late: 503');
Test::More::is($ra->{code}, 'store_unavailable', 'store_unavailable');
Test::More::ok($ra->{time} > 1.9 && $ra->{time} < 2 + $main::Margin, sprintf('answered after its own timeout, 2 s: %.2f s', $ra->{time}));
for ([X => $rx, $cx], [B => $rb, $cb]) {
    my ($n, $rr, $cid) = @$_;
    Test::More::is($rr->{status}, 200, "$n: 200");
    Test::More::is($rr->{user}, $main::User{$cid}, "$n: its own user (" . ($rr->{user} // '') . ')');
    Test::More::is($rr->{cred}, $cid, "$n: its own credential");
}
my ($pa) = main::conn_of($conns, $ca, 'HMGET');
my ($px) = main::conn_of($conns, $cx, 'HMGET');
my ($pb) = main::conn_of($conns, $cb, 'HMGET');
my ($pxc) = main::conn_of($conns, $cx, 'EVALSHA');
my ($pbc) = main::conn_of($conns, $cb, 'EVALSHA');
$_ //= { id => -1 } for $pa, $px, $pb, $pxc, $pbc;
Test::More::ok($pa->{id} > 0 && $px->{id} == $pa->{id} && $pb->{id} == $pa->{id}, "the three lookups on one connection ($px->{id} $pa->{id} $pb->{id})");
Test::More::is($pxc->{id}, $pa->{id}, "X's commit too, sent before A's timeout");
Test::More::ok($pbc->{id} > 0 && $pbc->{id} != $pa->{id}, "B's commit, after A's timeout, on another connection ($pbc->{id})");
my @order = map { $_->[0] . ' ' . ($main::User{main::cred_of_key($_->[1])} // '') } @{ $pa->{commands} // [] };
shift @order while @order && $order[0] ne "HMGET $main::User{$cx}";
Test::More::is("@order[0 .. 3]", "HMGET $main::User{$cx} HMGET $main::User{$ca} EVALSHA $main::User{$cx} HMGET $main::User{$cb}", 'behind A\'s lookup on the wire: X\'s commit and B\'s lookup');
Test::More::ok(FaultProxy::settle(sub { !grep { $_->{id} == $pa->{id} && $_->{open} } @{ FaultProxy::conns($p) } }), 'the timed-out connection closed, once those behind were answered');
my $rd = main::get($hd);
Test::More::is($rd->{status}, 200, 'a request afterwards passes');
Test::More::is($rd->{user}, $main::User{$cd}, 'with its own user');
my @l = main::store_lines();
Test::More::is(scalar @l, 1, 'one store_unavailable line');
Test::More::is(scalar(grep { /\[error\] .*store_unavailable: redis timed out/ } @l), 1, 'saying redis timed out') or Test::More::diag(@l);
my $e = WebAuthnTest::redis_errors();
Test::More::is(($e->{timeout} // 0) - ($errors->{timeout} // 0), 1, 'webauthn_redis_errors_total{reason="timeout"} +1');
Test::More::is(($e->{protocol} // 0) - ($errors->{protocol} // 0), 0, 'and no protocol error (the late reply was not taken for a stray one)');
my $s = FaultProxy::wait_open($p, 0, 4);
Test::More::ok($s->{ok}, "no proxy connection open after keepalive_timeout ($s->{open})");
my $fd = FaultProxy::settle(sub { my $k = FaultProxy::fd_count($w); $k == $base ? $k : 0 }) || FaultProxy::fd_count($w);
Test::More::is($fd, $base, "the worker's fds as before ($base)");
push @main::Figures, sprintf("timeout=2s, A's reply 2.6 s late: A 503 after %.2f s; X (ahead) 200 after %.2f s, B (behind) 200 after %.2f s", $ra->{time}, $rx->{time}, $rb->{time});
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



=== TEST 6: wait=1 with a replica: 20 concurrent assertions pass with their own users, each commit with its WAIT on a connection of its own; the replica stopped: every one 503 with WAIT's own answer after wait_timeout, none queued behind another's WAIT
--- http_config eval
'webauthn_redis 127.0.0.1:$TEST_NGINX_MASTER_PORT timeout=1s wait=1 wait_timeout=500ms;' . "\n" . $main::Common
--- init
my $r = main::get(main::fresh());
Test::More::is($r->{status}, 200, 'one assertion passes first');
my $before = main::redis_info('master');
my $cmds = WebAuthnTest::commandstats('master');
my @h = main::fresh(20);
my @rs = main::burst(@h);
my $d = main::redis_delta($before, 'master');
my $now = WebAuthnTest::commandstats('master');
main::check_results('wait=1', \@rs);
Test::More::is(($now->{wait} // 0) - ($cmds->{wait} // 0), 20, 'the master got 20 WAITs');
Test::More::cmp_ok($d->{conns}, '>=', 15, "the master accepted $d->{conns} connections: a commit carrying WAIT has one to itself (pipelined: 2)");
push @main::Figures, "wait=1, 20 requests in one pass: $d->{conns} connections";
RedisServers::pause('replica');
@h = main::fresh(8);
@rs = eval { main::burst(@h) };
RedisServers::resume('replica');
RedisServers::wait_replica('replica');
main::check_results('replica stopped', \@rs, fail => { map { main::cred_of($_) => 1 } @h });
my @t = map { $_->{time} } @rs;
Test::More::ok(!grep({ $_ > 1 + $main::Margin } @t), 'each answered within timeout + wait_timeout (' . join(' ', map { sprintf '%.2f', $_ } @t) . ' s)');
my @l = main::store_lines();
Test::More::is(scalar @l, 8, 'one store_unavailable line each');
Test::More::is(scalar(grep { /\[error\] .*store_unavailable: redis WAIT: 0 of 1 replicas acknowledged the commit within 500ms/ } @l), 8, "each WAIT's own answer, none timed out behind another WAIT") or Test::More::diag(@l);
push @main::Figures, 'wait=1, replica stopped, 8 requests in one pass: 503 after ' . join(' ', map { sprintf '%.2f', $_ } @t) . ' s';
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



=== TEST 7: pipeline= values: 0, 1025, abc and an empty one refused by nginx -t, naming the parameter; 1 and 1024 accepted
--- http_config eval
'webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT pipeline=1024;' . "\n" . $main::Common
--- init
my $rest = "webauthn_challenge_secret $ENV{TEST_NGINX_SECRET_FILE};";
for my $v ('0', '1025', 'abc', '', '-1', '32x') {
    my ($rc, $out) = WebAuthnTest::nginx_t("webauthn_redis 127.0.0.1:6379 pipeline=$v;\n$rest");
    Test::More::isnt($rc, 0, "pipeline=$v: refused");
    Test::More::like($out, qr/\[emerg\].*pipeline=\Q$v\E/, "pipeline=$v: the message names it") or Test::More::diag($out);
}
for my $v (1, 1024) {
    my ($rc, $out) = WebAuthnTest::nginx_t("webauthn_redis 127.0.0.1:6379 pipeline=$v;\n$rest");
    Test::More::is($rc, 0, "pipeline=$v: accepted") or Test::More::diag($out);
}
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



=== TEST 8: garbage for the first reply of a new pipelined connection: all 20 requests on it 503, none passes
--- http_config eval
'webauthn_redis 127.0.0.1:$TEST_NGINX_FAULT_PORT;' . "\n" . $main::Common
--- init
my $p = $main::Proxy;
main::proxy_idle();
FaultProxy::mode($p, 'garbage count=1');
my @h = main::fresh(20);
my @rs = main::burst(@h);
FaultProxy::mode($p, 'pass');
my $conns = FaultProxy::conns($p);
my @with = grep { grep { $_->[0] eq 'HMGET' } @{ $_->{commands} } } @$conns;
Test::More::is(scalar @with, 1, 'one connection carried the lookups');
main::check_results('garbage first', \@rs, fail => { map { main::cred_of($_) => 1 } @h });
my @l = main::store_lines();
Test::More::is(scalar @l, 20, 'one store_unavailable line each');
Test::More::is(scalar(grep { /\[error\] .*store_unavailable: redis sent an invalid reply/ } @l), 20, 'saying the reply was invalid') or Test::More::diag(@l);
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



=== TEST 9: garbage in the middle of a pipelined stream (the 5th reply; the real ones go on behind it): every request whose reply was owed 503, none passes with a reply that is not its own
--- http_config eval
'webauthn_redis 127.0.0.1:$TEST_NGINX_FAULT_PORT;' . "\n" . $main::Common
--- init
my $p = $main::Proxy;
main::proxy_idle();
FaultProxy::mode($p, 'garbage cmd=HMGET every=5 count=1');
my @h = main::fresh(20);
my @rs = main::burst(@h);
FaultProxy::mode($p, 'pass');
my $conns = FaultProxy::conns($p);
my ($bad) = grep { grep { $_->[2] eq 'fault' } @{ $_->{commands} } } @$conns;
Test::More::ok($bad, 'the proxy sent garbage');
$bad //= { commands => [] };
my @hm = map { main::cred_of_key($_->[1]) } grep { $_->[0] eq 'HMGET' } @{ $bad->{commands} };
Test::More::is(scalar @hm, 20, 'the 20 lookups on that connection');
my %owed = map { $_ => 1 } @hm[4 .. $#hm];
main::check_results('garbage mid-stream', [grep { $owed{main::cred_of($_->{header})} } @rs], fail => \%owed);
my @before = grep { !$owed{main::cred_of($_->{header})} } @rs;
my @own = grep { $_->{status} == 200 } @before;
Test::More::ok(!grep({ $_->{status} == 200 && ($_->{cred} // '') ne main::cred_of($_->{header}) } @before) && !grep({ $_->{status} !~ /^(?:200|503)$/ } @before), 'the 4 answered before it: 200 with their own user or 503, nothing else');
push @main::Figures, 'garbage as the 5th reply of 20: ' . scalar(@own) . ' of the 4 answered before it passed';
my @l = main::store_lines();
my $n503 = grep { $_->{status} == 503 } @rs;
Test::More::is(scalar @l, $n503, "one store_unavailable line per 503 ($n503)");
Test::More::is(scalar(grep { /\[error\] .*store_unavailable: redis sent an invalid reply/ } @l), $n503, 'each saying the reply was invalid') or Test::More::diag(@l);
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



=== TEST 10: a new connection: AUTH and SELECT go first, in the same write as the lookups of the batch that opened it; all pass with their own users
--- http_config eval
'webauthn_redis 127.0.0.1:$TEST_NGINX_FAULT2_PORT password=pw-secret db=3;' . "\n" . $main::Common
--- init
my $p = $main::Proxy2;
FaultProxy::mode($p, 'pass');
Test::More::ok(FaultProxy::wait_open($p, 0, 5)->{ok}, 'no connection left from before');
FaultProxy::reset($p);
my @h = main::fresh(20);
my @rs = main::burst(@h);
main::check_results('AUTH, SELECT', \@rs);
my @with = grep { grep { $_->[0] eq 'HMGET' } @{ $_->{commands} } } @{ FaultProxy::conns($p) };
Test::More::is(scalar @with, 1, 'one connection carried the lookups');
my @c = @{ ($with[0] // {})->{commands} // [] };
Test::More::is(join(' ', map { $_->[0] } @c[0 .. 2]), 'AUTH SELECT HMGET', 'AUTH, SELECT, then the lookups');
my @first = grep { $_->[3] == ($c[0][3] // -1) } @c;
Test::More::ok(@first >= 3 && $first[2][0] eq 'HMGET', 'AUTH, SELECT and the first lookup came in one read: ' . scalar(@first) . ' commands (' . join(' ', map { $_->[0] } @first[0 .. 2]) . ' ...)');
push @main::Figures, 'a new connection: ' . scalar(@first) . ' commands in its first read (AUTH, SELECT, ' . (@first - 2) . ' of the 20 lookups)';
--- request
GET /t
--- more_headers eval
main::fresh()
--- response_body_like: ^user=bench\d+ roles=bench cred=
--- no_error_log
[alert]
[crit]
[error]
exited on signal



=== TEST 11: a pooled connection closed right after Redis ran the first of a batch's commits, before any reply byte: the commits on it are sent again on a new connection; the one Redis had run finds its nonce used: 503, not 401; the 19 others pass with their own users; the 503's assertion is spent
--- http_config eval
'webauthn_redis 127.0.0.1:$TEST_NGINX_FAULT_PORT;' . "\n" . $main::Common
--- init
my $p = $main::Proxy;
main::proxy_idle();
# the batch's commits go out as its lookups' replies come in: most often
# in one write, but the proxy answers one command at a time, so now and
# then the first goes alone; up to 3 batches for one with commits queued
# behind the cut one, every batch checked whole
my ($cut, $ran, @dropped, @rs, @h, $conns, $tries);
for my $try (1 .. 3) {
    $tries = $try;
    my $r = main::get(main::fresh());
    Test::More::is($r->{status}, 200, "batch $try: one assertion passes first, its connection pooled");
    FaultProxy::reset($p);
    FaultProxy::mode($p, 'cut 0 cmd=EVALSHA count=1');
    @h = main::fresh(20);
    @rs = main::burst(@h);
    FaultProxy::mode($p, 'pass');
    $conns = FaultProxy::conns($p);
    ($cut) = grep { grep { $_->[2] eq 'fault' } @{ $_->{commands} } } @$conns;
    Test::More::ok($cut, "batch $try: the proxy cut a connection");
    $cut //= { commands => [] };
    ($ran) = map { main::cred_of_key($_->[1]) } grep { $_->[2] eq 'fault' } @{ $cut->{commands} };
    @dropped = map { main::cred_of_key($_->[1]) } grep { $_->[0] eq 'EVALSHA' && $_->[2] eq 'dropped' } @{ $cut->{commands} };
    my @again = grep { my ($c, $f) = main::conn_of($conns, $_, 'EVALSHA', 1); $c && $c->{id} != $cut->{id} && $f eq 'ok' } ($ran // ''), @dropped;
    Test::More::is(scalar @again, @dropped + 1, "batch $try: each sent again on another connection (" . scalar(@dropped) . ' behind the cut one)');
    main::check_results("commit cut, batch $try", \@rs, fail => { ($ran // '') => 1 });
    last if @dropped >= 2;
}
main::shape(sub { Test::More::ok(@dropped >= 2, scalar(@dropped) . " commits written behind it, never run (batch $tries)"); });
my @l = main::store_lines();
Test::More::is(scalar @l, $tries, 'one store_unavailable line per batch') or Test::More::diag(@l);
Test::More::is(scalar(grep { /\[error\] .*store_unavailable: redis closed the connection during the commit; sent again, it found the challenge used/ } @l), $tries, 'the commit sent again found its own nonce: a store fault') or Test::More::diag(@l);
Test::More::is(scalar(grep { /challenge_invalid|\[info\].*webauthn: / } WebAuthnTest::error_log_lines()), 0, 'and nothing logged as a replay');
my ($spent) = grep { main::cred_of($_) eq ($ran // '') } @h;
my $again = main::get($spent // main::fresh());
Test::More::is($again->{status}, 401, 'its assertion, spent by Redis, refused afterwards');
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



=== TEST 12: a late reply at the head does not cut short the timeouts of the ops behind it (timeout=2s): A's lookup answered 2.6 s after it was sent, B's sent on the same pipe 1.2 s after A's: A 503 after its own 2 s; B 200 with its own user (its reply, behind A's, within its own 2 s); one timeout counted
--- http_config eval
'webauthn_redis 127.0.0.1:$TEST_NGINX_FAULT_PORT timeout=2s keepalive=2 keepalive_timeout=1s;' . "\n" . $main::Common
--- init
my $p = $main::Proxy;
main::proxy_idle();
my $r = main::get(main::fresh());
Test::More::is($r->{status}, 200, 'one assertion passes first, its connection pooled');
my $errors = WebAuthnTest::redis_errors();
FaultProxy::reset($p);
my ($ha, $hb) = main::fresh(2);
my ($ca, $cb) = map { main::cred_of($_) } $ha, $hb;
FaultProxy::mode($p, 'delay 2600 cmd=HMGET count=1');
my $a = main::spawn_request($ha);
main::written($a);
Time::HiRes::sleep(1.2);
my $b = main::spawn_request($hb);
my ($ra, $rb) = map { main::collect($_) } $a, $b;
Test::More::is($ra->{status}, 503, 'A, its reply late: 503');
Test::More::ok($ra->{time} > 1.9 && $ra->{time} < 2 + $main::Margin, sprintf('A answered after its own timeout, 2 s: %.2f s', $ra->{time}));
Test::More::is($rb->{status}, 200, 'B, sent behind A on its connection: 200');
Test::More::is($rb->{user}, $main::User{$cb}, "B: its own user (" . ($rb->{user} // '') . ')');
Test::More::is($rb->{cred}, $cb, 'B: its own credential');
Test::More::ok($rb->{time} > 1.2, sprintf('B waited for A\'s late reply: %.2f s', $rb->{time}));
my ($pa) = main::conn_of(FaultProxy::conns($p), $ca, 'HMGET');
my ($pb) = main::conn_of(FaultProxy::conns($p), $cb, 'HMGET');
$_ //= { id => -1 } for $pa, $pb;
Test::More::ok($pa->{id} > 0 && $pb->{id} == $pa->{id}, "A's and B's lookups on one connection ($pa->{id} $pb->{id})");
my $e = WebAuthnTest::redis_errors();
Test::More::is(($e->{timeout} // 0) - ($errors->{timeout} // 0), 1, 'webauthn_redis_errors_total{reason="timeout"} +1: A only');
my @l = main::store_lines();
Test::More::is(scalar @l, 1, 'one store_unavailable line') or Test::More::diag(@l);
push @main::Figures, sprintf("timeout=2s, A's reply 2.6 s late: A 503 after %.2f s; B, sent 1.2 s later behind it, 200 after %.2f s", $ra->{time}, $rb->{time});
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
