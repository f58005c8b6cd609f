package RedisServers;

# Copyright (C) ngx_http_webauthn_module authors
#
# Redis servers as users run them, for t/019-redis-tls.t, t/020-sentinel.t
# and t/021-redis-resolver.t (WebAuthnTest.pm starts the plain one every
# file has):
#
#   certs()                     a test CA, another CA, a server certificate
#                               (DNS:redis.test, IP:127.0.0.1) and a client
#                               one, made with the openssl CLI
#   start(NAME, %o)             redis-server: bind =>, port => (plain),
#                               tls_port =>, tls_auth_clients => 'no' |
#                               'optional' | 'yes', replicaof => PORT,
#                               args => [...]; registered in
#                               %WebAuthnTest::Redis (plain port on
#                               127.0.0.1) so that WebAuthnTest's helpers
#                               reach it
#   stop(NAME), pause(NAME), resume(NAME)  SIGTERM, SIGSTOP, SIGCONT
#   cmd(NAME, COMMAND, ARGS...) a command on its plain port (at its bind)
#   info(NAME, SECTION), dbsize(NAME), connections(NAME): what it says
#                               (connections: those accepted but for cmd's)
#   copy_keys(FROM, TO)         every hash and string (records, epoch,
#                               used nonces) of FROM into TO
#   wait_replica(NAME)          until the replica's link to its master is up
#   sentinel(NAME, master => PORT, quorum => N)  redis-sentinel monitoring
#                               "mymaster"
#   wait_until(SECONDS, CODE)   CODE's first true value, or undef
#
# Everything started here is stopped at END.

use strict;
use warnings;

use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();

use WebAuthnTest ();

our $Dir = $WebAuthnTest::WorkDir;
our %Servers;                    # name -> { pid, bind, port, tls_port }
our $MainPid = $$;


END {
    return unless $$ == $MainPid;
    local $?;
    for my $name (keys %Servers) {
        my $s = $Servers{$name};
        next unless $s->{pid};
        kill 'CONT', $s->{pid};
        kill 'KILL', $s->{pid};
        waitpid $s->{pid}, 0;
    }
}


# -- certificates -----------------------------------------------------------

sub openssl {
    open my $save, '>&', \*STDERR or die $!;
    open STDERR, '>>', "$Dir/openssl.err" or die $!;
    my $out = eval { WebAuthnTest::run_cmd('openssl', @_) };
    my $err = $@;
    open STDERR, '>&', $save or die $!;
    die $err if $err;
    return $out;
}

sub make_ca {
    my ($name) = @_;
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt',
            'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
            '-keyout', "$Dir/$name.key", '-out', "$Dir/$name.crt",
            '-subj', "/CN=webauthn redis test $name",
            '-addext', 'basicConstraints=critical,CA:TRUE',
            '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

sub make_cert {
    my ($name, $ca, $cn, $san, $usage) = @_;
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt',
            'ec_paramgen_curve:prime256v1', '-nodes',
            '-keyout', "$Dir/$name.key", '-out', "$Dir/$name.csr",
            '-subj', "/CN=$cn");
    open my $ext, '>', "$Dir/$name.ext" or die $!;
    print $ext "basicConstraints=CA:FALSE\nextendedKeyUsage=$usage\n";
    print $ext "subjectAltName=$san\n" if $san;
    close $ext;
    openssl('x509', '-req', '-in', "$Dir/$name.csr", '-CA', "$Dir/$ca.crt",
            '-CAkey', "$Dir/$ca.key", '-CAcreateserial', '-days', '2',
            '-out', "$Dir/$name.crt", '-extfile', "$Dir/$name.ext");
    chmod 0644, "$Dir/$name.key";
}

# { ca, wrong_ca, cert, key, client_cert, client_key }: file names
sub certs {
    make_ca('redis-ca');
    make_ca('redis-wrong-ca');
    make_cert('redis-server', 'redis-ca', 'redis.test',
              'DNS:redis.test,IP:127.0.0.1', 'serverAuth');
    make_cert('redis-client', 'redis-ca', 'webauthn-gateway', undef,
              'clientAuth');
    return { ca => "$Dir/redis-ca.crt", wrong_ca => "$Dir/redis-wrong-ca.crt",
             cert => "$Dir/redis-server.crt",
             key => "$Dir/redis-server.key",
             client_cert => "$Dir/redis-client.crt",
             client_key => "$Dir/redis-client.key" };
}


# -- servers ----------------------------------------------------------------

sub spawn {
    my ($name, @cmd) = @_;
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', "$Dir/$name.err";
        { exec @cmd; }
        POSIX::_exit(127);
    }
    return $pid;
}

sub start {
    my ($name, %o) = @_;
    my $s = $Servers{$name} ||= {};
    $s->{bind} = $o{bind} || $s->{bind} || '127.0.0.1';
    $s->{port} = $o{port} || $s->{port} || WebAuthnTest::free_port();
    $s->{tls_port} = $o{tls_port} if exists $o{tls_port};
    $s->{opts} = \%o if %o;
    %o = %{ $s->{opts} || {} };

    my @cmd = ('redis-server', '--port', $s->{port}, '--bind', $s->{bind},
               '--save', '', '--appendonly', 'no', '--daemonize', 'no',
               '--dir', $Dir, '--dbfilename', "$name.rdb",
               '--logfile', "$Dir/redis-$name.log");
    if ($s->{tls_port}) {
        my $c = $o{certs} or die "tls_port without certs";
        push @cmd, '--tls-port', $s->{tls_port},
                   '--tls-cert-file', $c->{cert},
                   '--tls-key-file', $c->{key},
                   '--tls-ca-cert-file', $c->{ca},
                   '--tls-auth-clients', $o{tls_auth_clients} || 'no';
    }
    push @cmd, '--replicaof', '127.0.0.1', $o{replicaof} if $o{replicaof};
    push @cmd, @{ $o{args} || [] };

    $s->{pid} = spawn("redis-$name", @cmd);
    $WebAuthnTest::Redis{$name} = { port => $s->{port} }
        if $s->{bind} eq '127.0.0.1';

    for (1 .. 250) {
        my $pong = eval { cmd($name, 'PING') };
        return $s->{port} if defined $pong && $pong eq 'PONG';
        if (waitpid($s->{pid}, POSIX::WNOHANG()) == $s->{pid}) {
            delete $s->{pid};
            die "redis-server ($name) exited; see $Dir/redis-$name.log";
        }
        Time::HiRes::sleep(0.02);
    }
    die "redis-server ($name) did not answer on port $s->{port}";
}

sub stop {
    my ($name) = @_;
    my $s = $Servers{$name} or return;
    return unless $s->{pid};
    kill 'CONT', $s->{pid};
    kill 'TERM', $s->{pid};
    waitpid $s->{pid}, 0;
    delete $s->{pid};
}

sub pause {
    my ($name) = @_;
    kill 'STOP', $Servers{$name}{pid};
}

sub resume {
    my ($name) = @_;
    kill 'CONT', $Servers{$name}{pid};
}

sub port {
    my ($name) = @_;
    return $Servers{$name}{port};
}

# cmd(NAME, COMMAND, ARGS...): one command, its reply (WebAuthnTest's RESP)
sub cmd {
    my ($name, @args) = @_;
    my $s = $Servers{$name} or die "no server named $name";
    $s->{opened}++;
    my $sock = IO::Socket::INET->new(PeerAddr => $s->{bind},
                                     PeerPort => $s->{port}, Timeout => 3)
        or die "redis $name: connect: $!\n";
    my $req = '*' . @args . "\r\n";
    $req .= '$' . length($_) . "\r\n$_\r\n" for @args;
    syswrite($sock, $req) or die "redis $name: write: $!\n";
    my $buf = '';
    my $reply = WebAuthnTest::_resp_read($sock, \$buf);
    close $sock;
    return $reply;
}

# the INFO section's fields, { field => value }
sub info {
    my ($name, $section) = @_;
    my %f;
    for (split /\r?\n/, cmd($name, 'INFO', $section)) {
        $f{$1} = $2 if /^([^:#]+):(.*)$/;
    }
    return \%f;
}

# connections the server accepted, but for those of cmd()
sub connections {
    my ($name) = @_;
    my $n = info($name, 'stats')->{total_connections_received};
    return $n - $Servers{$name}{opened};
}

sub dbsize {
    my ($name) = @_;
    return cmd($name, 'DBSIZE');
}

sub copy_keys {
    my ($from, $to) = @_;
    my $snap = WebAuthnTest::snapshot_redis($from);
    for my $k (keys %{ $snap->{0} || {} }) {
        my ($type, $v, $pttl) = @{ $snap->{0}{$k} };
        if ($type eq 'hash') {
            cmd($to, 'HSET', $k, @$v);
        } elsif (!defined $pttl || $pttl < 0) {
            cmd($to, 'SET', $k, $v);
        } elsif ($pttl > 0) {
            cmd($to, 'SET', $k, $v, 'PX', $pttl);
        }
    }
}

sub wait_until {
    my ($seconds, $code) = @_;
    my $deadline = Time::HiRes::time() + $seconds;
    for ( ;; ) {
        my $v = eval { $code->() };
        return $v if $v;
        return undef if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.05);
    }
}

sub wait_replica {
    my ($name) = @_;
    wait_until(20, sub {
        (info($name, 'replication')->{master_link_status} // '') eq 'up'
    }) or die "replica $name did not sync with its master";
}


# -- sentinels --------------------------------------------------------------

sub sentinel {
    my ($name, %o) = @_;
    my $s = $Servers{$name} ||= {};
    $s->{bind} = '127.0.0.1';
    $s->{port} ||= WebAuthnTest::free_port();
    my $conf = "$Dir/$name.conf";
    open my $out, '>', $conf or die "$conf: $!";
    print $out <<"EOC";
port $s->{port}
bind 127.0.0.1
daemonize no
dir $Dir
logfile $Dir/$name.log
sentinel monitor mymaster 127.0.0.1 $o{master} @{[ $o{quorum} || 2 ]}
sentinel down-after-milliseconds mymaster @{[ $o{down_after} || 1000 ]}
sentinel failover-timeout mymaster 10000
sentinel parallel-syncs mymaster 1
EOC
    close $out;

    $s->{pid} = spawn($name, 'redis-sentinel', $conf);

    wait_until(10, sub { cmd($name, 'PING') eq 'PONG' })
        or die "redis-sentinel ($name) did not answer; see $Dir/$name.log";
    return $s->{port};
}

# the master's port as the sentinel NAME sees it
sub sentinel_master {
    my ($name) = @_;
    my $r = cmd($name, 'SENTINEL', 'get-master-addr-by-name', 'mymaster');
    return ref $r ? $r->[1] : undef;
}

1;
