package FaultProxy;

# Copyright (C) ngx_http_webauthn_module authors
#
# The fault-injecting proxy of t/lib/faultproxy.py, for the t/*.t files:
#
#   my $p = FaultProxy::start(upstream => $port);   # { port, control, pid }
#   FaultProxy::mode($p, 'cut 5 cmd=EVALSHA');      # its "mode" line
#   FaultProxy::stats($p)->{open};
#   FaultProxy::wait_open($p, 0, 3);                # stats, with {ok}
#   FaultProxy::conns($p);                          # per connection
#
# and a few looks at the nginx under test: its worker's pid and open file
# descriptors, those that are not its connections to the proxy
# (FaultProxy::other_fds), and FaultProxy::settle for a state that comes
# in its time.  The proxy is stopped with the other children of
# WebAuthnTest at the end.

use strict;
use warnings;

use IO::Socket::INET ();
use JSON::PP ();
use Time::HiRes ();
use WebAuthnTest ();

# starts the proxy in front of 127.0.0.1:UPSTREAM
sub start {
    my (%o) = @_;
    my $script = "$WebAuthnTest::Top/t/lib/faultproxy.py";
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        close $r;
        open STDOUT, '>&', $w or die "dup: $!";
        exec $WebAuthnTest::Python, $script,
             '--upstream', "127.0.0.1:$o{upstream}";
        die "exec $script: $!";
    }
    close $w;
    my $line = <$r>;
    close $r;
    die "faultproxy.py did not start\n"
        unless defined $line && $line =~ /^(\d+) (\d+)$/;
    push @WebAuthnTest::Children, $pid;
    return { port => $1, control => $2, pid => $pid };
}

# one control line; its JSON answer, decoded
sub ctl {
    my ($p, $line) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $p->{control}, Timeout => 30)
        or die "faultproxy control: $!";
    print $s "$line\n";
    my $answer = <$s>;
    close $s;
    die "faultproxy: no answer to \"$line\"\n" unless defined $answer;
    my $d = JSON::PP::decode_json($answer);
    die "faultproxy: \"$line\": $d->{error}\n"
        unless $d->{ok} || $line =~ /^wait/;
    return $d;
}

sub mode {
    my ($p, $spec) = @_;
    return ctl($p, "mode $spec");
}

sub stats {
    return ctl($_[0], 'stats');
}

sub history {
    return ctl($_[0], 'history')->{history};
}

# [ { id, open, commands => [[NAME, KEY, fate], ...] }, ... ]: the
# connections the proxy accepted, and what became of their commands
sub conns {
    return ctl($_[0], 'conns')->{conns};
}

sub reset {
    return ctl($_[0], 'reset');
}

# waits until at most N connections are open, at most SECS seconds
sub wait_open {
    my ($p, $n, $secs) = @_;
    return ctl($p, "wait $n $secs");
}


# -- the nginx under test ---------------------------------------------------

# the master's pid: its pid file is written after nginx, daemonized, has
# already returned to the harness, so it is waited for
sub master_pid {
    my $file = "$ENV{TEST_NGINX_SERVER_ROOT}/logs/nginx.pid";
    my $deadline = Time::HiRes::time() + 10;
    for ( ;; ) {
        if (open my $fh, '<', $file) {
            my $pid = <$fh> // '';
            close $fh;
            return $1 if $pid =~ /^(\d+)\s*$/;
        }
        die "$file: no pid\n" if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.02);
    }
}

# the pids of the master's children (the workers), sorted; waits (10 s at
# most) for the first one, which a master just started may not have yet
sub worker_pids {
    my $master = master_pid();
    my $deadline = Time::HiRes::time() + 10;
    for ( ;; ) {
        my @pids;
        opendir my $d, '/proc' or die "/proc: $!";
        for my $pid (grep { /^\d+$/ } readdir $d) {
            open my $fh, '<', "/proc/$pid/stat" or next;
            my $stat = <$fh> // '';
            close $fh;
            # pid (comm) state ppid ...
            push @pids, $pid if $stat =~ /\) \S+ (\d+) / && $1 == $master;
        }
        closedir $d;
        return sort { $a <=> $b } @pids
            if @pids || Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.02);
    }
}

# the open file descriptors of a process
sub fd_count {
    my ($pid) = @_;
    opendir my $d, "/proc/$pid/fd" or die "/proc/$pid/fd: $!";
    my $n = grep { /^\d+$/ } readdir $d;
    closedir $d;
    return $n;
}

# the sockets among them
sub socket_count {
    my ($pid) = @_;
    opendir my $d, "/proc/$pid/fd" or die "/proc/$pid/fd: $!";
    my $n = grep { (readlink("/proc/$pid/fd/$_") // '') =~ /^socket:/ }
            grep { /^\d+$/ } readdir $d;
    closedir $d;
    return $n;
}

# waits (at most SECS, default 3) until CODE returns true; its last value
sub settle {
    my ($code, $secs) = @_;
    my $deadline = Time::HiRes::time() + ($secs // 3);
    my $v;
    until (($v = $code->()) || Time::HiRes::time() > $deadline) {
        Time::HiRes::sleep(0.05);
    }
    return $v;
}

# the file descriptors of worker W that are not its connections to the
# proxy P (all of them the proxy's, one worker): its listening socket,
# logs, channels...  Constant while nothing leaks, whatever the pool holds.
sub other_fds {
    my ($p, $w) = @_;
    my ($open, $fds, $again);
    for (1 .. 20) {
        $open = stats($p)->{open};
        $fds = fd_count($w);
        $again = stats($p)->{open};
        last if $open == $again;
    }
    return $fds - $open;
}

1;
