# vi:filetype=perl

# webauthn_redis cluster: a three-master Redis Cluster on loopback
# (t/lib/RedisCluster.pm).  Credentials on every node pass, each with its
# keys in its own slot (no redirection: the module's slots are Redis's);
# a replay is refused; -MOVED after a slot moved and -ASK during a
# migration are followed; enrollment and the admin API work across
# slots; a live resharding under assertions refuses none but for the
# store and accepts none twice; a node down is 503 store_unavailable for
# its slots only.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use EnrollTest;
use RedisCluster;
use Digest::SHA ();
use JSON::PP ();
use POSIX ();
use Time::HiRes ();

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 10);
add_block_preprocessor(\&WebAuthnTest::preprocess);

our @Ports = RedisCluster::start(3);
our $Nodes = join ' ', map { "127.0.0.1:$_" } @Ports;

# the enrollment configuration, on the Cluster (two seeds: the third is
# found through the slot map)
our $Http = $EnrollTest::HttpConfig;
$Http =~ s/webauthn_redis [^;]*;/webauthn_redis cluster 127.0.0.1:$Ports[0] 127.0.0.1:$Ports[1] timeout=2s;/
    or die "no webauthn_redis line";

# credentials enrolled (into the main Redis, then copied to the Cluster)
# until each node holds one: $OnNode{i} is the key of one on node i
our %OnNode;
for my $n (0 .. 60) {
    last if keys %OnNode == 3;
    WebAuthnTest::enroll("k$n", alg => 'es256', user => "user-k$n",
                         roles => 'reader');
    my $i = RedisCluster::import_cred("k$n");
    $OnNode{$i} //= "k$n";
}
die "the credentials did not spread over the three nodes\n"
    unless keys %OnNode == 3;

# more, for the resharding
our @More = map { "r$_" } 0 .. 8;
for my $name (@More) {
    WebAuthnTest::enroll($name, alg => 'es256', user => "user-$name",
                         roles => 'reader');
    RedisCluster::import_cred($name);
}

sub admin {
    my ($method, $route, $body) = @_;
    $body = JSON::PP->new->canonical->encode($body) if ref $body;
    my $r = WebAuthnTest::http_request($method, "/webauthn/admin/$route",
                                       defined $body
                                       ? 'Content-Type: application/json'
                                       : '', $body);
    $r->{json} = eval { JSON::PP->new->utf8->decode($r->{body}) }
        if ($r->{body} // '') =~ /\S/;
    return $r;
}

# runs each CODE in a process of its own, at once; their results
sub concurrently {
    my (@code) = @_;
    my @kids;
    for my $c (@code) {
        pipe(my $r, my $w) or die "pipe: $!";
        my $pid = fork();
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            close $r;
            my $v = eval { $c->() } // 0;
            syswrite($w, "$v\n");
            POSIX::_exit(0);
        }
        close $w;
        push @kids, [$pid, $r];
    }
    my @v;
    for my $k (@kids) {
        my $fh = $k->[1];
        my $line = <$fh> // "0\n";
        chomp $line;
        waitpid $k->[0], 0;
        push @v, $line;
    }
    return @v;
}

sub used_keys {
    my ($i, $name) = @_;
    my $id = WebAuthnTest::cred_id($name);
    return scalar @{ RedisCluster::node($i, 'KEYS',
                                        "webauthn:used:{$id}:*") || [] };
}

run_tests();

__DATA__

=== TEST 1: a credential on each node passes, its nonce and counter on its own node, the commit script loaded on each node after its NOSCRIPT; no node redirected anything (the slots are Redis's); a replay is refused
--- http_config eval: $main::Http
--- config eval: $EnrollTest::Config
--- init
my @moved = map { RedisCluster::errors($_, 'MOVED') } 0 .. 2;
Test::More::is_deeply([map { RedisCluster::errors($_, 'NOSCRIPT') } 0 .. 2], [0, 0, 0], 'no node has answered NOSCRIPT yet');
for my $i (0 .. 2) {
    my $name = $main::OnNode{$i};
    my $key = WebAuthnTest::cred_key($name);
    Test::More::is(RedisCluster::node($i, 'CLUSTER', 'KEYSLOT', $key), RedisCluster::slot($key), "node $i: the test's CRC16 is Redis's");
    my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $name));
    Test::More::is($r->{status}, 200, "node $i: the assertion passes");
    Test::More::like($r->{body} // '', qr/^user=user-\Q$name\E roles=reader /, "node $i: as its user");
    Test::More::is(main::used_keys($i, $name), 1, "node $i holds the used nonce");
    Test::More::ok(RedisCluster::node($i, 'HGET', $key, 'last_used'), "node $i: last_used written");
    Test::More::is(RedisCluster::errors($i, 'NOSCRIPT'), 1, "node $i said NOSCRIPT once: the script was sent to it");
}
Test::More::is_deeply([map { RedisCluster::errors($_, 'MOVED') } 0 .. 2], \@moved, 'no -MOVED from any node');
my $h = WebAuthnTest::authz(key => $main::OnNode{1});
my $r = WebAuthnTest::http_request('GET', '/t', $h);
Test::More::is($r->{status}, 200, 'an assertion passes once');
$r = WebAuthnTest::http_request('GET', '/t', $h);
Test::More::is($r->{status}, 401, 'its replay: 401');
Test::More::like($r->{body} // '', qr/"code"\s*:\s*"challenge_invalid"/, 'challenge_invalid');
Test::More::like($r->{body} // '', qr/already been used/, 'the nonce was used');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[error]



=== TEST 2: a credential's slot moved to another node (CLUSTER SETSLOT, MIGRATE): -MOVED is followed, the use is recorded on the new node, and the next one goes there directly
--- http_config eval: $main::Http
--- config eval: $EnrollTest::Config
--- init
my $name = $main::OnNode{0};
my $slot = RedisCluster::slot(WebAuthnTest::cred_key($name));
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $name));
Test::More::is($r->{status}, 200, 'before: passes (the worker has the slot map)');
RedisCluster::move_slot($slot, 1);
Test::More::is(RedisCluster::owner($slot), 1, "slot $slot is node 1's");
my $m = RedisCluster::errors(0, 'MOVED');
my $n = main::used_keys(1, $name);
$r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $name));
Test::More::is($r->{status}, 200, 'after the move: passes');
Test::More::cmp_ok(RedisCluster::errors(0, 'MOVED'), '>', $m, 'node 0 answered -MOVED');
Test::More::is(main::used_keys(1, $name), $n + 1, 'the new nonce is on node 1');
Test::More::is(main::used_keys(0, $name), 0, 'none on node 0');
$m = RedisCluster::errors(0, 'MOVED');
$r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $name));
Test::More::is($r->{status}, 200, 'again: passes');
Test::More::is(RedisCluster::errors(0, 'MOVED'), $m, 'without another -MOVED');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[error]



=== TEST 3: during a migration (the keys already on the importing node): -ASK is followed (ASKING) by the lookup and the commit; the importing node refuses the commit's three keys while one is missing (-TRYAGAIN, as Redis does for multi-key commands during a resharding), three retries later still: 503, nothing written; once migrated, the same assertion passes, once
--- http_config eval: $main::Http
--- config eval: $EnrollTest::Config
--- init
my $name = $main::OnNode{2};
my $key = WebAuthnTest::cred_key($name);
my $slot = RedisCluster::slot($key);
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $name));
Test::More::is($r->{status}, 200, 'before: passes');
my $count = RedisCluster::node(2, 'HGET', $key, 'sign_count');
RedisCluster::migrate_begin($slot, 2, 0);
Test::More::cmp_ok(RedisCluster::migrate_keys($slot, 2, 0), '>=', 3, 'the record, its epoch and its nonce migrated');
my $ask = RedisCluster::errors(2, 'ASK');
my $again = RedisCluster::errors(0, 'TRYAGAIN');
my $n = main::used_keys(0, $name);
my $h = WebAuthnTest::authz(key => $name);
$r = WebAuthnTest::http_request('GET', '/t', $h);
Test::More::is($r->{status}, 503, 'during the migration: 503');
Test::More::like($r->{body} // '', qr/"code"\s*:\s*"store_unavailable"/, 'store_unavailable');
Test::More::cmp_ok(RedisCluster::errors(2, 'ASK'), '>=', $ask + 2, 'node 2 answered -ASK to the lookup and to the commit');
Test::More::is(RedisCluster::errors(0, 'TRYAGAIN'), $again + 4, 'node 0 got the commit after ASKING and answered -TRYAGAIN: to it and its three retries');
Test::More::is(main::used_keys(0, $name) + main::used_keys(2, $name), $n, 'no nonce written');
RedisCluster::migrate_end($slot, 0);
RedisCluster::wait_for(sub { RedisCluster::owner($slot) == 0 }, 'the slot on node 0');
Test::More::is(RedisCluster::node(0, 'HGET', $key, 'sign_count'), $count, 'nor the counter');
$r = WebAuthnTest::http_request('GET', '/t', $h);
Test::More::is($r->{status}, 200, 'after the migration: the same assertion passes (it was not recorded)');
Test::More::is(main::used_keys(0, $name), $n + 1, 'its nonce on node 0');
$r = WebAuthnTest::http_request('GET', '/t', $h);
Test::More::is($r->{status}, 401, 'its replay: 401');
Test::More::like($r->{body} // '', qr/"code"\s*:\s*"challenge_invalid"/, 'challenge_invalid');
--- request
GET /webauthn/challenge
--- error_code: 200
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: TRYAGAIN /]
--- no_error_log
[alert]
[crit]



=== TEST 4: on the Cluster, an invitation (admin API), the options and the registration store the credential, the user and the invitation in their slots; the credential passes; GET, PATCH, revoke and DELETE of the admin API work; two registrations racing for one invitation: one wins, nothing of the other stays
--- http_config eval: $main::Http
--- config eval: $EnrollTest::Config
--- init
my $r = main::admin('POST', 'invitations', {user_name => 'olga', roles => ['reader']});
Test::More::is($r->{status}, 201, 'invitation: 201') or Test::More::diag($r->{body});
my $token = $r->{json}{token} // '';
my $hash = Digest::SHA::sha256_hex($token);
Test::More::ok(RedisCluster::cmd('EXISTS', "webauthn:invite:{$hash}"), 'the invitation is in the Cluster');
my $opts = EnrollTest::options(EnrollTest::inv($token));
Test::More::is($opts->{status}, 200, 'options: 200') or Test::More::diag($opts->{body});
my $body = EnrollTest::create($opts->{json}, 'olga1');
my $reg = EnrollTest::register(EnrollTest::inv($token), $body);
Test::More::is($reg->{status}, 201, 'registered: 201') or Test::More::diag($reg->{body});
my $id = WebAuthnTest::key('olga1')->{credential_id};
my %rec = @{ RedisCluster::cmd('HGETALL', "webauthn:cred:{$id}") || [] };
Test::More::is($rec{user_name}, 'olga', 'the record, as olga\'s');
Test::More::ok(!exists $rec{pending}, 'not pending');
Test::More::is(RedisCluster::cmd('TTL', "webauthn:cred:{$id}"), -1, 'and not expiring');
Test::More::ok(defined RedisCluster::cmd('GET', "webauthn:epoch:{$id}"), 'its store epoch');
Test::More::is_deeply(RedisCluster::cmd('SMEMBERS', 'webauthn:user_creds:{olga}'), [$id], 'the user\'s credentials');
Test::More::is(RedisCluster::cmd('EXISTS', "webauthn:invite:{$hash}"), 0, 'the invitation consumed');
Test::More::is_deeply(RedisCluster::cmd('ZRANGE', 'webauthn:user_invites:{olga}', 0, -1), [], 'no longer open');
Test::More::diag(sprintf 'nodes: credential %d, user %d, invitation %d',
    map { RedisCluster::owner(RedisCluster::slot($_)) } "webauthn:cred:{$id}", 'webauthn:user:{olga}', "webauthn:invite:{$hash}");
$r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'olga1', counter => 1));
Test::More::is($r->{status}, 200, 'the new credential passes');
Test::More::like($r->{body} // '', qr/^user=olga roles=reader /, 'as olga');
my $again = EnrollTest::register(EnrollTest::inv($token), $body);
Test::More::is($again->{status}, 401, 'the registration again: 401');
Test::More::is(EnrollTest::code_of($again), 'invitation_invalid', 'its invitation is spent');
$r = main::admin('GET', 'users/olga');
Test::More::is($r->{status}, 200, 'GET users/olga: 200');
Test::More::is_deeply([map { $_->{id} } @{ $r->{json}{credentials} || [] }], [$id], 'her credential listed');
$r = main::admin('PATCH', "credentials/$id", {roles => ['auditor']});
Test::More::is($r->{status}, 200, 'PATCH: 200') or Test::More::diag($r->{body});
Test::More::is(RedisCluster::cmd('HGET', "webauthn:cred:{$id}", 'roles'), 'auditor', 'the roles written');
$r = main::admin('POST', "credentials/$id/revoke");
Test::More::is($r->{status}, 200, 'revoke: 200') or Test::More::diag($r->{body});
Test::More::ok(defined RedisCluster::cmd('ZSCORE', 'webauthn:revoked', $id), 'in the revocations');
$r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => 'olga1', counter => 2));
Test::More::is($r->{status}, 401, 'revoked: 401');
Test::More::like($r->{body} // '', qr/"code"\s*:\s*"credential_revoked"/, 'credential_revoked');
$r = main::admin('DELETE', 'users/olga');
Test::More::is($r->{status}, 204, 'DELETE users/olga: 204') or Test::More::diag($r->{body});
Test::More::is(RedisCluster::cmd('EXISTS', "webauthn:cred:{$id}") + RedisCluster::cmd('EXISTS', "webauthn:epoch:{$id}") + RedisCluster::cmd('EXISTS', 'webauthn:user:{olga}') + RedisCluster::cmd('EXISTS', 'webauthn:user_creds:{olga}'), 0, 'her keys are gone');
$r = main::admin('GET', 'users/olga');
Test::More::is($r->{status}, 404, 'GET users/olga: 404');
# two authenticators answer one invitation's options at once: one wins
$r = main::admin('POST', 'invitations', {user_name => 'pia', roles => ['reader']});
$token = $r->{json}{token} // '';
$opts = EnrollTest::options(EnrollTest::inv($token));
my @bodies = map { EnrollTest::create($opts->{json}, "pia$_") } 1, 2;
my @s = main::concurrently(map { my $b = $_; sub { EnrollTest::register(EnrollTest::inv($token), $b)->{status} } } @bodies);
Test::More::is_deeply([sort @s], [201, 401], 'one invitation, two registrations at once: one 201, one 401');
my @ids = map { WebAuthnTest::key("pia$_")->{credential_id} } 1, 2;
my @left = grep { RedisCluster::cmd('EXISTS', "webauthn:cred:{$_}") } @ids;
Test::More::is(scalar @left, 1, 'one record stored: none of the loser (refused at its invitation, or its pending record deleted)');
Test::More::is_deeply(RedisCluster::cmd('SMEMBERS', 'webauthn:user_creds:{pia}'), \@left, 'the winner is the user\'s');
Test::More::ok(!RedisCluster::cmd('HEXISTS', "webauthn:cred:{$left[0]}", 'pending'), 'and not pending');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[error]



=== TEST 5: a live resharding (redis-cli --cluster reshard: every slot of node 0 to node 2) under assertions of the credentials of node 0: none refused for any other reason than the store (503), none accepted twice, and all pass on node 2 after it
--- http_config eval: $main::Http
--- config eval: $EnrollTest::Config
--- init
my @names = grep { RedisCluster::owner(RedisCluster::slot(WebAuthnTest::cred_key($_))) == 0 } $main::OnNode{2}, @main::More;
Test::More::cmp_ok(scalar @names, '>=', 1, scalar(@names) . ' credentials on node 0');
for my $name (@names) {
    my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $name));
    Test::More::is($r->{status}, 200, "$name passes before");
}
my $nslots = 0;
$nslots += $_->[1] - $_->[0] + 1 for grep { $_->[2][1] == $main::Ports[0] } @{ RedisCluster::node(0, 'CLUSTER', 'SLOTS') };
my $pid = fork();
die "fork: $!" unless defined $pid;
if ($pid == 0) {
    open STDOUT, '>', "$RedisCluster::Dir/reshard.log";
    open STDERR, '>&', \*STDOUT;
    { exec 'redis-cli', '--cluster', 'reshard', "127.0.0.1:$main::Ports[0]",
           '--cluster-from', $RedisCluster::Ids[0], '--cluster-to', $RedisCluster::Ids[2],
           '--cluster-slots', $nslots, '--cluster-yes'; }
    POSIX::_exit(127);
}
my (%status, @accepted);
my $t0 = Time::HiRes::time();
while (waitpid($pid, POSIX::WNOHANG()) == 0 && Time::HiRes::time() - $t0 < 120) {
    for my $name (@names) {
        my $h = WebAuthnTest::authz(key => $name);
        my $r = WebAuthnTest::http_request('GET', '/t', $h);
        $status{$r->{status}}++;
        push @accepted, $h if $r->{status} == 200;
    }
}
my $rc = $?;
Test::More::is($rc, 0, "the resharding of $nslots slots finished") or Test::More::diag(`cat $RedisCluster::Dir/reshard.log`);
printf STDERR "# during the resharding (%.1f s): %s\n", Time::HiRes::time() - $t0,
    join(', ', map { "$status{$_} x $_" } sort keys %status);
Test::More::is_deeply([grep { $_ != 200 && $_ != 503 } keys %status], [], 'every answer 200 or 503');
Test::More::cmp_ok($status{200} // 0, '>', 0, 'assertions passed during it');
my @again = grep { WebAuthnTest::http_request('GET', '/t', $_)->{status} != 401 } @accepted;
Test::More::is(scalar @again, 0, 'each accepted assertion replayed: all refused');
for my $name (@names) {
    Test::More::is(RedisCluster::owner(RedisCluster::slot(WebAuthnTest::cred_key($name))), 2, "$name is on node 2");
    my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $name));
    Test::More::is($r->{status}, 200, "$name passes after");
}
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]



=== TEST 6: a frozen node (SIGSTOP: it accepts and never answers): its credentials get 503 after the timeout, and the slot map asked again after each goes to the node that answered it last, not to the frozen one, so the other credentials pass without waiting for its timeout (asked in turn, it would be first on the first refresh); once it runs again its credentials pass
--- http_config eval: $main::Http
--- config eval: $EnrollTest::Config
--- init
my $up = $main::OnNode{2};      # on node 2 since TEST 5
my $frozen = $main::OnNode{1};  # on node 1
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $up));
Test::More::is($r->{status}, 200, 'before: passes');
kill 'STOP', $RedisCluster::Pids[1];
my $ok = eval {
    for my $round (1 .. 2) {
        $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $frozen));
        Test::More::is($r->{status}, 503, "round $round: the frozen node's credential: 503");
        # the slot map stale since that failure, and asked for again once a
        # second at most
        Time::HiRes::sleep(1.1);
        my $authz = WebAuthnTest::authz(key => $up);
        my $t0 = Time::HiRes::time();
        $r = WebAuthnTest::http_request('GET', '/t', $authz);
        my $took = Time::HiRes::time() - $t0;
        Test::More::is($r->{status}, 200, "round $round: node 2's credential passes");
        Test::More::cmp_ok($took, '<', 1.9, "round $round: with no wait for the frozen node's timeout (2 s)");
    }
    1;
};
kill 'CONT', $RedisCluster::Pids[1];
die $@ unless $ok;
RedisCluster::wait_for(sub { (eval { RedisCluster::node(1, 'PING') } // '') eq 'PONG' }, 'node 1 answers');
$r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $frozen));
Test::More::is($r->{status}, 200, "running again: node 1's credential passes");
--- request
GET /webauthn/challenge
--- error_code: 200
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: /]
--- no_error_log eval
["CLUSTER SLOTS of 127.0.0.1:$main::Ports[1]", '[alert]', '[crit]']



=== TEST 7: a node down: 503 store_unavailable for the credentials of its slots, the others pass
--- http_config eval: $main::Http
--- config eval: $EnrollTest::Config
--- init
my $up = $main::OnNode{2};      # on node 2 since TEST 5
my $down = $main::OnNode{1};    # on node 1
Test::More::is(RedisCluster::owner(RedisCluster::slot(WebAuthnTest::cred_key($up))), 2, 'one credential on node 2');
my $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $up));
Test::More::is($r->{status}, 200, 'before: passes');
RedisCluster::stop_node(1);
for my $round (1 .. 2) {
    $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $down));
    Test::More::is($r->{status}, 503, "round $round: node 1's credential: 503");
    Test::More::like($r->{body} // '', qr/"code"\s*:\s*"store_unavailable"/, "round $round: store_unavailable");
    $r = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $up));
    Test::More::is($r->{status}, 200, "round $round: node 0's credential passes");
}
--- request
GET /webauthn/challenge
--- error_code: 200
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: /]
--- no_error_log
[alert]
[crit]



=== TEST 8: the directive: "cluster" without nodes, and db= with cluster, are configuration errors; several nodes with parameters are fine
--- init
my ($rc, $out) = WebAuthnTest::nginx_t("webauthn_redis cluster;");
Test::More::isnt($rc, 0, 'cluster alone: refused');
Test::More::like($out, qr/"webauthn_redis" directive has no cluster nodes/, 'no cluster nodes');
($rc, $out) = WebAuthnTest::nginx_t("webauthn_redis cluster 127.0.0.1:7000 timeout=1s;");
Test::More::is($rc, 0, 'one node and a parameter: fine') or Test::More::diag($out);
($rc, $out) = WebAuthnTest::nginx_t("webauthn_redis cluster 127.0.0.1:7000 127.0.0.1:7001 db=2;");
Test::More::isnt($rc, 0, 'db= with cluster: refused');
Test::More::like($out, qr/a Redis Cluster has only database 0/, 'the reason');
($rc, $out) = WebAuthnTest::nginx_t("webauthn_redis cluster 127.0.0.1:7000 nowhere.invalid:7001;");
Test::More::isnt($rc, 0, 'a node that does not resolve: refused');
Test::More::like($out, qr/cluster node "nowhere\.invalid:7001"/, 'the node named');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
