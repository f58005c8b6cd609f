package Test::Nginx::Socket;

# Copyright (C) ngx_http_webauthn_module authors
#
# A small test harness compatible with the parts of Test::Nginx::Socket
# (openresty/test-nginx) that this project's suite uses.  The Makefile puts
# it on @INC only when the real Test::Nginx::Socket is not installed, so
# the same t/*.t files run under either.  Written for this project; see
# the POD at the end for what is supported.
#
# Spiffy's -Base filter adds "my $self = shift;" to subs declared without
# a prototype, so every sub below has one.

use Test::Base -Base;

use Cwd ();
use Errno qw(EAGAIN EINPROGRESS EINTR EWOULDBLOCK);
use File::Path ();
use File::Spec ();
use File::Temp ();
use IO::Select ();
use IO::Socket::INET ();
use List::Util qw(min shuffle);
use POSIX qw(SIGKILL SIGQUIT SIGTERM WNOHANG);
use Time::HiRes qw(sleep time);

our $VERSION = '0.1';

our @EXPORT = qw(
    add_block_preprocessor add_cleanup_handler add_test_cleanup_handler
    bail_out config_preamble env_to_nginx html_dir is_str log_level
    master_off master_on master_process_enabled no_long_string
    no_root_location no_shuffle plan repeat_each run_tests server_addr
    server_name server_port server_port_for_client server_root timeout
    worker_connections workers
);


# -- settings, as the real harness reads them -------------------------------

our $NginxBinary   = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $LoadModules   = $ENV{TEST_NGINX_LOAD_MODULES};
our $UseValgrind   = $ENV{TEST_NGINX_USE_VALGRIND};
our $NoClean       = $ENV{TEST_NGINX_NO_CLEAN};
our $Verbose       = $ENV{TEST_NGINX_VERBOSE};
our $Timeout       = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $TestNginxSleep = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $LogLevel      = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled = 'on';
our $ServerPort    = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                     || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;
our $ServerAddr    = '127.0.0.1';
our $ServerName    = 'localhost';
our $NoShuffle     = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $RepeatEach    = 1;
our $Workers       = 1;
our $WorkerConnections = 64;
our $NoRootLocation = 0;
our $NoLongString  = 0;
our $ConfigPreamble = '';

our $ServRoot = $ENV{TEST_NGINX_SERVROOT}
                || File::Spec->rel2abs('t/servroot');
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir     = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $HtmlDir    = "$ServRoot/html";
our $ConfDir    = "$ServRoot/conf";
our $ConfFile   = "$ConfDir/nginx.conf";
our $PidFile    = "$LogDir/nginx.pid";

our (@EnvToNginx, @BlockPreprocessors, @CleanupHandlers,
     @TestCleanupHandlers);
our ($NginxVersion, $PrevConfig, $ChildPid, $ErrLogFilePos, $ValgrindDir);
our $MainPid = $$;
our $RandPorts = {};

if ($UseValgrind) {
    # valgrind needs nginx in the foreground, as our child; a master process
    # where the test asks for one (as the real harness does): valgrind
    # follows fork(), so every worker runs under it too
    $DaemonEnabled = 'off';
}


# -- configuration functions ------------------------------------------------

sub repeat_each (@) {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}

sub workers (@) {
    $Workers = shift if @_;
    return $Workers;
}

sub worker_connections (@) {
    $WorkerConnections = shift if @_;
    return $WorkerConnections;
}

sub log_level (@) {
    $LogLevel = shift if @_;
    return $LogLevel;
}

sub master_on () {
    $MasterProcessEnabled = 'on';
}

sub master_off () {
    $MasterProcessEnabled = 'off';
}

sub master_process_enabled (@) {
    if (@_) {
        my $on = shift;
        $MasterProcessEnabled = $on ? 'on' : 'off';
    }
    return $MasterProcessEnabled;
}

sub no_shuffle () {
    $NoShuffle = 1;
}

sub no_root_location () {
    $NoRootLocation = 1;
}

sub no_long_string () {
    $NoLongString = 1;
}

sub timeout (@) {
    $Timeout = shift if @_;
    return $Timeout;
}

sub server_port (@) {
    $ServerPort = shift if @_;
    return $ServerPort;
}

sub server_port_for_client (@) {
    $ServerPortForClient = shift if @_;
    return $ServerPortForClient;
}

sub server_addr (@) {
    $ServerAddr = shift if @_;
    return $ServerAddr;
}

sub server_name (@) {
    $ServerName = shift if @_;
    return $ServerName;
}

sub server_root () {
    return $ServRoot;
}

sub html_dir () {
    return $HtmlDir;
}

sub config_preamble ($) {
    $ConfigPreamble = shift;
}

sub env_to_nginx (@) {
    for my $v (@_) {
        Carp::croak("env_to_nginx: bad argument value: $v")
            if $v !~ /^[A-Za-z_]/ || $v =~ /\n/;
        push @EnvToNginx, $v;
    }
}

sub add_block_preprocessor (&) {
    unshift @BlockPreprocessors, shift;
}

sub add_cleanup_handler ($) {
    unshift @CleanupHandlers, shift;
}

sub add_test_cleanup_handler ($) {
    unshift @TestCleanupHandlers, shift;
}

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $desc);
    }
    return Test::More::is($got, $expected, $desc);
}


# -- helpers ----------------------------------------------------------------

sub parse_time ($) {
    my $tm = shift;
    return undef unless defined $tm;
    $tm =~ s/^\s+|\s+$//g;
    if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
        return $tm / 1000;
    }
    $tm =~ s/([^_a-zA-Z])s$/$1/;
    return $tm;
}

sub expand_env_in_text ($$) {
    my ($text, $name) = @_;
    return undef unless defined $text;

    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        my $val;
        if ($var =~ /^TEST_NGINX_RAND_PORT_\d+$/) {
            $val = $RandPorts->{$var} //= rand_port();
        } else {
            bail_out("$name - No environment $var defined.\n")
                unless defined $ENV{$var};
            $val = $ENV{$var};
        }
        $val;
    }ge;

    return $text;
}

sub rand_port () {
    for (1 .. 1000) {
        my $port = 1988 + int rand 60000;
        next if $port == $ServerPort;
        my $s = IO::Socket::INET->new(LocalAddr => $ServerAddr,
                                      LocalPort => $port, Listen => 1,
                                      ReuseAddr => 1);
        if ($s) {
            close $s;
            return $port;
        }
    }
    bail_out("cannot find a free port");
}

sub get_indexed_value ($$$$) {
    my ($name, $value, $idx, $need_array) = @_;
    if ($need_array) {
        return $value->[$idx] if ref $value && ref $value eq 'ARRAY';
        bail_out("$name - You asked for many requests, the expected "
                 . "results should be arrays as well.");
    }
    if (ref $value && ref $value eq 'ARRAY') {
        return $value->[0];
    }
    return $value;
}

sub fmt_str ($) {
    my $s = shift;
    chomp $s;
    $s =~ s/"/\\"/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\n/\\n/g;
    return $s;
}

sub is_running ($) {
    my $pid = shift;
    return 0 unless $pid && kill(0, $pid);

    # a daemon that exited stays a zombie until init reaps it
    if (open my $in, "<", "/proc/$pid/stat") {
        my $stat = <$in> // "";
        close $in;
        return 0 if $stat =~ /\) Z /;
    }
    return 1;
}

sub nginx_version () {
    my $out = `$NginxBinary -V 2>&1`;
    if (defined $out && $out =~ m{nginx/(\d+)\.(\d+)\.(\d+)}) {
        return canon_version($1, $2, $3);
    }
    return undef;
}

sub canon_version (@) {
    return sprintf "%d.%03d%03d", @_;
}


# -- the server root and nginx.conf -----------------------------------------

sub setup_server_root () {
    if (-d $ServRoot) {
        File::Path::remove_tree($ConfDir, $HtmlDir, $LogDir,
                                glob("$ServRoot/*_temp"));
    }
    for my $d ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        next if -d $d;
        mkdir $d or bail_out("Failed to do mkdir $d: $!\n");
    }
    open my $out, '>', "$HtmlDir/index.html"
        or bail_out("Can't open $HtmlDir/index.html for writing: $!\n");
    print $out '<html><head><title>It works!</title></head>'
               . '<body>It works!</body></html>';
    close $out;
}

sub write_config_file ($$) {
    my ($block, $config) = @_;
    my $name = $block->name;

    my $http_config = expand_env_in_text($block->http_config // '', $name);
    my $main_config = $block->main_config // '';
    my $post_main_config = $block->post_main_config // '';

    if ($LoadModules) {
        my @m = map { "load_module $_;" } grep { $_ } split /\s+/,
                $LoadModules;
        $main_config = join ' ', @m, $main_config;
    }

    $main_config = expand_env_in_text($main_config, $name);
    $post_main_config = expand_env_in_text($post_main_config, $name);

    my $server_name = $block->server_name // $ServerName;
    (my $quoted_server_name = $server_name) =~ s/(['\\])/\\$1/g;

    my $temp = '';
    for my $t (qw(client_body proxy fastcgi scgi uwsgi)) {
        next if $http_config =~ /\b${t}_temp_path\b/;
        $temp .= " ${t}_temp_path $ServRoot/${t}_temp;";
    }

    my $env = '';
    for my $v (@EnvToNginx) {
        $env .= "env " . ($v =~ /\s/ ? "'$v'" : $v) . ";\n";
    }

    my $root_location = $NoRootLocation ? '' : <<_EOC_;
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_

    my $user = $> == 0 ? "user root;\n" : '';

    open my $out, '>', $ConfFile
        or bail_out("Can't open $ConfFile for writing: $!\n");
    print $out <<_EOC_;
worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $ErrLogFile $LogLevel;
pid       $PidFile;
env LD_PRELOAD;
env LD_LIBRARY_PATH;
$env
$main_config

http {
    access_log $AccLogFile;$temp

    default_type text/plain;
    keepalive_timeout  68000ms;

$http_config

    server {
        listen          $ServerPort;
        server_name     '$quoted_server_name';
        client_max_body_size 30M;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root_location    }
}

$post_main_config

events {
    accept_mutex off;
    worker_connections  $WorkerConnections;
}

$user
_EOC_
    close $out;
}


# -- starting and stopping nginx --------------------------------------------

sub pid_from_file () {
    open my $in, '<', $PidFile or return undef;
    my $pid = do { local $/; <$in> };
    close $in;
    return undef unless defined $pid;
    $pid =~ s/\s+//g;
    return $pid =~ /^\d+$/ ? $pid : undef;
}

sub wait_for_exit ($$) {
    my ($pid, $secs) = @_;
    my $deadline = time + $secs;
    while (time < $deadline) {
        if (defined $ChildPid && $pid == $ChildPid) {
            my $r = waitpid($pid, WNOHANG);
            return 1 if $r == $pid || $r == -1;
        } else {
            return 1 unless is_running($pid);
        }
        sleep 0.02;
    }
    return 0;
}

# TERM (fast; TEST_NGINX_FAST_SHUTDOWN=0 for QUIT), nginx exits normally
# and valgrind writes its leak report; then TERM again,
# then KILL
sub stop_nginx ($) {
    my $name = shift;

    my $pid = pid_from_file() // $ChildPid;
    if (defined $pid && is_running($pid)) {
        my $grace = $UseValgrind ? 60 : ($Timeout > 10 ? $Timeout : 10);
        kill($ENV{TEST_NGINX_FAST_SHUTDOWN} // 1 ? SIGTERM : SIGQUIT, $pid);
        if (!wait_for_exit($pid, $grace)) {
            warn "$name - timeout when waiting for the process $pid to exit\n";
            kill SIGTERM, $pid;
            if (!wait_for_exit($pid, 2)) {
                kill SIGKILL, $pid;
                wait_for_exit($pid, 2);
            }
        }
    }

    if (defined $ChildPid) {
        waitpid($ChildPid, 0) if is_running($ChildPid);
        undef $ChildPid;
    }
    unlink $PidFile if -f $PidFile;
}

sub start_nginx ($) {
    my $block = shift;
    my $name = $block->name;

    my @args = ('-p', "$ServRoot/", '-c', 'conf/nginx.conf');
    unshift @args, '-e', $ErrLogFile
        if defined $NginxVersion && $NginxVersion >= canon_version(1, 19, 5);

    if ($UseValgrind) {
        start_nginx_valgrind($name, @args);
        return;
    }

    my $cmd = join ' ', map { quotemeta } $NginxBinary, @args;
    my $waited = 0;
    for (my $i = 1; ; $i++) {
        system("$cmd > /dev/null");
        last if $? == 0;

        my $log = '';
        if (open my $in, '<', $ErrLogFile) {
            $log = join '', grep { /\[(?:emerg|alert|crit)\]/ } <$in>;
            close $in;
        }
        if ($log =~ /Address already in use/ && $waited < 30) {
            my $d = min(0.1 * $i, 1);
            sleep $d;
            $waited += $d;
            next;
        }
        bail_out("$name - Cannot start nginx using command \"$cmd\" "
                 . "(status code $?).\n$log");
    }
    sleep $TestNginxSleep;
}


# -- valgrind ---------------------------------------------------------------

# nginx runs under memcheck, one log a process (vg.<pid>.log: the master's,
# each worker's, forked and so followed by valgrind, and with
# --trace-children anything nginx would exec).  Suppressions: valgrind.suppress
# in the current directory (as the real harness), t/valgrind.supp, and
# TEST_NGINX_VALGRIND_SUPP (a list of files); a non-numeric
# TEST_NGINX_USE_VALGRIND adds its words as options.
sub valgrind_command () {
    my @vg = ('valgrind', '-q', '-s', '--tool=memcheck', '--leak-check=full',
              '--show-possibly-lost=no', '--keep-debuginfo=yes',
              '--num-callers=50', '--gen-suppressions=all',
              '--trace-children=yes',
              "--log-file=$ValgrindDir/vg.%p.log");
    my @supp = ('valgrind.suppress', 't/valgrind.supp',
                split ' ', $ENV{TEST_NGINX_VALGRIND_SUPP} // '');
    my %seen;
    push @vg, map { "--suppressions=$_" }
              grep { !$seen{$_}++ }
              map { Cwd::abs_path($_) } grep { -f $_ } @supp;
    push @vg, split ' ', $UseValgrind if $UseValgrind !~ /^\d+$/;
    return @vg;
}

# nginx under valgrind in the foreground, our child; returns once it has
# written its pid file (it listens then) or is gone, so that a block's
# --- init finds it up
sub start_nginx_valgrind ($@) {
    my ($name, @args) = @_;

    $ValgrindDir //= File::Temp::tempdir('tn-valgrind-XXXXXX', TMPDIR => 1,
                                         CLEANUP => 1);
    my @cmd = (valgrind_command(), $NginxBinary, @args);

    my $pid = fork();
    bail_out("$name - fork() failed: $!") unless defined $pid;
    if ($pid == 0) {
        setpgrp(0, 0);
        open STDOUT, '>', '/dev/null';
        { exec @cmd; }
        POSIX::_exit(127);
    }
    $ChildPid = $pid;
    warn "$name\n";

    my $deadline = time + 120;
    while (time < $deadline) {
        my $p = pid_from_file();
        last if defined $p && $p == $pid;
        if (waitpid($pid, WNOHANG) == $pid) {
            warn "$name - nginx under valgrind exited at start "
                 . "(status $?)\n";
            undef $ChildPid;
            last;
        }
        sleep 0.05;
    }
    sleep $TestNginxSleep;
}

# a memcheck record is the module's when a frame of its stack is in the
# module: a function ngx_http_webauthn_* or wa_* (the glue and the core),
# a source file of theirs, or the module's .so (frames without symbols)
sub valgrind_record_is_module ($) {
    my $rec = shift;
    my @so = map { quotemeta } grep { $_ } split /\s+/, $LoadModules // '';
    push @so, '\S*/ngx_http_webauthn_module\.so';
    my $so = join '|', @so;
    for my $line (split /\n/, $rec) {
        next unless $line =~ /^\s*(?:at|by)\s+0x[0-9A-Fa-f]+:\s+(\S+)
                              \s+\((.*)\)\s*$/x;
        my ($fn, $where) = ($1, $2);
        return 1 if $fn =~ /^(?:ngx_http_webauthn_|wa_)/;
        return 1 if $where =~ /^(?:ngx_http_webauthn_\w*|wa_\w*)\.[ch]:\d/;
        return 1 if $where =~ /^in (?:$so)$/;
    }
    return 0;
}

# the records of one process's log, each error context once (-s lists
# them again after the first ERROR SUMMARY): (records, { suppression =>
# count })
sub parse_valgrind_log ($) {
    my $file = shift;
    my (@records, %supp);
    open my $in, '<', $file or return ([], {});
    my ($cur, $listed) = ('', 0);
    while (my $line = <$in>) {
        if ($line =~ /^--\d+--\s+used_suppression:\s+(\d+)\s+(\S+)/) {
            $supp{$2} += $1;
        } elsif ($listed) {
            next;
        } elsif ($line =~ /^==\d+==\s+ERROR SUMMARY:/) {
            $listed = 1;
        } elsif ($line =~ s/^==\d+==\s?//) {
            if ($line =~ /^\s*$/) {
                push @records, $cur if $cur =~ /\S/;
                $cur = '';
            } else {
                $cur .= $line;
            }
        }
    }
    push @records, $cur if $cur =~ /\S/;
    close $in;
    return (\@records, \%supp);
}

# TEST_NGINX_VALGRIND_REPORT: a directory where every record and the
# suppressions used are appended, one JSON line each, for
# t/harness/valgrind-suite to count over the whole suite
sub valgrind_report (%) {
    my %r = @_;
    my $dir = $ENV{TEST_NGINX_VALGRIND_REPORT} or return;
    require JSON::PP;
    (my $base = $0) =~ s{.*/}{};
    open my $out, '>>', "$dir/$base.$$.jsonl" or return;
    print $out JSON::PP->new->canonical->encode({ file => $0, %r }), "\n";
    close $out;
}

# every memcheck error or definite leak in the module fails a test named
# after the block; the others are printed as diagnostics
sub check_valgrind ($) {
    my $name = shift;
    return unless $ValgrindDir;

    for my $file (sort glob "$ValgrindDir/vg.*.log") {
        my ($records, $supp) = parse_valgrind_log($file);
        unlink $file;
        my ($mine, $other) = (0, 0);

        for my $rec (@$records) {
            my ($head) = split /\n/, $rec;
            next unless defined $head;
            next if $head =~ /^(?:Warning: |HEAP SUMMARY|LEAK SUMMARY|
                                  ERROR SUMMARY|For lists of|
                                  All heap blocks)/x;
            my $leak = $head =~ /are (?:definitely|indirectly|possibly) lost/;
            next if $leak && $head !~ /definitely lost/;

            if (valgrind_record_is_module($rec)) {
                $mine++;
                Test::More::fail("$name - valgrind: $head");
                Test::More::diag($rec);
                valgrind_report(block => $name, module => 1, head => $head,
                                record => $rec);
            } else {
                $other++;
                Test::More::diag("$name - valgrind (not in the module): "
                                 . "$rec");
                valgrind_report(block => $name, module => 0, head => $head,
                                record => $rec);
            }
        }
        valgrind_report(block => $name, process => 1, module_errors => $mine,
                        other_errors => $other, suppressed => $supp);
    }
}


# -- requests ---------------------------------------------------------------

sub parse_more_headers ($) {
    my $in = shift;
    my ($out, $chunked) = ('', 0);
    for my $h (split /\n+/, $in) {
        next if $h =~ /^\s*#/;
        my ($k, $v) = split /:\s*/, $h, 2;
        $v //= '';
        $chunked = 1 if lc $k eq 'transfer-encoding' && $v eq 'chunked';
        $out .= "$k: $v\r\n";
    }
    return ($out, $chunked);
}

sub build_request ($$$$) {
    my ($name, $req, $more, $conn) = @_;

    my ($hdr, $chunked) = parse_more_headers($more // '');

    my ($first, $content) = split /\n/, $req, 2;
    bail_out("$name - Request line should be non-empty")
        unless defined $first && $first =~ /\S/;
    my ($meth, $url, $ver) = split ' ', $first;
    $url //= '/';
    $ver //= 'HTTP/1.1';
    $content //= '';

    my $len = '';
    if (!$chunked && $content ne ''
        && $hdr !~ /(?:^|\n)Content-Length:/)
    {
        $content =~ s/^\s+|\s+$//gs;
        $len = "Content-Length: " . length($content) . "\r\n";
    }

    my $h = '';
    $h .= "Host: $ServerName\r\n" if $hdr !~ /(?:^|\n)Host:/msi;
    $h .= "Connection: $conn\r\n" if $hdr !~ /(?:^|\n)Connection/msi;

    return "$meth $url $ver\r\n$h$hdr$len\r\n$content";
}

# returns a list of requests, each a list of packets
sub requests_of_block ($) {
    my $block = shift;
    my $name = $block->name;

    if (defined $block->raw_request) {
        my $raw = $block->raw_request;
        return [ref $raw eq 'ARRAY' ? @$raw : ($raw)];
    }

    my $more = $block->more_headers // '';

    if (my $reqs = $block->pipelined_requests) {
        bail_out("$name - invalid entries in --- pipelined_requests")
            unless ref $reqs eq 'ARRAY';
        my $all = '';
        for my $i (0 .. $#$reqs) {
            my $r = expand_env_in_text($reqs->[$i], $name);
            my $h = ref $more eq 'ARRAY' ? $more->[$i] : $more;
            bail_out("--- more_headers lacks data for the $i pipelined "
                     . "request") unless defined $h;
            $all .= build_request($name, $r,  $h,
                                  $i == $#$reqs ? 'close' : 'keep-alive');
        }
        return [$all];
    }

    my $request = $block->request;
    bail_out("$name - request empty") unless defined $request;

    my @list = ref $request eq 'ARRAY' ? @$request : ($request);
    my @out;
    for my $i (0 .. $#list) {
        my $r = $list[$i];
        my @packets = ref $r eq 'ARRAY'
                      ? map { ref $_ eq 'HASH' ? $_->{value} : $_ } @$r
                      : ($r);
        my $joined = join '', @packets;
        1 while $joined =~ s/^\s*\#[^\n]+\s+|^\s+//s;
        my $h = ref $more eq 'ARRAY' ? $more->[$i] : $more;
        bail_out("--- more_headers lacks data for the ${i}th request")
            unless defined $h;
        push @out, [build_request($name, $joined, $h, 'close')];
    }
    return @out;
}

sub connect_server ($$) {
    my ($name, $timeout) = @_;

    for (my $tries = 1; ; $tries++) {
        my $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                         PeerPort => $ServerPortForClient,
                                         Proto => 'tcp',
                                         Timeout => $timeout);
        return $sock if $sock;
        my $err = $!;

        if (defined $ChildPid && waitpid($ChildPid, WNOHANG) == $ChildPid) {
            undef $ChildPid;
            Test::More::fail("$name - Can't connect to $ServerAddr:"
                             . "$ServerPortForClient: $err (nginx is gone)");
            return undef;
        }
        if ($tries > 50) {
            Test::More::fail("$name - Can't connect to $ServerAddr:"
                             . "$ServerPortForClient: $err (aborted)");
            return undef;
        }
        my $wait = min(($TestNginxSleep + $TestNginxSleep * $tries)
                       * $tries / 2, 1);
        warn "$name - Can't connect to $ServerAddr:$ServerPortForClient: "
             . "$err\n\tRetry connecting after $wait sec\n" if $wait >= 0.6;
        sleep $wait;
    }
}

sub send_request ($$$) {
    my ($block, $packets, $timeout) = @_;
    my $name = $block->name;

    my $sock = connect_server($name, $timeout) or return undef;
    $sock->blocking(0);
    local $SIG{PIPE} = 'IGNORE';

    my $delay = parse_time($block->raw_request_middle_delay);
    my @todo = @$packets;
    my $buf = shift @todo;
    my $resp = '';
    my $writing = 1;

    my $sel = IO::Select->new($sock);
    for ( ;; ) {
        my ($r, $w) = IO::Select->select($sel, $writing ? $sel : undef,
                                         undef, $timeout);
        if (!$r && !$w) {
            if ($! == EINTR) {
                next;
            }
            close $sock;
            Test::More::fail("ERROR: client socket timed out - $name\n")
                unless defined $block->abort;
            last;
        }

        if ($w && @$w) {
            my $n = syswrite($sock, $buf);
            if (!defined $n) {
                if ($! != EAGAIN && $! != EWOULDBLOCK) {
                    $resp = "write failed: $!" if $resp eq '';
                    $writing = 0;
                }
            } else {
                substr($buf, 0, $n) = '';
                if ($buf eq '') {
                    if (@todo) {
                        sleep $delay if $delay;
                        $buf = shift @todo;
                    } else {
                        $writing = 0;
                        shutdown($sock, 1) if defined $block->shutdown;
                    }
                }
            }
        }

        if ($r && @$r) {
            my $n = sysread($sock, my $chunk, 16384);
            if (!defined $n) {
                next if $! == EAGAIN || $! == EWOULDBLOCK;
                warn "WARNING: $name - HTTP response read failure: $!\n";
                last;
            }
            last if $n == 0;
            $resp .= $chunk;
        }
    }
    close $sock;
    return $resp;
}

# returns (response hash or undef, raw headers, leftover bytes)
sub parse_response ($$$) {
    my ($name, $raw, $head) = @_;

    my ($hdrs, $body) = split /\r\n\r\n/, $raw, 2;
    $hdrs //= '';
    $body //= '';
    return (undef, '', undef) if $hdrs !~ m{^HTTP/\d\.\d\s+(\d+)};

    my $res = { code => $1, headers => {}, content => '' };
    my @lines = split /\r\n/, $hdrs;
    shift @lines;
    for my $l (@lines) {
        my ($k, $v) = split /:\s*/, $l, 2;
        next unless defined $v;
        $v =~ s/\s+$//;
        push @{ $res->{headers}{lc $k} }, $v;
    }

    my $left;
    my ($te) = @{ $res->{headers}{'transfer-encoding'} || [] };
    my ($len) = @{ $res->{headers}{'content-length'} || [] };

    if ($head || $res->{code} == 304 || $res->{code} == 204) {
        $left = $body if $body ne '';

    } elsif (defined $te && $te eq 'chunked') {
        my $decoded = '';
        for ( ;; ) {
            if ($body !~ s/^([0-9A-Fa-f]+)[ \t]*(?:;[^\r]*)?\r\n//) {
                Test::More::fail("$name - invalid chunked body received");
                last;
            }
            my $n = hex $1;
            if ($n == 0) {
                $body =~ s/^(?:[^\r\n]+\r\n)*\r\n//;
                last;
            }
            if (length $body < $n + 2) {
                Test::More::fail("$name - invalid chunked data received "
                                 . "(not enough octets)");
                last;
            }
            $decoded .= substr($body, 0, $n);
            substr($body, 0, $n + 2) = '';
        }
        $res->{content} = $decoded;
        $left = $body if $body ne '';

    } elsif (defined $len && $len =~ /^\d+$/) {
        if (length $body < $len) {
            warn "WARNING: $name - response body truncated: $len expected, "
                 . "but got " . length($body) . "\n";
            $res->{content} = $body;
        } else {
            $res->{content} = substr($body, 0, $len);
            $left = substr($body, $len) if length $body > $len;
        }

    } else {
        $res->{content} = $body;
    }

    return ($res, "$hdrs\r\n", $left);
}

sub res_header ($$) {
    my ($res, $key) = @_;
    return undef unless $res;
    my $v = $res->{headers}{lc $key};
    return $v ? join(', ', @$v) : undef;
}


# -- checks -----------------------------------------------------------------

sub check_error_code ($$$$) {
    my ($block, $res, $idx, $need_array) = @_;
    my $name = $block->name;
    my $code = ($res && $res->{code}) || '';

    if (defined $block->error_code_like) {
        my $v = get_indexed_value($name, $block->error_code_like, $idx,
                                  $need_array);
        Test::More::like($code, qr/$v/sm, "$name - status code ok");
    } elsif (defined $block->error_code) {
        my $v = get_indexed_value($name, $block->error_code, $idx,
                                  $need_array);
        $v =~ s/^\s+|\s+$//g unless ref $v;
        Test::More::is($code, $v, "$name - status code ok");
    } else {
        Test::More::is($code, 200, "$name - status code ok");
    }
}

sub parse_headers_spec ($) {
    my $s = shift;
    my @out;
    for my $l (split /\n/, $s // '') {
        $l =~ s/^\s+|\s+$//g;
        next if $l eq '';
        if ($l =~ s/^!\s*//) {
            push @out, [$l, undef];
        } else {
            my ($k, $v) = split /\s*:\s*/, $l, 2;
            push @out, [$k, $v];
        }
    }
    return @out;
}

sub check_response_headers ($$$$$) {
    my ($block, $res, $raw, $idx, $need_array) = @_;
    my $name = $block->name;

    if (defined $block->response_headers) {
        my $spec = get_indexed_value($name, $block->response_headers, $idx,
                                     $need_array);
        for my $kv (parse_headers_spec($spec)) {
            my ($k, $v) = @$kv;
            if (!defined $v) {
                Test::More::unlike($raw, qr/^\s*\Q$k\E\s*:/ms,
                    "$name - header $k not present in the raw headers");
                next;
            }
            $v =~ s/\$ServerPort\b/$ServerPort/g;
            $v =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            Test::More::is(res_header($res, $k) // '', $v,
                           "$name - header $k ok");
        }

    } elsif (defined $block->response_headers_like) {
        my $spec = get_indexed_value($name, $block->response_headers_like,
                                     $idx, $need_array);
        for my $kv (parse_headers_spec($spec)) {
            my ($k, $v) = @$kv;
            Test::More::like(res_header($res, $k) // '', qr/^$v$/,
                             "$name - header $k like ok");
        }
    }
}

sub check_response_body ($$$$$) {
    my ($block, $res, $idx, $rep, $need_array) = @_;
    my $name = $block->name;
    my $content = $res ? $res->{content} : undef;

    if (defined $block->response_body) {
        my $expected = get_indexed_value($name, $block->response_body, $idx,
                                         $need_array);
        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            $expected = expand_env_in_text($expected, $name);
        }
        my $desc = "$name - response_body - response is expected "
                   . "(repeated req $rep, req $idx)";
        if (ref $expected) {
            Test::More::like($content, $expected, $desc);
        } else {
            Test::More::is($content, $expected, $desc);
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my $like = defined $block->response_body_like;
        my $pat = get_indexed_value($name,
                                    $like ? $block->response_body_like
                                          : $block->response_body_unlike,
                                    $idx, $need_array);
        $pat =~ s/\$ServerPort\b/$ServerPort/g unless ref $pat;
        my $summary = $content // '';
        $summary =~ s/^\s+|\s+$//g;
        $summary =~ s/\s+/ /g;
        my $type = $like ? 'like' : 'unlike';
        my $desc = "$name - response_body_$type - response is expected "
                   . "($summary)";
        if ($like) {
            Test::More::like($content, qr/$pat/s, $desc);
        } else {
            Test::More::unlike($content, qr/$pat/s, $desc);
        }
    }
}

sub error_log_data () {
    sleep $TestNginxSleep * 3;
    open my $in, '<', $ErrLogFile or return [];
    seek $in, $ErrLogFilePos, 0 if $ErrLogFilePos;
    my @lines = <$in>;
    $ErrLogFilePos = tell $in;
    close $in;
    return \@lines;
}

sub pattern_list ($) {
    my $pats = shift;
    if (!ref $pats) {
        chomp $pats;
        return grep { $_ ne '' } split /\n+/, $pats;
    }
    return ($pats) if ref $pats eq 'Regexp';
    return @$pats;
}

sub value_contains ($$) {
    my ($val, $s) = @_;
    return 0 unless defined $val;
    return grep { defined $_ && !ref $_ && index($_, $s) >= 0 }
           (ref $val eq 'ARRAY' ? @$val : ($val));
}

sub line_matches ($$) {
    my ($line, $pat) = @_;
    return ref $pat ? $line =~ $pat : index($line, $pat) >= 0;
}

sub check_error_log ($$) {
    my ($block, $rep) = @_;
    my $name = $block->name;
    my $lines;
    my %quiet;

    if (defined(my $pats = $block->error_log)) {
        $lines ||= error_log_data();
        for my $lvl (qw(alert crit emerg)) {
            $quiet{$lvl} = 1 if value_contains($pats, "[$lvl");
        }
        for my $pat (pattern_list($pats)) {
            next unless defined $pat;
            if (grep { line_matches($_, $pat) } @$lines) {
                Test::More::pass("$name - pattern \"$pat\" matches a line "
                                 . "in error.log (req $rep)");
            } else {
                Test::More::fail("$name - pattern \"$pat\" should match a "
                                 . "line in error.log (req $rep)");
            }
        }
    }

    if (defined(my $pats = $block->no_error_log)) {
        $lines ||= error_log_data();
        for my $lvl (qw(alert crit emerg)) {
            $quiet{$lvl} = 1 if value_contains($pats, "[$lvl");
        }
        for my $pat (pattern_list($pats)) {
            next unless defined $pat;
            my $p = fmt_str($pat);
            my ($hit) = grep { line_matches($_, $pat) } @$lines;
            if (defined $hit) {
                Test::More::fail("$name - pattern \"$p\" should not match "
                                 . "any line in error.log but matches line "
                                 . "\"" . fmt_str($hit) . "\" (req $rep)");
            } else {
                Test::More::pass("$name - pattern \"$p\" does not match a "
                                 . "line in error.log (req $rep)");
            }
        }
    }

    if (defined(my $pat = $block->grep_error_log)) {
        $lines ||= error_log_data();
        check_grep_error_log($block, $pat, $lines, $rep);
    }

    $lines ||= error_log_data();
    for my $line (@$lines) {
        for my $lvl (qw(alert crit emerg)) {
            next if $quiet{$lvl} || $line !~ /\[$lvl\]/;
            warn "WARNING: $name - " . fmt_str($line) . "\n";
        }
    }
}

# as the real harness: each line's match of the pattern (a string or qr//),
# one a line, against grep_error_log_out (a string, a qr// or, with eval,
# an array indexed by the repetition)
sub check_grep_error_log ($$$$) {
    my ($block, $pat, $lines, $rep) = @_;
    my $name = $block->name;

    my $expected = $block->grep_error_log_out;
    bail_out("$name - No --- grep_error_log_out defined but "
             . "--- grep_error_log is defined") unless defined $expected;
    if (ref $expected eq 'ARRAY') {
        $expected = $expected->[$rep];
    }
    if (!ref $pat) {
        chomp $pat;
    }

    my $out = '';
    for my $line (@$lines) {
        my $hit = ref $pat ? $line =~ $pat : $line =~ /\Q$pat\E/;
        $out .= "$&\n" if $hit && $& !~ /\n/;
    }

    if (ref $expected eq 'Regexp') {
        Test::More::like($out, $expected, "$name - grep_error_log_out "
                                          . "(req $rep)");
    } else {
        is_str($out, $expected, "$name - grep_error_log_out (req $rep)");
    }
}



# -- running the blocks -----------------------------------------------------

sub run_requests ($$$) {
    my ($block, $rep, $timeout) = @_;
    my $name = $block->name;

    my @reqs = requests_of_block($block);
    my $n = $block->pipelined_requests ? @{ $block->pipelined_requests } : 0;
    my $need_array = $n ? 1 : @reqs > 1;
    my $head = 0;

    for my $i (0 .. $#reqs) {
        my $packets = $reqs[$i];
        $head = 1 if join('', @$packets) =~ /^\s*HEAD\s+/;

        my $raw = send_request($block, $packets, $timeout) // '';
        my $idx = $n ? 0 : $i;

        for ( ;; ) {
            my ($res, $raw_headers, $left);
            if (!defined $block->ignore_response) {
                ($res, $raw_headers, $left) = parse_response($name, $raw,
                                                             $head);
                check_error_code($block, $res, $idx, $need_array);
                check_response_headers($block, $res, $raw_headers, $idx,
                                       $need_array);
                check_response_body($block, $res, $idx, $rep, $need_array);
            }

            my $more = $n ? --$n > 0 : 0;
            if ($more || $i < $#reqs) {
                sleep parse_time($block->wait) if $block->wait;
                check_error_log($block, $rep);
            }
            last unless $more;
            $raw = $left // '';
            $idx++;
        }
    }

    sleep parse_time($block->wait) if $block->wait;
    check_error_log($block, $rep);
}

sub run_block ($) {
    my $block = shift;
    my $name = $block->name;

    my $config = $block->config;
    $config = $PrevConfig unless defined $config;
    bail_out("$name - No '--- config' section specified")
        unless defined $config;
    $PrevConfig = $config;
    $RandPorts = {};
    $config = expand_env_in_text($config, $name);

    my ($should_skip, $tests_to_skip, $reason);
    if (defined(my $spec = $block->skip_nginx)) {
        if ($spec =~ m{^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                       (?:\s*:\s*(.*))?\s*$}x)
        {
            $tests_to_skip = $1;
            my ($op, $ver) = ($2, canon_version($3, $4, $5));
            $reason = $6 || "nginx version $op $3.$4.$5";
            $should_skip = 1
                if (!defined $NginxVersion && $op =~ /^</)
                   || (defined $NginxVersion
                       && eval "$NginxVersion $op $ver");
        } else {
            bail_out("$name - Invalid --- skip_nginx spec: $spec");
        }
    }

    # as the real harness: "--- skip_eval: N: perl code"; a comment at the
    # end of the code is the reason given
    if (!$should_skip && defined(my $spec = $block->skip_eval)) {
        bail_out("$name - Invalid --- skip_eval spec: $spec")
            unless $spec =~ /^\s*(\d+)\s*:\s*(.*?)\s*$/s;
        my ($n, $code) = ($1, $2);
        my $skip = do {
            package Test::Nginx::Util;
            eval $code;
        };
        bail_out("$name - skip_eval - failed to eval the Perl code "
                 . "\"$code\": $@") if $@;
        if ($skip) {
            ($should_skip, $tests_to_skip) = (1, $n);
            $reason = $code =~ /#\s*(.*?)\s*$/ ? $1 : "skip_eval: $code";
        }
    }

    # under valgrind a block that is skipped is not checked: said and counted
    if ($should_skip && $UseValgrind) {
        warn "$name - NOT RUN under valgrind: $reason\n";
        valgrind_report(block => $name, excluded => 1, reason => $reason);
    }

    local $LogLevel = $block->log_level || $LogLevel;

    if (!$should_skip) {
        stop_nginx($name);
        check_valgrind($name);
        setup_server_root();
        write_config_file($block, $config);
        start_nginx($block);
    }

    # like the real harness: once per block, after nginx has started and
    # before the first (repeated) request; its error log lines belong to
    # the block's first check
    if (defined(my $init = $block->init)) {
        package Test::Nginx::Util;
        eval $init;
        Test::Nginx::Socket::bail_out("$name - init failed: $@") if $@;
    }

    my $timeout = parse_time($block->timeout) // $Timeout;

    $ErrLogFilePos = 0;
    for my $rep (0 .. $RepeatEach - 1) {
        if ($should_skip) {
            SKIP: {
                Test::More::skip("$name - $reason", $tests_to_skip);
            }
            next;
        }
        run_requests($block, $rep, $timeout);
    }

    if ($UseValgrind && !$should_skip) {
        stop_nginx($name);
        check_valgrind($name);
    }
}

sub run_tests () {
    srand($$ ^ int(time * 1000));
    $NginxVersion = nginx_version();
    $ENV{TEST_NGINX_SERVER_PORT} //= $ServerPort;

    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;

    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;
        $block->set_value('name', "$0 " . $block->name);
        run_block($block);
        $_->($block) for @TestCleanupHandlers;
    }

    cleanup();
}

sub cleanup () {
    $_->() for @CleanupHandlers;
    @CleanupHandlers = ();
}

END {
    if ($$ == $MainPid) {
        local $?;
        cleanup();
        if ($UseValgrind || !$NoClean) {
            stop_nginx('END');
            check_valgrind('END');
        }
    }
}

1;

__END__

=head1 NAME

Test::Nginx::Socket - this project's small Test::Nginx::Socket-compatible
harness

=head1 SYNOPSIS

    use Test::Nginx::Socket 'no_plan';

    repeat_each(1);
    no_shuffle();
    run_tests();

    __DATA__

    === TEST 1: hello
    --- config
        location = /t { return 200 "hello\n"; }
    --- request
    GET /t
    --- response_body
    hello
    --- no_error_log
    [alert]
    [crit]

=head1 DESCRIPTION

Used only when the real Test::Nginx (openresty/test-nginx) is not
installed.  nginx is started per block from C<t/servroot>
(C<TEST_NGINX_SERVROOT>) with C<-p t/servroot/ -c conf/nginx.conf>; the
block's requests are sent over a plain socket; status, headers, body and
the error log written since the block started (or since the previous
check) are checked, one Test::More assertion per check as in the real
harness.

Functions: repeat_each, workers, worker_connections, master_on,
master_off, master_process_enabled, log_level, no_shuffle,
no_root_location, no_long_string, timeout, env_to_nginx, server_port,
server_name, server_addr, server_root, html_dir, config_preamble,
add_block_preprocessor, add_cleanup_handler, add_test_cleanup_handler,
bail_out, is_str, run_tests; Test::Base gives blocks, plan and the
C<ONLY>, C<SKIP> and C<LAST> sections.

Sections: main_config, post_main_config, http_config, config, init,
skip_eval (C<N: perl code>, a C<# comment> at its end the reason),
request (string or C<eval> array), more_headers (string or array, one per
request), pipelined_requests, raw_request, error_code, error_code_like,
response_body, response_body_like, response_body_unlike,
response_headers, response_headers_like, error_log, no_error_log
(strings, C<qr//> or arrays), grep_error_log (a string or C<qr//>) with
grep_error_log_out (a string, C<qr//>, or an array by repetition),
timeout, wait, skip_nginx, log_level,
ignore_response, abort, shutdown, server_name.

C<--- init> is Perl evaluated once per block, after nginx has started and
before the first request (in package Test::Nginx::Util, as the real
harness does: call your helpers by their full names).

Environment: TEST_NGINX_BINARY, TEST_NGINX_LOAD_MODULES (whitespace
separated paths, each becoming a C<load_module> line), TEST_NGINX_PORT or
TEST_NGINX_SERVER_PORT, TEST_NGINX_CLIENT_PORT, TEST_NGINX_SERVROOT,
TEST_NGINX_TIMEOUT, TEST_NGINX_SLEEP, TEST_NGINX_LOG_LEVEL,
TEST_NGINX_MASTER_PROCESS, TEST_NGINX_NO_SHUFFLE, TEST_NGINX_NO_CLEAN (leave
the last nginx running), and every C<$TEST_NGINX_*> variable is
substituted in the config sections.

TEST_NGINX_USE_VALGRIND: nginx runs in the foreground under C<valgrind
--tool=memcheck --leak-check=full --trace-children=yes>, one log a process
(its master process where the test asks for one, as the real harness
does: valgrind follows fork(), so every worker is checked too), with the
suppressions of C<valgrind.suppress> (as the real harness),
C<t/valgrind.supp> and TEST_NGINX_VALGRIND_SUPP (a list of files); a
non-numeric value adds its words as options.  nginx is stopped after every
block, and every memcheck error or definite leak with a frame in the
module (a function C<ngx_http_webauthn_*> or C<wa_*>, their source files,
or a C<.so> of TEST_NGINX_LOAD_MODULES) fails a test named after the
block; other reports are printed as diagnostics.  Unlike the real
harness, which only prints valgrind's output, this makes the test file
fail.  With TEST_NGINX_VALGRIND_REPORT (a directory) every report, the
suppressions used and the blocks not run are written there too, for
C<t/harness/valgrind-suite> to count over the whole suite.

=cut
