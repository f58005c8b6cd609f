# vi:filetype=perl

# webauthn_redis cluster ... tls: a three-master Redis Cluster that speaks
# TLS only (t/lib/RedisCluster.pm with tls =>: --port 0, --tls-port,
# --tls-cluster yes, client certificates required), its nodes on
# 127.0.0.1, 127.0.0.2 and 127.0.0.3, each with a certificate of the test
# CA (t/lib/RedisServers.pm, as t/019) for the Cluster's names
# (redis.test, localhost) and its own address.  The module is given node 0
# alone: the others are found through CLUSTER SLOTS, which gives their TLS
# ports.  Checked: a
# credential on each node passes over TLS, each node's certificate
# checked against its own address; -MOVED after a slot moved is followed
# to a node never connected before, over TLS; with tls_name= every node
# is checked against that name, and each node's TLS session is resumed by
# the next connection to that node only; a name the certificates are
# not for, a node whose certificate is for another name (found through
# the slot map or reached by -MOVED), or no client certificate: 503
# store_unavailable, the reason logged once per request, nothing written.
# With a host name first (localhost), every node is checked against it.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use RedisServers;
use RedisCluster;

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 10);
add_block_preprocessor(\&WebAuthnTest::preprocess);

our $T0 = Time::HiRes::time();

our $Certs = RedisServers::certs();
our @Hosts = map { "127.0.0.$_" } 1 .. 3;

# node I: the Cluster's names (redis.test, and localhost as a
# configuration endpoint's) and its own address, for the bus both ways
our @NodeCerts;
for my $i (0 .. 2) {
    RedisServers::make_cert("cluster-$i", 'redis-ca', "node$i.redis.test",
                            "DNS:redis.test,DNS:localhost,IP:$Hosts[$i]",
                            'serverAuth,clientAuth');
    push @NodeCerts, { cert => "$RedisServers::Dir/cluster-$i.crt",
                       key => "$RedisServers::Dir/cluster-$i.key" };
}

# the test CA's too, for another name and address
RedisServers::make_cert('cluster-other', 'redis-ca', 'other.test',
                        'DNS:other.test,IP:127.0.0.9',
                        'serverAuth,clientAuth');
our $OtherCert = { cert => "$RedisServers::Dir/cluster-other.crt",
                   key => "$RedisServers::Dir/cluster-other.key" };

# node 1's, without localhost
RedisServers::make_cert('cluster-1-ip', 'redis-ca', 'node1.redis.test',
                        "DNS:redis.test,IP:$Hosts[1]",
                        'serverAuth,clientAuth');
our $IpCert = { cert => "$RedisServers::Dir/cluster-1-ip.crt",
                key => "$RedisServers::Dir/cluster-1-ip.key" };

our @Ports = RedisCluster::start(3, tls => { ca => $Certs->{ca},
                                             certs => \@NodeCerts },
                                 hosts => \@Hosts);

# credentials enrolled (into the main Redis, then copied to the Cluster)
# until each node holds one: $OnNode{i} is the key of one on node i; the
# blocks' own requests use es256
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
RedisCluster::import_cred('es256');

# the webauthn_redis line: node 0 alone (as seed => HOST:PORT, if given),
# over TLS with the client certificate (but for no_client_cert => 1),
# then PARAMS
sub conf {
    my ($params, %o) = @_;
    my $client = $o{no_client_cert} ? ''
        : " tls_certificate=$Certs->{client_cert}"
          . " tls_certificate_key=$Certs->{client_key}";
    my $seed = $o{seed} // "$Hosts[0]:$Ports[0]";
    return <<"_EOC_";
    webauthn_redis cluster $seed tls tls_trusted_certificate=$Certs->{ca}$client $params$WebAuthnTest::RedisTimeouts;
    webauthn_challenge_secret \$TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout \$TEST_NGINX_CHALLENGE_TIMEOUT;
_EOC_
}

sub used_keys {
    my ($i, $name) = @_;
    my $id = WebAuthnTest::cred_id($name);
    return scalar @{ RedisCluster::node($i, 'KEYS',
                                        "webauthn:used:{$id}:*") || [] };
}

# the used nonces of every credential on every node
sub all_used {
    return join ' ', map { scalar @{ RedisCluster::node($_, 'KEYS',
                                                        'webauthn:used:*')
                                     || [] } } 0 .. 2;
}

sub passes {
    my ($name, $what) = @_;
    my $r = WebAuthnTest::http_request('GET', '/t',
                                       WebAuthnTest::authz(key => $name));
    Test::More::is($r->{status}, 200, "$what: passes");
    Test::More::like($r->{body} // '', qr/^user=user-\Q$name\E /,
                     "$what: as its user");
}

sub refuses {
    my ($name, $what) = @_;
    my $r = WebAuthnTest::http_request('GET', '/t',
                                       WebAuthnTest::authz(key => $name));
    Test::More::is($r->{status}, 503, "$what: 503");
    Test::More::like($r->{body} // '',
                     qr/"code"\s*:\s*"store_unavailable"/,
                     "$what: store_unavailable");
}

# the store_unavailable lines of the error log so far
sub refusals {
    return grep { /webauthn: store_unavailable: / }
           WebAuthnTest::error_log_lines();
}

our (%Before, $Moved);

run_tests();

Test::More::diag(sprintf 't/024: %.1f s, the Cluster on %s',
                 Time::HiRes::time() - $T0,
                 join(' ', map { "$Hosts[$_]:$Ports[$_]" } 0 .. 2));

__DATA__

=== TEST 1: TLS only (no plain port; CLUSTER SLOTS gives each node's address and TLS port); node 0 given alone; a credential on each node passes, its nonce on its own node, each node connected to, in TLS (its only port), its certificate checked against its own address (no tls_name=)
--- http_config eval: main::conf('')
--- init
for my $i (0 .. 2) {
    Test::More::is_deeply(RedisCluster::node($i, 'CONFIG', 'GET', 'port'), ['port', '0'], "node $i: no plain TCP port");
    Test::More::is_deeply(RedisCluster::node($i, 'CONFIG', 'GET', 'tls-cluster'), ['tls-cluster', 'yes'], "node $i: tls-cluster yes");
}
my $slots = RedisCluster::node(0, 'CLUSTER', 'SLOTS');
Test::More::is_deeply([sort map { "$_->[2][0]:$_->[2][1]" } @$slots],
                      [sort map { "$main::Hosts[$_]:$main::Ports[$_]" } 0 .. 2],
                      'CLUSTER SLOTS gives the nodes\' own addresses and TLS ports');
my @conns = map { RedisCluster::connections($_) } 0 .. 2;
my $main_used = scalar @{ WebAuthnTest::redis('KEYS', 'webauthn:used:*') || [] };
for my $i (0 .. 2) {
    my $name = $main::OnNode{$i};
    my $n = main::used_keys($i, $name);
    main::passes($name, "node $i");
    Test::More::is(main::used_keys($i, $name), $n + 1, "node $i holds its new nonce");
}
for my $i (0 .. 2) {
    Test::More::cmp_ok(RedisCluster::connections($i) - $conns[$i], '>=', 1, "node $i: the module connected to it (TLS: its only port)");
}
Test::More::is(scalar @{ WebAuthnTest::redis('KEYS', 'webauthn:used:*') || [] }, $main_used, 'nothing went to the plain Redis');
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



=== TEST 2: a credential's slot moved from node 0 to node 2 (CLUSTER SETSLOT, MIGRATE over TLS): node 0's -MOVED (with node 2's TLS port) is followed to node 2 on a new TLS connection, its certificate checked against its own address; the next request goes there directly
--- http_config eval: main::conf('')
--- init
my $name = $main::OnNode{0};
my $slot = RedisCluster::slot(WebAuthnTest::cred_key($name));
main::passes($name, 'before (the worker has the slot map, and a connection to node 0 only)');
RedisCluster::move_slot($slot, 2);
my $conns = RedisCluster::connections(2);
Test::More::is(RedisCluster::owner($slot), 2, "slot $slot is node 2's");
my $m = RedisCluster::errors(0, 'MOVED');
my $n = main::used_keys(2, $name);
main::passes($name, 'after the move');
Test::More::is(RedisCluster::errors(0, 'MOVED'), $m + 1, 'node 0 answered -MOVED');
Test::More::is(main::used_keys(2, $name), $n + 1, 'the new nonce is on node 2');
Test::More::is(main::used_keys(0, $name), 0, 'none on node 0');
Test::More::is(RedisCluster::connections(2) - $conns, 1, 'one new connection to node 2');
main::passes($name, 'again');
Test::More::is(RedisCluster::errors(0, 'MOVED'), $m + 1, 'without another -MOVED');
RedisCluster::move_slot($slot, 0);
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



=== TEST 3: tls_name=redis.test (the name every node's certificate holds, sent in SNI to each): every node passes; without keepalive every command opens a connection, and each node's first handshake is full, every later one resumes that node's own session (none offered to another node: a session of one would be a full handshake at the next)
--- log_level: debug
--- http_config eval: main::conf('tls_name=redis.test keepalive=0 pipeline=1')
--- init
for my $round (1, 2) {
    for my $i (0 .. 2) {
        main::passes($main::OnNode{$i}, "round $round, node $i");
    }
}
my @hs = map { /redis TLS handshake done, session (\w+)/ ? $1 : () } WebAuthnTest::error_log_lines();
Test::More::is(scalar(grep { $_ eq 'new' } @hs), 3, 'three full handshakes, one per node');
Test::More::cmp_ok(scalar(grep { $_ eq 'reused' } @hs), '>=', 9, 'every other one resumed (' . scalar(@hs) . ' handshakes)');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- response_body eval
WebAuthnTest::echo_body('es256')
--- grep_error_log eval
qr/redis TLS handshake done, session new/
--- grep_error_log_out
redis TLS handshake done, session new
redis TLS handshake done, session new
redis TLS handshake done, session new
--- no_error_log
[error]
[alert]
[crit]



=== TEST 4: tls_name= a name no node's certificate holds: nothing passes, 503 store_unavailable for the credentials of every node, the reason (the seed's certificate, so no slot map) logged once per request, nothing written
--- http_config eval: main::conf('tls_name=other.test')
--- init
$main::Before{used} = main::all_used();
for my $i (0 .. 2) {
    main::refuses($main::OnNode{$i}, "node $i");
}
my @l = main::refusals();
Test::More::is(scalar @l, 3, 'one store_unavailable line per request');
Test::More::like($l[0] // '', qr/\[error\] .*webauthn: store_unavailable: redis TLS certificate verify failed: the certificate is not for "other\.test" \(no node answered CLUSTER SLOTS\)/, 'it says why');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: .*redis TLS certificate verify failed: the certificate is not for "other\.test"/]
--- no_error_log
[alert]
[crit]



=== TEST 5: (nothing written) node 2 given a certificate of the test CA for another name (CONFIG SET tls-cert-file): with tls_name=redis.test nodes 0 and 1 pass; node 2, found through the slot map, or reached by node 0's -MOVED for a slot moved to it, is refused for its certificate: 503, the reason logged once per request, nothing written
--- http_config eval: main::conf('tls_name=redis.test')
--- init
Test::More::is(main::all_used(), $main::Before{used}, 'tls_name= refused: no nonce written on any node');
RedisCluster::node(2, 'CONFIG', 'SET', 'tls-cert-file', $main::OtherCert->{cert}, 'tls-key-file', $main::OtherCert->{key});
main::passes($main::OnNode{0}, 'node 0');
main::passes($main::OnNode{1}, 'node 1');
my $name = $main::OnNode{0};
$main::Moved = RedisCluster::slot(WebAuthnTest::cred_key($name));
my $used = main::all_used();
main::refuses($main::OnNode{2}, 'node 2 (from the slot map)');
Test::More::is(main::all_used(), $used, 'nothing written');
RedisCluster::move_slot($main::Moved, 2);
$used = main::all_used();
my $m = RedisCluster::errors(0, 'MOVED');
my $slots = RedisCluster::calls('cluster|slots');
main::refuses($name, 'a credential moved to node 2 (-MOVED)');
# node 2's failure made the map stale: a request more than a second after
# the last refresh (under valgrind) asks for it first, and so goes to node
# 2 directly; within the second it goes to node 0, which answers -MOVED
if (RedisCluster::calls('cluster|slots') > $slots) {
    Test::More::is(RedisCluster::errors(0, 'MOVED'), $m, 'the slot map asked for first: straight to node 2, no -MOVED');
} else {
    Test::More::is(RedisCluster::errors(0, 'MOVED'), $m + 1, 'node 0 answered -MOVED');
}
Test::More::is(main::all_used(), $used, 'nothing written');
my @l = main::refusals();
Test::More::is(scalar @l, 2, 'one store_unavailable line per refused request');
Test::More::like($_, qr/redis TLS certificate verify failed: the certificate is not for "redis\.test"/, 'it says why') for @l;
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => $main::OnNode{2})
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: redis TLS certificate verify failed: the certificate is not for "redis\.test"/]
--- no_error_log
[alert]
[crit]



=== TEST 6: node 2's own certificate back, the slot back on node 0; the first address a host name (localhost, as a managed Cluster's configuration endpoint's) and no tls_name=: every node's certificate is checked against that name, not the node's address: nodes 0 and 2 pass; node 1, given a certificate for its own address and redis.test but not localhost, is refused: 503, the name logged
--- http_config eval: main::conf('', seed => "localhost:$main::Ports[0]")
--- init
RedisCluster::node(2, 'CONFIG', 'SET', 'tls-cert-file', $main::NodeCerts[2]{cert}, 'tls-key-file', $main::NodeCerts[2]{key});
RedisCluster::move_slot($main::Moved, 0);
RedisCluster::node(1, 'CONFIG', 'SET', 'tls-cert-file', $main::IpCert->{cert}, 'tls-key-file', $main::IpCert->{key});
main::passes($main::OnNode{0}, 'node 0');
main::passes($main::OnNode{2}, 'node 2');
my $used = main::all_used();
main::refuses($main::OnNode{1}, 'node 1');
Test::More::is(main::all_used(), $used, 'nothing written');
my @l = main::refusals();
Test::More::is(scalar @l, 1, 'one store_unavailable line');
Test::More::like($l[0] // '', qr/redis TLS certificate verify failed: the certificate is not for "localhost"/, 'it says why');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => $main::OnNode{1})
--- denied: store_unavailable
--- error_log eval
[qr/\[error\] .*webauthn: store_unavailable: redis TLS certificate verify failed: the certificate is not for "localhost"/]
--- no_error_log
[alert]
[crit]



=== TEST 7: node 1's own certificate back; no client certificate while the nodes require one (tls-auth-clients yes): 503 store_unavailable, nothing written
--- http_config eval: main::conf('', no_client_cert => 1)
--- init
RedisCluster::node(1, 'CONFIG', 'SET', 'tls-cert-file', $main::NodeCerts[1]{cert}, 'tls-key-file', $main::NodeCerts[1]{key});
$main::Before{used} = main::all_used();
main::refuses($main::OnNode{1}, 'node 1');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'es256')
--- denied: store_unavailable
--- no_error_log
[alert]



=== TEST 8: (nothing written) the client certificate again: every node passes
--- http_config eval: main::conf('')
--- init
Test::More::is(main::all_used(), $main::Before{used}, 'no nonce written without a client certificate');
for my $i (0 .. 2) {
    main::passes($main::OnNode{$i}, "node $i");
}
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
