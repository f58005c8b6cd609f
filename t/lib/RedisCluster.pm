package RedisCluster;

# Copyright (C) ngx_http_webauthn_module authors
#
# A Redis Cluster on loopback for t/022-cluster.t and t/024-cluster-tls.t:
# start(N) runs N
# redis-server --cluster-enabled yes (no persistence, no replicas,
# cluster-require-full-coverage no: a node down leaves the others
# serving; cluster-node-timeout 15 s, Redis's default: a node that cannot
# reach the majority of the masters with slots for that long says
# CLUSTERDOWN, and t/022's frozen node stays frozen for seconds) and
# joins them with redis-cli --cluster create; the nodes are also
# WebAuthnTest Redis instances named c0, c1, ... (redis_cmd works on
# them).  slot() is CRC16 as the Cluster specification, checked against
# CLUSTER KEYSLOT; cmd() sends a command to the node of its key's slot;
# import_cred() copies a credential enrolled into the main Redis; migrate_*
# move a slot between nodes (CLUSTER SETSLOT, MIGRATE); stop_node kills
# one; connections(I) counts those node I accepted from others than
# node().  Everything started is stopped at END.
#
# start(N, tls => { ca, certs => [{ cert, key }, ...] }, hosts => [...])
# (t/024-cluster-tls.t): TLS only, node I with certs->[I] (the test CA's,
# for client and server: a node is its peers' client on the bus) bound to
# hosts->[I] (and its outgoing connections from there, so that its peers
# and CLUSTER SLOTS give that address); --port 0 (no plain TCP),
# --tls-port, --tls-cluster yes (the bus and MIGRATE in TLS, and CLUSTER
# SLOTS, MOVED and ASK give the TLS ports), --tls-replication yes,
# --tls-auth-clients yes: the module must present a client certificate,
# as the test's own commands do (IO::Socket::SSL, the chain checked, not
# the name: a node may be given a certificate for another name).  The
# nodes are not WebAuthnTest Redis instances then: node() speaks to them.

use strict;
use warnings;

use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();

use WebAuthnTest;

our @Ports;
our @Hosts;
our @Pids;
our @Ids;
our $Dir;
our $Tls;                        # start()'s tls => { ca, certs }
our %Opened;                     # node index -> connections node() made

sub start {
    my ($n, %o) = @_;
    $Dir = "$WebAuthnTest::WorkDir/cluster";
    $Tls = $o{tls};
    mkdir $Dir;
    if ($Tls) {
        require IO::Socket::SSL;
    }
    for my $i (0 .. $n - 1) {
        my $host = $o{hosts} ? $o{hosts}[$i] : '127.0.0.1';
        my $port = WebAuthnTest::free_port();
        # the cluster bus is port + 10000: it must be free too
        redo if $port > 55000 || !port_free($port + 10000, $host)
                || !port_free($port, $host);
        mkdir "$Dir/$i";
        my @listen = ('--port', $port, '--bind', $host);
        if ($Tls) {
            my $c = $Tls->{certs}[$i];
            @listen = ('--port', 0, '--tls-port', $port, '--bind', $host,
                       '--bind-source-addr', $host,
                       '--tls-cert-file', $c->{cert},
                       '--tls-key-file', $c->{key},
                       '--tls-ca-cert-file', $Tls->{ca},
                       '--tls-auth-clients', 'yes',
                       '--tls-cluster', 'yes', '--tls-replication', 'yes');
        }
        my $pid = fork();
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            open STDOUT, '>', '/dev/null';
            open STDERR, '>', '/dev/null';
            { exec 'redis-server', @listen,
                 '--cluster-enabled', 'yes',
                 '--cluster-config-file', "$Dir/$i/nodes.conf",
                 '--cluster-node-timeout', '15000',
                 '--cluster-require-full-coverage', 'no',
                 '--save', '', '--appendonly', 'no', '--daemonize', 'no',
                 '--dir', "$Dir/$i", '--logfile', "$Dir/$i/redis.log"; }
            POSIX::_exit(127);
        }
        push @Ports, $port;
        push @Hosts, $host;
        push @Pids, $pid;
        $WebAuthnTest::Redis{"c$i"} = { port => $port } unless $Tls;
    }
    for my $i (0 .. $n - 1) {
        wait_for(sub { (eval { node($i, 'PING') } // '') eq 'PONG' },
                 "cluster node $i answers");
    }
    my $cli = 'redis-cli';
    if ($Tls) {
        my $c = $Tls->{certs}[0];
        $cli .= " --tls --cacert $Tls->{ca} --cert $c->{cert}"
                . " --key $c->{key}";
    }
    WebAuthnTest::run_cmd('sh', '-c',
        "$cli --cluster create "
        . join(' ', map { "$Hosts[$_]:$Ports[$_]" } 0 .. $n - 1)
        . ' --cluster-replicas 0 --cluster-yes > ' . "$Dir/create.log 2>&1");
    for my $i (0 .. $n - 1) {
        wait_for(sub { (eval { node($i, 'CLUSTER', 'INFO') } // '')
                       =~ /cluster_state:ok/ }, "cluster node $i ok");
        push @Ids, node($i, 'CLUSTER', 'MYID');
    }
    # every node knows every slot's owner
    wait_for(sub { my $ok = 1;
                   for my $i (0 .. $n - 1) {
                       my $s = eval { node($i, 'CLUSTER', 'SLOTS') } || [];
                       $ok = 0 unless @$s == $n;
                   }
                   $ok }, 'the slot map agreed');
    return @Ports;
}

sub port_free {
    my ($port, $host) = @_;
    my $s = IO::Socket::INET->new(LocalAddr => $host // '127.0.0.1',
                                  LocalPort => $port, Listen => 1,
                                  ReuseAddr => 1) or return 0;
    close $s;
    return 1;
}

sub wait_for {
    my ($code, $what) = @_;
    for (1 .. 300) {
        return 1 if $code->();
        Time::HiRes::sleep(0.05);
    }
    die "RedisCluster: timed out waiting: $what\n";
}

END {
    local $?;
    for my $pid (@Pids) {
        next unless $pid;
        kill 'KILL', $pid;
        waitpid $pid, 0;
    }
}

# node(I, COMMAND...): COMMAND on node I
sub node {
    my ($i, @args) = @_;
    $Opened{$i}++;
    return WebAuthnTest::redis_cmd("c$i", @args) unless $Tls;

    # over TLS, with node 0's certificate as the client's
    my $c = $Tls->{certs}[0];
    my $sock = IO::Socket::SSL->new(
        PeerAddr => $Hosts[$i], PeerPort => $Ports[$i], Timeout => 3,
        SSL_ca_file => $Tls->{ca},
        SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_PEER(),
        SSL_verifycn_scheme => 'none',
        SSL_cert_file => $c->{cert}, SSL_key_file => $c->{key})
        or die "cluster node $i: TLS connect: $!, "
               . IO::Socket::SSL::errstr() . "\n";
    my $req = '*' . @args . "\r\n";
    $req .= '$' . length($_) . "\r\n$_\r\n" for @args;
    syswrite($sock, $req) or die "cluster node $i: write: $!\n";
    my $buf = '';
    my $reply = WebAuthnTest::_resp_read($sock, \$buf);
    close $sock;
    return $reply;
}

# the CRC16 (XMODEM) of the key's hash tag, mod 16384
sub slot {
    my ($key) = @_;
    if ($key =~ /\{([^}]+)\}/ && index($key, '{') == $-[0]) {
        $key = $1;
    }
    my $crc = 0;
    for my $c (unpack 'C*', $key) {
        $crc ^= $c << 8;
        for (1 .. 8) {
            $crc = ($crc & 0x8000) ? (($crc << 1) ^ 0x1021) : ($crc << 1);
            $crc &= 0xffff;
        }
    }
    return $crc & 16383;
}

# the index of the node that serves SLOT
sub owner {
    my ($slot) = @_;
    my $slots = node(first_alive(), 'CLUSTER', 'SLOTS');
    for my $r (@$slots) {
        next unless $slot >= $r->[0] && $slot <= $r->[1];
        my $port = $r->[2][1];
        for my $i (0 .. $#Ports) {
            return $i if $Ports[$i] == $port;
        }
    }
    die "RedisCluster: no owner of slot $slot\n";
}

sub first_alive {
    for my $i (0 .. $#Pids) {
        return $i if $Pids[$i];
    }
    die "RedisCluster: no node alive\n";
}

# cmd(COMMAND, KEY, ARGS...): on the node of KEY's slot
sub cmd {
    my (@args) = @_;
    return node(owner(slot($args[1])), @args);
}

# a credential enrolled into the main Redis (WebAuthnTest::enroll), copied
# into the cluster: its record and its store epoch
sub import_cred {
    my ($name) = @_;
    my $rec = WebAuthnTest::redis('HGETALL', WebAuthnTest::cred_key($name));
    cmd('HSET', WebAuthnTest::cred_key($name), @$rec);
    my $epoch = WebAuthnTest::redis('GET', WebAuthnTest::epoch_key($name));
    cmd('SET', WebAuthnTest::epoch_key($name), $epoch) if defined $epoch;
    return owner(slot(WebAuthnTest::cred_key($name)));
}

# the connections node I accepted, but for those of node(); the one
# node() makes to ask is not counted either
sub connections {
    my ($i) = @_;
    my $info = node($i, 'INFO', 'stats');
    my ($n) = $info =~ /^total_connections_received:(\d+)/m;
    return $n - $Opened{$i};
}

# errorstat_<ERR> of node I's INFO errorstats (0 if none)
sub errors {
    my ($i, $err) = @_;
    my $info = node($i, 'INFO', 'errorstats');
    return $info =~ /^errorstat_\Q$err\E:count=(\d+)/m ? $1 : 0;
}

# calls(COMMAND): how many times the nodes ran COMMAND, all nodes summed
# (INFO commandstats; a subcommand as "cluster|slots")
sub calls {
    my ($cmd) = @_;
    my $n = 0;
    for my $i (0 .. $#Ids) {
        my $info = eval { node($i, 'INFO', 'commandstats') } // '';
        $n += $1 if $info =~ /^cmdstat_\Q$cmd\E:calls=(\d+)/m;
    }
    return $n;
}

# migrate_begin(SLOT, FROM, TO): the slot MIGRATING on FROM, IMPORTING
# on TO; migrate_keys moves every key of it; migrate_end gives it to TO
sub migrate_begin {
    my ($slot, $from, $to) = @_;
    node($to, 'CLUSTER', 'SETSLOT', $slot, 'IMPORTING', $Ids[$from]);
    node($from, 'CLUSTER', 'SETSLOT', $slot, 'MIGRATING', $Ids[$to]);
}

sub migrate_keys {
    my ($slot, $from, $to) = @_;
    my $keys = node($from, 'CLUSTER', 'GETKEYSINSLOT', $slot, 1000) || [];
    return 0 unless @$keys;
    node($from, 'MIGRATE', $Hosts[$to], $Ports[$to], '', 0, 5000, 'KEYS',
         @$keys);
    return scalar @$keys;
}

sub migrate_end {
    my ($slot, $to) = @_;
    for my $i (0 .. $#Ports) {
        next unless $Pids[$i];
        node($i, 'CLUSTER', 'SETSLOT', $slot, 'NODE', $Ids[$to]);
    }
}

# the slot to TO at once (the MOVED case): begin, keys, end
sub move_slot {
    my ($slot, $to) = @_;
    my $from = owner($slot);
    migrate_begin($slot, $from, $to);
    migrate_keys($slot, $from, $to);
    migrate_end($slot, $to);
    wait_for(sub { owner($slot) == $to }, "slot $slot on node $to");
}

sub stop_node {
    my ($i) = @_;
    kill 'KILL', $Pids[$i];
    waitpid $Pids[$i], 0;
    $Pids[$i] = 0;
}


1;
