package WebAuthnTest;

# Copyright (C) ngx_http_webauthn_module authors
#
# Helpers for the t/*.t suite (not the harness: that is Test::Nginx::Socket,
# the real one or t/harness/).  Loading this module, once per test file:
#
#   - starts a private redis-server on a loopback port (TEST_NGINX_REDIS_PORT
#     if set, else a free one) with no persistence, and sets its store
#     epochs (webauthn:epoch:{<id>}, one per credential) a day back, so
#     that a test's challenge is refused for its own reason (expired, too
#     old), not for the epoch;
#   - writes a 32-byte challenge secret file;
#   - enrolls one credential per algorithm with tools/webauthn-softkey
#     (es256, es384, rs256, ps256, eddsa: keys named by their alg);
#   - exports, for $TEST_NGINX_* substitution in the config sections:
#     TEST_NGINX_REDIS_PORT, TEST_NGINX_SECRET_FILE, TEST_NGINX_WORKDIR,
#     TEST_NGINX_CHALLENGE_TIMEOUT;
#   - stops everything it started at END.
#
# The functions are called from "--- more_headers eval", "--- request eval"
# and "--- init" sections.  Test::Base evaluates those in other packages
# (Test::Base::Filter, Test::Nginx::Util), so call them by their full name:
# WebAuthnTest::authz(key => 'es256', uv => 0).
#
# Test::Base runs every "eval" section of a file when run_tests() starts,
# in block order: each authz() takes the next signature counter of its key
# then, so files use no_shuffle() and repeat_each(1), and challenges are
# minted with a lifetime that outlasts a slow (valgrind) run.
#
# Redis: start_redis, stop_redis and start_redis again keep every key (a
# Redis with persistence); restart_redis_empty brings it back with only the
# credential hashes (no persistence: no epoch, no used nonces); set_epoch,
# get_epoch, commandstats, monitor_redis and client_commands look inside.
# Credentials: enroll, cred_key, cred_cmd (HSET a field of a record),
# record.  fake_redis and fake_redis_scripted stand in for a broken Redis.
#
# A challenge is 87 base64url characters: write the placeholder @CHALLENGE@
# in response_headers_like, response_body_like, error_log and no_error_log
# sections (the preprocessor makes it $ChallengeRe), or use
# $WebAuthnTest::ChallengeRe in eval sections.

use strict;
use warnings;

use Cwd ();
use Digest::SHA ();
use File::Basename ();
use File::Temp ();
use IO::Select ();
use IO::Socket::INET ();
use JSON::PP ();
use MIME::Base64 ();
use POSIX ();
use Time::HiRes ();

our $Top = Cwd::abs_path(File::Basename::dirname(__FILE__) . '/../..');
our $Softkey = "$Top/tools/webauthn-softkey";
our $Python = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';

our $MainPid = $$;
our $WorkDir = File::Temp::tempdir('webauthn-test-XXXXXX', TMPDIR => 1,
                                   CLEANUP => 1);
our $RpId = 'localhost';
our $Origin = 'http://localhost';
our $ChallengeTtl = 1800;        # seconds; matches TEST_NGINX_CHALLENGE_TIMEOUT
our $Secret;
our $SecretFile = "$WorkDir/challenge.key";
our %Redis;                      # name -> { port, pid, password, snapshot }
our %Keys;                       # name -> { file, redis, db, prefix }
our %Epoch;                      # redis name -> the epoch of enroll()
our @Children;                   # pids of fake servers

our @Algs = qw(es256 es384 rs256 ps256 eddsa);

# the sealed challenge (README, "Challenges"): version 2 is 65 bytes
our $ChallengeBytes = 65;        # design.md, "Challenges"
our $ChallengeChars = 87;
our $ChallengeRe = "[A-Za-z0-9_-]{$ChallengeChars}";


# -- set-up at load time ----------------------------------------------------

sub import {
    my $class = shift;
    return if $Secret;

    $Secret = join '', map { chr int rand 256 } 1 .. 32;
    open my $out, '>', $SecretFile or die "$SecretFile: $!";
    binmode $out;
    print $out $Secret;
    close $out;
    chmod 0644, $SecretFile;
    chmod 0755, $WorkDir;

    my $port = start_redis('main', port => $ENV{TEST_NGINX_REDIS_PORT});
    $ENV{TEST_NGINX_REDIS_PORT} = $port;
    $ENV{TEST_NGINX_SECRET_FILE} = $SecretFile;
    $ENV{TEST_NGINX_WORKDIR} = $WorkDir;
    $ENV{TEST_NGINX_CHALLENGE_TIMEOUT} = "${ChallengeTtl}s";
    $ENV{TEST_NGINX_SOFTKEY} = $Softkey;

    set_epoch(now_ms() - 86_400_000);

    for my $alg (@Algs) {
        enroll($alg, alg => $alg, user => "user-$alg",
               roles => "reader $alg");
    }
}

END {
    return unless $$ == $MainPid;
    local $?;
    for my $pid (@Children) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
    }
    for my $name (keys %Redis) {
        stop_redis($name);
    }
}


# -- ports and processes ----------------------------------------------------

sub free_port {
    for (1 .. 200) {
        my $port = 20000 + int rand 40000;
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $port, Listen => 1,
                                      ReuseAddr => 1) or next;
        close $s;
        return $port;
    }
    die "no free port found";
}

sub server_port {
    return $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
}

sub run_cmd {
    my @cmd = @_;
    open my $fh, '-|', @cmd or die "cannot run $cmd[0]: $!";
    my $out = do { local $/; <$fh> };
    close $fh;
    if ($? != 0) {
        my $msg = "command failed ($?): @cmd";
        warn "$msg\n";
        die "$msg\n";
    }
    $out //= '';
    chomp $out;
    return $out;
}


# -- redis ------------------------------------------------------------------

# starts redis-server named NAME; options: port, password
sub start_redis {
    my ($name, %o) = @_;

    my $r = $Redis{$name} ||= {};
    $r->{port} = $o{port} || $r->{port} || free_port();
    $r->{password} = $o{password} if exists $o{password};

    my @cmd = ('redis-server', '--port', $r->{port}, '--bind', '127.0.0.1',
               '--save', '', '--appendonly', 'no', '--daemonize', 'no',
               '--dir', $WorkDir, '--logfile', "$WorkDir/redis-$name.log");
    push @cmd, '--requirepass', $r->{password} if defined $r->{password};

    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        { exec @cmd; }
        POSIX::_exit(127);
    }
    $r->{pid} = $pid;

    for (1 .. 200) {
        my $pong = eval { redis_cmd($name, 'PING') };
        if (defined $pong && $pong eq 'PONG') {
            restore_redis($name);
            return $r->{port};
        }
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            die "redis-server ($name) exited; see $WorkDir/redis-$name.log";
        }
        Time::HiRes::sleep(0.02);
    }
    die "redis-server ($name) did not answer on port $r->{port}";
}

# stops it, keeping a snapshot of its keys to restore on the next start: a
# Redis with persistence (credentials, the store epoch, used nonces)
sub stop_redis {
    my ($name) = @_;
    my $r = $Redis{$name} or return;
    return unless $r->{pid};

    $r->{snapshot} = eval { snapshot_redis($name) } || $r->{snapshot};
    kill 'TERM', $r->{pid};
    waitpid $r->{pid}, 0;
    delete $r->{pid};
}

# restarts it EMPTY, as a Redis without persistence comes back, and
# imports the credential hashes again (no epoch, no used nonces)
sub restart_redis_empty {
    my ($name) = @_;
    my $snap = snapshot_redis($name, hashes_only => 1);
    stop_redis($name);
    $Redis{$name}{snapshot} = $snap;
    return start_redis($name);
}

# { db => { key => [hash => [field, value, ...]] or [string => value, pttl] } }
sub snapshot_redis {
    my ($name, %o) = @_;
    my %snap;
    for my $db (0 .. 15) {
        my $keys = redis_cmd($name, 'KEYS', '*', db => $db);
        next unless ref $keys && @$keys;
        for my $k (@$keys) {
            my $type = redis_cmd($name, 'TYPE', $k, db => $db);
            if ($type eq 'hash') {
                $snap{$db}{$k} = ['hash',
                                  redis_cmd($name, 'HGETALL', $k, db => $db)];
            } elsif ($type eq 'string' && !$o{hashes_only}) {
                $snap{$db}{$k} = ['string',
                                  redis_cmd($name, 'GET', $k, db => $db),
                                  redis_cmd($name, 'PTTL', $k, db => $db)];
            }
        }
    }
    return \%snap;
}

sub restore_redis {
    my ($name) = @_;
    my $snap = delete $Redis{$name}{snapshot} or return;
    for my $db (keys %$snap) {
        for my $k (keys %{ $snap->{$db} }) {
            my ($type, $v, $pttl) = @{ $snap->{$db}{$k} };
            if ($type eq 'hash') {
                redis_cmd($name, 'HSET', $k, @$v, db => $db);
            } elsif (!defined $pttl || $pttl < 0) {
                redis_cmd($name, 'SET', $k, $v, db => $db);
            } elsif ($pttl > 0) {
                redis_cmd($name, 'SET', $k, $v, 'PX', $pttl, db => $db);
            }
        }
    }
}

# set_epoch(MS, [redis => 'main', cred => NAME]): the store epoch of a
# credential (README, "Redis schema": the time since which this Redis kept
# every used nonce of it); without cred, of every credential of that Redis
# and of those enroll() makes there from now on
sub set_epoch {
    my ($ms, %o) = @_;
    my $redis = $o{redis} || 'main';
    my @names = $o{cred} ? ($o{cred})
              : grep { ($Keys{$_}{redis} || 'main') eq $redis } keys %Keys;
    $Epoch{$redis} = $ms unless $o{cred};
    for my $name (@names) {
        my $k = $Keys{$name};
        redis_cmd($redis, 'SET', epoch_key($name), $ms, db => $k->{db} || 0);
    }
    return 'OK';
}

# get_epoch(cred => NAME): the credential's store epoch, or undef
sub get_epoch {
    my (%o) = @_;
    my $k = $Keys{$o{cred}} or die "get_epoch: no key named " . ($o{cred} // '');
    return redis_cmd($k->{redis} || 'main', 'GET', epoch_key($o{cred}),
                     db => $k->{db} || 0);
}

# the Redis key of a credential's store epoch
sub epoch_key {
    my ($name) = @_;
    my $k = $Keys{$name} or die "no key named $name";
    return ($k->{prefix} // 'webauthn:') . 'epoch:{' . cred_id($name) . '}';
}

# { command => calls } from INFO commandstats, e.g. $s->{hmget}
sub commandstats {
    my ($name) = @_;
    my $info = redis_cmd($name || 'main', 'INFO', 'commandstats');
    my %calls;
    while ($info =~ /^cmdstat_([^:]+):calls=(\d+)/mg) {
        $calls{lc $1} = $2;
    }
    return \%calls;
}

sub redis_port {
    my ($name) = @_;
    return $Redis{$name || 'main'}{port};
}

sub _resp_read {
    my ($sock, $buf) = @_;
    my $line = _resp_line($sock, $buf);
    my ($t, $rest) = (substr($line, 0, 1), substr($line, 1));
    return $rest if $t eq '+';
    die "redis: $rest\n" if $t eq '-';
    return $rest + 0 if $t eq ':';
    if ($t eq '$') {
        return undef if $rest < 0;
        while (length $$buf < $rest + 2) {
            sysread($sock, $$buf, 65536, length $$buf) or die "redis: eof\n";
        }
        my $v = substr($$buf, 0, $rest);
        substr($$buf, 0, $rest + 2) = '';
        return $v;
    }
    if ($t eq '*') {
        return undef if $rest < 0;
        return [map { _resp_read($sock, $buf) } 1 .. $rest];
    }
    die "redis: bad reply '$line'\n";
}

sub _resp_line {
    my ($sock, $buf) = @_;
    while ((my $i = index($$buf, "\r\n")) < 0) {
        sysread($sock, $$buf, 65536, length $$buf) or die "redis: eof\n";
    }
    my $i = index($$buf, "\r\n");
    my $line = substr($$buf, 0, $i);
    substr($$buf, 0, $i + 2) = '';
    return $line;
}

# redis_cmd(NAME, COMMAND, ARGS..., [db => N])
sub redis_cmd {
    my ($name, @args) = @_;
    my $db = 0;
    if (@args >= 2 && $args[-2] eq 'db') {
        $db = $args[-1];
        splice @args, -2;
    }
    my $r = $Redis{$name} or die "no redis named $name";
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $r->{port},
                                     Timeout => 2)
        or die "redis $name: connect: $!\n";
    my @cmds;
    push @cmds, ['AUTH', $r->{password}] if defined $r->{password};
    push @cmds, ['SELECT', $db] if $db;
    push @cmds, \@args;

    my $buf = '';
    my $reply;
    for my $c (@cmds) {
        my $req = '*' . @$c . "\r\n";
        $req .= '$' . length($_) . "\r\n$_\r\n" for @$c;
        syswrite($sock, $req) or die "redis: write: $!\n";
        $reply = _resp_read($sock, \$buf);
    }
    close $sock;
    return $reply;
}

# redis(COMMAND, ARGS...): the main instance
sub redis {
    return redis_cmd('main', @_);
}


# monitor_redis(NAME, CODE): runs CODE while a MONITOR connection watches
# the Redis; returns the commands seen, one line each, as MONITOR prints
# them ('... [0 127.0.0.1:port] "HMGET" ...'; '[0 lua]' for a script's)
sub monitor_redis {
    my ($name, $code) = @_;
    my $r = $Redis{$name || 'main'} or die "no redis named $name";
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $r->{port}, Timeout => 2)
        or die "redis $name: connect: $!\n";
    my $buf = '';
    for my $c ((defined $r->{password} ? (['AUTH', $r->{password}]) : ()),
               ['MONITOR'])
    {
        my $req = '*' . @$c . "\r\n";
        $req .= '$' . length($_) . "\r\n$_\r\n" for @$c;
        syswrite($sock, $req) or die "redis: write: $!\n";
        _resp_read($sock, \$buf);
    }
    $code->();
    my $sel = IO::Select->new($sock);
    while ($sel->can_read(0.3)) {
        sysread($sock, $buf, 65536, length $buf) or last;
    }
    close $sock;
    return [grep { /\S/ } map { s/^\+//r } split /\r\n/, $buf];
}

# the commands a client (not a script) sent, of MONITOR lines, by name
sub client_commands {
    my ($lines, $command) = @_;
    return grep { !/\[\d+ lua\]/ && /\] "\Q$command\E"/i } @$lines;
}


# -- credentials ------------------------------------------------------------

# enroll(NAME, alg => 'es256', user =>, roles =>, redis => 'main', db =>,
#        prefix =>, cose_alg =>, revoked => 1, rp_id =>, credential_id =>,
#        user_handle =>): the last two (base64url) re-enroll a credential
#        with a new key under the same id
sub enroll {
    my ($name, %o) = @_;
    my $alg = $o{alg} || $name;
    my $redis = $o{redis} || 'main';
    my $r = $Redis{$redis} or die "no redis named $redis";
    my $file = "$WorkDir/key-$name.json";

    my @cmd = ($Python, $Softkey, 'enroll', '-q', '--key', $file,
               '--alg', $alg, '--user', $o{user} // "user-$name",
               '--roles', $o{roles} // '', '--rp-id', $o{rp_id} || $RpId,
               '--redis', "127.0.0.1:$r->{port}",
               '--prefix', $o{prefix} // 'webauthn:');
    push @cmd, '--db', $o{db} if $o{db};
    push @cmd, '--redis-password', $r->{password} if defined $r->{password};
    push @cmd, '--cose-alg', $o{cose_alg} if defined $o{cose_alg};
    push @cmd, '--revoked' if $o{revoked};
    push @cmd, "--credential-id=$o{credential_id}" if $o{credential_id};
    push @cmd, "--user-handle=$o{user_handle}" if $o{user_handle};
    run_cmd(@cmd);

    $Keys{$name} = { file => $file, %o };
    redis_cmd($redis, 'SET', epoch_key($name), $Epoch{$redis},
              db => $o{db} || 0)
        if defined $Epoch{$redis};
    return key($name);
}

sub key {
    my ($name) = @_;
    my $k = $Keys{$name} or die "no key named $name";
    open my $in, '<', $k->{file} or die "$k->{file}: $!";
    my $data = JSON::PP::decode_json(do { local $/; <$in> });
    close $in;
    return $data;
}

sub cred_id {
    return key(shift)->{credential_id};
}

sub user_handle {
    return key(shift)->{user_handle};
}

# the Redis key of a credential's record
sub cred_key {
    my ($name) = @_;
    my $k = $Keys{$name} or die "no key named $name";
    return ($k->{prefix} // 'webauthn:') . 'cred:{' . cred_id($name) . '}';
}

# cred_cmd(NAME, COMMAND, ARGS...): COMMAND on the credential's record,
# e.g. cred_cmd('es256', 'HSET', 'revoked', 'yes')
sub cred_cmd {
    my ($name, $cmd, @args) = @_;
    my $k = $Keys{$name} or die "no key named $name";
    return redis_cmd($k->{redis} || 'main', $cmd, cred_key($name), @args,
                     db => $k->{db} || 0);
}

# the record as a hash reference
sub record {
    my ($name) = @_;
    my %h = @{ cred_cmd($name, 'HGETALL') || [] };
    return \%h;
}

sub sign_count_stored {
    my ($name) = @_;
    return cred_cmd($name, 'HGET', 'sign_count');
}


# -- challenges and assertions ----------------------------------------------

sub random_bytes {
    return CORE::join q{}, map { chr int rand 256 } 1 .. shift;
}

sub b64url {
    my $s = MIME::Base64::encode_base64(shift, '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

sub b64url_decode {
    my $s = shift;
    $s =~ tr{-_}{+/};
    $s .= '=' x (-length($s) % 4);
    return MIME::Base64::decode_base64($s);
}

sub now_ms {
    return int(Time::HiRes::time() * 1000);
}

sub pack_ms {
    my ($ms) = @_;
    return pack('NN', int($ms / 2**32), $ms % 2**32);
}

sub unpack_ms {
    my ($hi, $lo) = unpack 'NN', shift;
    return $hi * 2**32 + $lo;
}

# README, "Challenges": 0x02 || issued ms (8, big endian) || expires ms (8)
#   || nonce (16) || HMAC-SHA-256(secret, 0x02 || issued || expires || nonce
#   || rp_id).  Options: ttl (seconds, from now), expired (a second ago),
#   issued_ago (seconds) or issued_ms, nonce, rp_id, secret.
sub challenge {
    my (%o) = @_;
    my $now = now_ms();
    my $ttl = 1000 * ($o{ttl} // $ChallengeTtl);
    my $expires = $o{expired} ? $now - 1000 : $now + $ttl;
    my $issued = $o{issued_ms}
                 // ($o{issued_ago} ? $now - int(1000 * $o{issued_ago})
                    : $o{expired} ? $expires - 60_000 : $now);
    my $nonce = $o{nonce} // random_bytes(16);
    my $body = "\x02" . pack_ms($issued) . pack_ms($expires) . $nonce;
    my $mac = Digest::SHA::hmac_sha256($body . ($o{rp_id} // $RpId),
                                       $o{secret} // $Secret);
    return b64url($body . $mac);
}

# the challenge a served JSON body or WWW-Authenticate value carries
sub challenge_of {
    my ($text) = @_;
    return $text =~ /"?challenge"?\s*[:=]\s*"([A-Za-z0-9_-]+)"/ ? $1 : undef;
}

# a challenge from the endpoint URI (default /webauthn/challenge)
sub fetch_challenge {
    my ($uri) = @_;
    my $r = http_request('GET', $uri // '/webauthn/challenge');
    return challenge_of($r->{body} // '')
        // die "no challenge from " . ($uri // '/webauthn/challenge') . "\n";
}

my %flag_opts = (
    bad_signature => '--bad-signature', no_counter => '--no-counter',
    no_user_handle => '--no-user-handle', cross_origin => '--cross-origin',
    extra_client_data => '--extra-client-data',
);
my %value_opts = (
    type => '--type', rp_id_hash_of => '--rp-id-hash-of', flags => '--flags',
    top_origin => '--top-origin', user_handle => '--user-handle',
    counter => '--counter', extensions => '--extensions', rp_id => '--rp-id',
    pss_salt => '--pss-salt',
);

# the JSON text of an assertion; options: key, challenge (or the challenge()
# options ttl, expired, issued_ago, issued_ms, challenge_rp_id), origin,
# uv, up, and the tool's tampering options with underscores
# (bad_signature => 1, flags => '05', pss_salt => 0)
sub assertion_json {
    my (%o) = @_;
    my $name = $o{key} || 'es256';
    my $k = $Keys{$name} or die "no key named $name";

    my $challenge = $o{challenge} // challenge(
        ttl => $o{ttl}, expired => $o{expired}, issued_ago => $o{issued_ago},
        issued_ms => $o{issued_ms}, rp_id => $o{challenge_rp_id},
        secret => $o{secret});

    my @cmd = ($Python, $Softkey, 'assert', '--json', '--key', $k->{file},
               "--challenge=$challenge", '--origin', $o{origin} // $Origin);
    push @cmd, (!exists $o{uv} || $o{uv}) ? '--uv' : '--no-uv';
    push @cmd, (!exists $o{up} || $o{up}) ? '--up' : '--no-up';
    for my $f (sort keys %flag_opts) {
        push @cmd, $flag_opts{$f} if $o{$f};
    }
    for my $f (sort keys %value_opts) {
        # --opt=value: a base64url value may start with "-"
        push @cmd, "$value_opts{$f}=$o{$f}" if defined $o{$f};
    }
    return run_cmd(@cmd);
}

sub assertion {
    return JSON::PP::decode_json(assertion_json(@_));
}

# base64url of a JSON text, or of a structure encoded as JSON
sub encode_token {
    my ($v) = @_;
    $v = JSON::PP->new->canonical->encode($v) if ref $v;
    return b64url($v);
}

sub token {
    return b64url(assertion_json(@_));
}

# "Authorization: WebAuthn <token>"; scheme => 'webauthn' and
# separator => "\t" to vary it
sub authz {
    my (%o) = @_;
    my $scheme = delete $o{scheme} // 'WebAuthn';
    my $sep = delete $o{separator} // ' ';
    return "Authorization: $scheme$sep" . token(%o);
}


# "Authorization: WebAuthn TOKEN"
sub wa {
    return "Authorization: WebAuthn " . shift;
}

# a valid assertion changed by CODE (given the decoded JSON), re-encoded
sub mangle {
    my ($code, %o) = @_;
    my $j = assertion(%o);
    $code->($j);
    return wa(encode_token($j));
}

# the same, with CODE changing the decoded clientDataJSON
sub mangle_cd {
    my ($code, %o) = @_;
    return mangle(sub {
        my $r = $_[0]{response};
        my $cd = JSON::PP::decode_json(b64url_decode($r->{clientDataJSON}));
        $code->($cd);
        $r->{clientDataJSON} = b64url(JSON::PP->new->encode($cd));
    }, %o);
}


# -- a small HTTP client for --- init code ----------------------------------

# connects to the nginx under test; --- init code runs right after nginx
# starts, which under valgrind may be seconds before it listens
# the counts of webauthn_redis_errors_total by reason, from /metrics (the
# block's location must serve it)
sub redis_errors {
    my $r = http_request('GET', '/metrics');
    die "GET /metrics: $r->{status}\n" unless $r->{status} == 200;
    my %e = $r->{body}
            =~ /^webauthn_redis_errors_total\{reason="(\w+)"\} (\d+)$/mg;
    die "no webauthn_redis_errors_total\n" unless %e;
    return \%e;
}

# one counter of /metrics without labels (webauthn_redis_resends_total)
sub metric {
    my ($name) = @_;
    my $r = http_request('GET', '/metrics');
    die "GET /metrics: $r->{status}\n" unless $r->{status} == 200;
    my ($v) = $r->{body} =~ /^\Q$name\E (\d+)$/m;
    die "no $name\n" unless defined $v;
    return $v;
}

# the lines of the nginx under test's error log
sub error_log_lines {
    my $file = "$ENV{TEST_NGINX_SERVER_ROOT}/logs/error.log";
    open my $fh, '<', $file or die "$file: $!";
    my @lines = <$fh>;
    close $fh;
    return @lines;
}

sub connect_nginx {
    my $deadline = Time::HiRes::time() + 60;
    for ( ;; ) {
        my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                         PeerPort => server_port(),
                                         Timeout => 30);
        return $sock if $sock;
        die "connect to nginx: $!" if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.1);
    }
}

# http_request(METHOD, URI, HEADERS (string "K: v\n..."), BODY)
#   -> { status, headers => { lc name => value (the last) },
#        all => { lc name => [values] }, body (dechunked) }
sub http_request {
    my ($method, $uri, $headers, $body) = @_;
    my $sock = connect_nginx();
    my $req = "$method $uri HTTP/1.1\r\nHost: localhost\r\n"
              . "Connection: close\r\n";
    for my $h (split /\n/, $headers // '') {
        $req .= "$h\r\n" if $h =~ /\S/;
    }
    $req .= "Content-Length: " . length($body) . "\r\n" if defined $body;
    $req .= "\r\n" . ($body // '');
    syswrite($sock, $req);

    my $resp = '';
    my $sel = IO::Select->new($sock);
    while ($sel->can_read(60)) {
        my $n = sysread($sock, $resp, 65536, length $resp);
        last unless $n;
    }
    close $sock;

    my ($head, $content) = split /\r\n\r\n/, $resp, 2;
    my %h;
    my ($status) = ($head // '') =~ m{^HTTP/\S+ (\d+)};
    my %all;
    for (split /\r\n/, $head // '') {
        next unless /^([^:]+):\s*(.*)$/;
        $h{lc $1} = $2;
        push @{ $all{lc $1} }, $2;
    }
    $content = dechunk($content // '')
        if ($h{'transfer-encoding'} // '') =~ /chunked/i;
    return { status => $status // 0, headers => \%h, all => \%all,
             body => $content };
}

# a chunked body (RFC 9112, 7.1), joined
sub dechunk {
    my ($body) = @_;
    my $out = '';
    while ($body =~ s/\A([0-9a-fA-F]+)[^\r\n]*\r\n//) {
        my $n = hex $1;
        last if $n == 0;
        $out .= substr($body, 0, $n);
        substr($body, 0, $n + 2) = '';
    }
    return $out;
}

# sends the same request from N processes released at the same moment;
# returns the list of statuses
sub race {
    my (%o) = @_;
    my $n = $o{n} || 8;
    close connect_nginx();
    my ($go_r, $go_w);
    pipe($go_r, $go_w) or die "pipe: $!";

    my @kids;
    for my $i (1 .. $n) {
        pipe(my $res_r, my $res_w) or die "pipe: $!";
        my $pid = fork();
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            close $go_w;
            close $res_r;
            my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                             PeerPort => server_port(),
                                             Timeout => 30);
            my $buf;
            sysread($go_r, $buf, 1);    # returns at EOF: everybody goes
            my $status = 0;
            if ($sock) {
                syswrite($sock, "GET $o{uri} HTTP/1.1\r\nHost: localhost\r\n"
                                . "Connection: close\r\n$o{headers}\r\n\r\n");
                my $resp = '';
                my $sel = IO::Select->new($sock);
                while ($sel->can_read(60)) {
                    my $got = sysread($sock, $resp, 65536, length $resp);
                    last unless $got;
                }
                ($status) = $resp =~ m{^HTTP/\S+ (\d+)};
            }
            syswrite($res_w, ($status // 0) . "\n");
            POSIX::_exit(0);
        }
        close $res_w;
        push @kids, [$pid, $res_r];
    }
    close $go_r;
    Time::HiRes::sleep(0.2);     # let every child connect
    close $go_w;

    my @statuses;
    for my $k (@kids) {
        my $fh = $k->[1];
        my $line = <$fh>;
        close $fh;
        waitpid $k->[0], 0;
        chomp($line //= '0');
        push @statuses, $line;
    }
    return @statuses;
}


# -- fake redis servers -----------------------------------------------------

# fake_redis(MODE): 'silent' accepts and never answers, 'garbage' answers
# every read with bytes that are not RESP; returns its port
sub fake_redis {
    my ($mode) = @_;
    my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                    Listen => 64, ReuseAddr => 1)
        or die "listen: $!";
    my $port = $srv->sockport;

    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        my $sel = IO::Select->new($srv);
        my @keep;
        for ( ;; ) {
            for my $fh ($sel->can_read(1)) {
                if ($fh == $srv) {
                    my $c = $srv->accept or next;
                    $sel->add($c);
                    push @keep, $c;
                    next;
                }
                my $n = sysread($fh, my $buf, 65536);
                if (!$n) {
                    $sel->remove($fh);
                    close $fh;
                    next;
                }
                if ($mode eq 'garbage') {
                    syswrite($fh, "\x00\xffHTTP/1.1 200 OK\r\n?garbage\r\n"
                                  . "*2\r\n\$-7\r\nxx\r\n");
                }
            }
        }
        POSIX::_exit(0);
    }
    close $srv;
    push @Children, $pid;
    return $port;
}


# fake_redis_scripted(records => { KEY => { field => value } },
#                     commit => [RAW, ...], replies => { COMMAND => [RAW] }):
# a Redis that answers HMGET from RECORDS (nil for a field or key it does
# not hold), EVALSHA and EVAL with the COMMIT replies, raw RESP, in turn
# (the last one repeats), REPLIES{COMMAND} likewise, and anything else
# (AUTH, SELECT, SCRIPT, ...) with +OK; returns its port.  RECORDS usually
# holds the real record of a credential: { cred_key(N) => record(N) }.
sub fake_redis_scripted {
    my (%o) = @_;
    my %queue = %{ $o{replies} || {} };
    $queue{EVALSHA} //= $o{commit} if $o{commit};
    $queue{EVAL} //= $o{commit} if $o{commit};
    my %records = %{ $o{records} || {} };

    my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                    Listen => 64, ReuseAddr => 1)
        or die "listen: $!";
    my $port = $srv->sockport;

    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        my %turn;
        my $answer = sub {
            my @cmd = @_;
            my $name = uc($cmd[0] // '');
            if (my $q = $queue{$name}) {
                my $i = $turn{$name}++;
                return $q->[$i < @$q ? $i : $#$q];
            }
            if ($name eq 'HMGET') {
                my $rec = $records{$cmd[1] // ''};
                my $out = '*' . (@cmd - 2) . "\r\n";
                for my $f (@cmd[2 .. $#cmd]) {
                    my $v = $rec ? $rec->{$f} : undef;
                    $out .= defined $v ? '$' . length($v) . "\r\n$v\r\n"
                                       : "\$-1\r\n";
                }
                return $out;
            }
            return "+PONG\r\n" if $name eq 'PING';
            return "+OK\r\n";
        };

        my $sel = IO::Select->new($srv);
        my %buf;
        for ( ;; ) {
            for my $fh ($sel->can_read(1)) {
                if ($fh == $srv) {
                    my $c = $srv->accept or next;
                    $sel->add($c);
                    $buf{$c} = '';
                    next;
                }
                my $n = sysread($fh, $buf{$fh}, 65536, length $buf{$fh});
                if (!$n) {
                    $sel->remove($fh);
                    delete $buf{$fh};
                    close $fh;
                    next;
                }
                while (defined(my $cmd = _resp_command(\$buf{$fh}))) {
                    syswrite($fh, $answer->(@$cmd));
                }
            }
        }
        POSIX::_exit(0);
    }
    close $srv;
    push @Children, $pid;
    return $port;
}

# one complete command (an array of bulk strings) taken off BUF, or undef
sub _resp_command {
    my ($buf) = @_;
    return undef unless $$buf =~ /\A\*(\d+)\r\n/;
    my ($n, $pos) = ($1, length $&);
    my @args;
    for (1 .. $n) {
        return undef unless substr($$buf, $pos) =~ /\A\$(\d+)\r\n/;
        my $len = $1;
        $pos += length $&;
        return undef if length($$buf) < $pos + $len + 2;
        push @args, substr($$buf, $pos, $len);
        $pos += $len + 2;
    }
    substr($$buf, 0, $pos) = '';
    return \@args;
}


# -- block defaults ---------------------------------------------------------

# under valgrind (TEST_NGINX_USE_VALGRIND) a worker busy with a burst of
# requests can read a prompt reply after the default 1 s: Redis timeouts
# scaled by TEST_NGINX_VALGRIND_SCALE (default 10)
our $Scale = $ENV{TEST_NGINX_USE_VALGRIND}
             ? ($ENV{TEST_NGINX_VALGRIND_SCALE} || 10) : 1;
our $RedisTimeouts = $Scale > 1
                     ? " connect_timeout=${Scale}s timeout=${Scale}s" : '';

our $HttpConfig = <<"_EOC_" . <<'_EOC_';
    webauthn_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT$RedisTimeouts;
_EOC_
    webauthn_challenge_secret $TEST_NGINX_SECRET_FILE;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost;
    webauthn_challenge_timeout $TEST_NGINX_CHALLENGE_TIMEOUT;
_EOC_

# /t is protected and proxies to /echo, which shows what the upstream got
our $Config = <<'_EOC_';
    location = /t {
        auth_webauthn "test";
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
        proxy_set_header X-User $webauthn_user;
        proxy_set_header X-Roles $webauthn_roles;
        proxy_set_header X-Cred $webauthn_credential_id;
        proxy_set_header X-Count $webauthn_sign_count;
        proxy_set_header X-UV $webauthn_user_verified;
        proxy_set_header X-Handle $webauthn_user_handle;
        proxy_set_header X-Error $webauthn_error;
    }
    location = /echo {
        return 200 "user=$http_x_user roles=$http_x_roles cred=$http_x_cred count=$http_x_count uv=$http_x_uv handle=$http_x_handle error=$http_x_error authorization=[$http_authorization]\n";
    }
    location = /webauthn/challenge {
        webauthn_challenge;
    }
_EOC_

# the body /echo answers for a passing assertion of KEY at COUNT
sub echo_body {
    my ($name, %o) = @_;
    my $k = key($name);
    my $e = $Keys{$name};
    return sprintf "user=%s roles=%s cred=%s count=%s uv=%s handle=%s "
                   . "error= authorization=[]\n",
                   $e->{user} // "user-$name", $e->{roles} // '',
                   $k->{credential_id}, $o{count} // $k->{sign_count},
                   $o{uv} // 1, $k->{user_handle};
}

# the preprocessor every file installs: default http_config and config,
# then "--- denied"
sub preprocess {
    my ($block) = @_;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    expand_denied($block);
    expand_challenge($block);
}

# @CHALLENGE@ in the sections that match text: the challenge's regex
sub expand_challenge {
    my ($block) = @_;
    for my $sec (qw(response_headers_like response_body_like
                    response_body_unlike error_log no_error_log))
    {
        my $v = $block->$sec;
        next unless defined $v;
        if (!ref $v) {
            $v =~ s/\@CHALLENGE\@/$ChallengeRe/g or next;
        } elsif (ref $v eq 'ARRAY') {
            $v = [map { my $x = $_; $x =~ s/\@CHALLENGE\@/$ChallengeRe/g
                                        if defined $x && !ref $x;
                        $x } @$v];
        } else {
            next;
        }
        $block->set_value($sec, $v);
    }
}

# runs "nginx -t" on an http{} block made of SNIPPET (with the module
# loaded); returns (exit status, output)
sub nginx_t {
    my ($snippet) = @_;
    my $dir = File::Temp::tempdir('nginx-t-XXXXXX', DIR => $WorkDir,
                                  CLEANUP => 1);
    mkdir "$dir/conf";
    mkdir "$dir/logs";
    my $modules = join '', map { "load_module $_;\n" }
                  grep { $_ } split /\s+/, $ENV{TEST_NGINX_LOAD_MODULES} // '';
    open my $out, '>', "$dir/conf/nginx.conf" or die $!;
    print $out "${modules}pid logs/nginx.pid;\nevents {}\n"
               . "http {\n$snippet\n}\n";
    close $out;
    my $bin = $ENV{TEST_NGINX_BINARY} || 'nginx';
    my $cmd = "$bin -t -q -p $dir/ -c conf/nginx.conf -e $dir/logs/error.log";
    my $output = `$cmd 2>&1`;
    my $rc = $? >> 8;
    if (open my $in, '<', "$dir/logs/error.log") {
        $output .= do { local $/; <$in> } // '';
        close $in;
    }
    return ($rc, $output);
}


# -- expectations -----------------------------------------------------------

# A block preprocessor: "--- denied: CODE" stands for the checks every
# denial gets (status, problem+json, the code member, WWW-Authenticate with a
# fresh challenge on 401 or Retry-After on 503, no-store, and the error log
# line at the right level).  Sections the block sets itself win.
sub expand_denied {
    my ($block) = @_;
    my $code = $block->denied;
    return unless defined $code;
    $code =~ s/^\s+|\s+$//g;
    my $store = $code eq 'store_unavailable';

    $block->set_value('error_code', $store ? 503 : 401)
        unless defined $block->error_code;

    if (!defined $block->response_headers_like) {
        my $h = "Content-Type: application/problem\\+json\n"
                . "Cache-Control: no-store\n";
        $h .= $store
              ? "Retry-After: 1\n"
              : "WWW-Authenticate: WebAuthn realm=\"test\", "
                . "challenge=\"$ChallengeRe\"\n";
        $block->set_value('response_headers_like', $h);
    }

    if (!defined $block->response_body_like) {
        my $body = '^\{.*"code"\s*:\s*"' . $code . '".*\}\s*$';
        $body = '^\{(?=.*"challenge"\s*:\s*"' . $ChallengeRe . '")'
                . '(?=.*"status"\s*:\s*401)'
                . '(?=.*"type"\s*:\s*"urn:ngx-webauthn:error:' . $code . '")'
                . '.*"code"\s*:\s*"' . $code . '".*\}\s*$' unless $store;
        $block->set_value('response_body_like', $body);
    }

    if (!defined $block->error_log) {
        my $lvl = $store ? 'error' : 'info';
        $block->set_value('error_log',
                          [qr/\[$lvl\] .*webauthn: \Q$code\E: /]);
    }
}

1;
