# vi:filetype=perl

# The module's own resend of an enrollment or admin script (design.md,
# "Failure semantics"): t/lib/faultproxy.py lets a script's command reach
# Redis, Redis runs it, and the connection (a pooled one, that had served
# before) is closed before any reply byte ("cut 0 cmd=EVALSHA"); the
# module sends the command once more on a new connection, and Redis runs
# the script a second time.  Each step of a registration, cut so, must
# answer as its first run did: the registration is 201, one credential
# record, not pending, no attempt left in it, the invitation consumed
# (once), the user's set holding the id once, and the credential passes
# auth_webauthn.  A client's own second request (the same registration
# response again) is still refused as without the fault.  The same for
# the admin API's user deletion, of which each credential's delete runs
# twice.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use EnrollTest;
use FaultProxy;
use Digest::SHA ();
use JSON::PP ();

repeat_each(1);
no_shuffle();
master_on();
workers(1);
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 10);
add_block_preprocessor(\&WebAuthnTest::preprocess);

our $Proxy = FaultProxy::start(upstream => $ENV{TEST_NGINX_REDIS_PORT});
$ENV{TEST_NGINX_FAULT_PORT} = $Proxy->{port};

# through the proxy; a connection stays pooled between the steps (and
# while the test authenticator answers)
$EnrollTest::HttpConfig =~ s{webauthn_redis [^;]*;}
    {webauthn_redis 127.0.0.1:\$TEST_NGINX_FAULT_PORT keepalive=2 keepalive_timeout=60s$WebAuthnTest::RedisTimeouts;};

sub redis { WebAuthnTest::redis_cmd('main', @_) }

# the kind of a key the proxy saw ("webauthn:cred:{...}" -> "cred")
sub kind {
    my ($key) = @_;
    return ($key // '') =~ /^webauthn:(\w+)/ ? $1 : '?';
}

# the EVALSHA commands since the proxy's last reset: [kind, faulted,
# conn]; none may have been an EVAL's (a script Redis did not have yet,
# NOSCRIPT: it did not run)
sub evalshas {
    my $h = FaultProxy::history($Proxy);
    Test::More::is(scalar(grep { $_->[1] eq 'EVAL' } @$h), 0,
                   'the scripts were loaded: no EVAL after a NOSCRIPT');
    return [ map { [ kind($_->[4]), $_->[2] ? 1 : 0, $_->[3] ] }
             grep { $_->[1] eq 'EVALSHA' } @$h ];
}

# the registration's requests with an invitation, its EVALSHAs: the
# options' (the user's slot), then register's: the user's (what the
# options said, read again), and the steps: 1. the credential's, 2. the
# invitation's, 3. the user's, 4. the credential's
our @InviteSteps = qw(cred invite user cred);

# the record, the user's set and the invitation after a registration
sub check_registered {
    my ($what, $user, $name, $token, $counter) = @_;
    my $id = WebAuthnTest::cred_id($name);
    my %rec = @{ redis('HGETALL', "webauthn:cred:{$id}") };
    Test::More::is($rec{user_name}, $user, "$what: the record, ${user}'s");
    Test::More::ok(!exists $rec{pending}, "$what: not pending");
    Test::More::ok(!exists $rec{attempt}, "$what: no attempt left in it");
    Test::More::is(redis('TTL', "webauthn:cred:{$id}"), -1,
                   "$what: it does not expire");
    my @used = @{ redis('KEYS', "webauthn:used:{$id}:*") };
    Test::More::ok(@used && !grep({ redis('PTTL', $_) <= 300000 } @used),
                   "$what: the registration's nonce kept as long as its "
                   . "challenge ($WebAuthnTest::ChallengeTtl s), not only "
                   . "the attempt's 5 minutes");
    Test::More::is_deeply(redis('SMEMBERS', "webauthn:user_creds:{$user}"),
                          [ $id ], "$what: the user's set holds the id once");
    my @creds = grep { redis('HGET', $_, 'user_name') eq $user }
                @{ redis('KEYS', 'webauthn:cred:*') };
    Test::More::is(scalar @creds, 1, "$what: one credential record of $user");
    if (defined $token) {
        my $hash = Digest::SHA::sha256_hex($token);
        Test::More::is(redis('EXISTS', "webauthn:invite:{$hash}"), 0,
                       "$what: the invitation is consumed");
        Test::More::is_deeply(redis('ZRANGE', "webauthn:user_invites:{$user}",
                                    0, -1), [],
                              "$what: and no longer open");
    }
    my $a = WebAuthnTest::http_request('GET', '/t',
                                       WebAuthnTest::authz(key => $name,
                                                           counter => $counter));
    Test::More::is($a->{status}, 200, "$what: the credential passes");
    Test::More::like($a->{body} // '', qr/user=\Q$user\E /, "$what: as $user");
}

# one clean registration first: the scripts loaded, a connection pooled
sub warm_up {
    my ($user) = @_;
    FaultProxy::mode($Proxy, 'pass');
    my $r = EnrollTest::enroll_user($user, $user);
    Test::More::is($r->{status}, 201, "warm-up: $user registered")
        or Test::More::diag($r->{body});
}

# invitation_case(STEP): a registration with an invitation whose step
# STEP (1 to 4) is cut once before its reply
sub invitation_case {
    my ($step) = @_;
    my $user = "inv$step";
    my $what = "step $step cut";
    warm_up("warm$step");
    my $token = EnrollTest::invite($user, roles => 'reader');
    my $opts = EnrollTest::options(EnrollTest::inv($token));
    Test::More::is($opts->{status}, 200, "$what: options");
    my $body = EnrollTest::create($opts->{json}, $user);
    my $errors = WebAuthnTest::redis_errors();
    FaultProxy::reset($Proxy);
    # register's EVALSHAs: the user's read, then the steps
    FaultProxy::mode($Proxy, 'cut 0 cmd=EVALSHA every=' . (1 + $step)
                             . ' count=1');
    my $r = EnrollTest::register(EnrollTest::inv($token), $body);
    FaultProxy::mode($Proxy, 'pass');
    Test::More::is($r->{status}, 201, "$what: registered, 201")
        or Test::More::diag($r->{body});
    Test::More::is($r->{json} && $r->{json}{id}, WebAuthnTest::cred_id($user),
                   "$what: the credential's id in the answer");
    my $e = evalshas();
    Test::More::is(join(' ', map { $_->[0] . ($_->[1] ? '(cut)' : '') } @$e),
                   join(' ', 'user', map { $_ == $step
                                           ? "$InviteSteps[$_ - 1](cut) "
                                             . $InviteSteps[$_ - 1]
                                           : $InviteSteps[$_ - 1] } 1 .. 4),
                   "$what: step $step ($InviteSteps[$step - 1]'s slot) ran, "
                   . 'was cut and was sent again');
    my ($cut) = grep { $e->[$_][1] } 0 .. $#$e;
    Test::More::isnt($e->[$cut + 1][2], $e->[$cut][2],
                     "$what: sent again on another connection")
        if defined $cut;
    Test::More::is(WebAuthnTest::redis_errors()->{closed},
                   $errors->{closed} // 0,
                   "$what: the resend is no error of Redis (none counted)");
    check_registered($what, $user, $user, $token, 1);
    my $again = EnrollTest::register(EnrollTest::inv($token), $body);
    Test::More::is($again->{status}, 401,
                   "$what: the same registration again: 401");
    Test::More::is(EnrollTest::code_of($again), 'invitation_invalid',
                   "$what: invitation_invalid, as without the fault");
    check_registered("$what, replay refused", $user, $user, $token, 2);
    Test::More::is(scalar(grep { /registration refused: invitation_invalid/ }
                          WebAuthnTest::error_log_lines()), 1,
                   "$what: one registration refused, the replay");
}

run_tests();

__DATA__

=== TEST 1: step 1 (the record written pending) run twice: the second run finds the record pending with its own attempt and answers "ok", not "replayed"
--- http_config eval: $EnrollTest::HttpConfig
--- config eval: $EnrollTest::Config
--- init
main::invitation_case(1);
--- request
GET /webauthn/challenge
--- error_code: 200
--- error_log
registered credential
--- no_error_log
[alert]
[crit]
[emerg]
challenge_invalid
store_unavailable



=== TEST 2: step 2 (the invitation consumed) run twice: the second run finds the invitation gone and its own attempt beside it, and answers "ok", not "invitation"
--- http_config eval: $EnrollTest::HttpConfig
--- config eval: $EnrollTest::Config
--- init
main::invitation_case(2);
my @m = @{ main::redis('KEYS', 'webauthn:invite_used:*') };
Test::More::ok(scalar(@m) >= 1, 'the consumed invitations\' markers: ' . scalar @m);
Test::More::ok(!grep({ main::redis('PTTL', $_) > 300000 || main::redis('PTTL', $_) < 0 } @m), 'each expires within the pending record\'s 300 s');
--- request
GET /webauthn/challenge
--- error_code: 200
--- error_log
registered credential
--- no_error_log
[alert]
[crit]
[emerg]
challenge_invalid
store_unavailable



=== TEST 3: step 3 (the user's set) run twice: the id is in the set once, the user's handle kept
--- http_config eval: $EnrollTest::HttpConfig
--- config eval: $EnrollTest::Config
--- init
main::invitation_case(3);
Test::More::is(main::redis('HGET', 'webauthn:user:{inv3}', 'user_handle'), WebAuthnTest::user_handle('inv3'), 'the user\'s handle, the authenticator\'s');
--- request
GET /webauthn/challenge
--- error_code: 200
--- error_log
registered credential
--- no_error_log
[alert]
[crit]
[emerg]
challenge_invalid
store_unavailable



=== TEST 4: the last step ("pending" cleared) run twice: the second run finds its attempt in the used nonce's key and answers "ok", not "gone" (503, "the pending credential record expired")
--- http_config eval: $EnrollTest::HttpConfig
--- config eval: $EnrollTest::Config
--- init
main::invitation_case(4);
--- request
GET /webauthn/challenge
--- error_code: 200
--- error_log
registered credential
--- no_error_log
[alert]
[crit]
[emerg]
challenge_invalid
store_unavailable
expired before the registration ended



=== TEST 5: a device added with a fresh assertion, steps 1 and 4 each run twice: 201; the same registration response again with another fresh assertion reaches step 1 with an attempt of its own: 400 challenge_invalid "already used", as without the fault
--- http_config eval: $EnrollTest::HttpConfig
--- config eval: $EnrollTest::Config
--- init
main::warm_up('kim');
my $first = WebAuthnTest::cred_id('kim');
my $counter = 1;
for my $step (1, 4) {
    my $what = "device added, step $step cut";
    my $opts = EnrollTest::options(WebAuthnTest::authz(key => 'kim', counter => $counter++));
    Test::More::is($opts->{status}, 200, "$what: options");
    my $name = "kim-$step";
    my $body = EnrollTest::create($opts->{json}, $name);
    FaultProxy::reset($main::Proxy);
    # register: the commit of the assertion, the user's read, then the steps
    FaultProxy::mode($main::Proxy, 'cut 0 cmd=EVALSHA every=' . ($step == 1 ? 3 : 5) . ' count=1');
    my $r = EnrollTest::register(WebAuthnTest::authz(key => 'kim', counter => $counter++), $body);
    FaultProxy::mode($main::Proxy, 'pass');
    Test::More::is($r->{status}, 201, "$what: 201") or Test::More::diag($r->{body});
    my $e = main::evalshas();
    Test::More::is(join(' ', map { $_->[0] . ($_->[1] ? '(cut)' : '') } @$e),
                   $step == 1 ? 'cred user cred(cut) cred user cred' : 'cred user cred user cred(cut) cred',
                   "$what: the step ran, was cut and was sent again");
    my $id = WebAuthnTest::cred_id($name);
    my %rec = @{ main::redis('HGETALL', "webauthn:cred:{$id}") };
    Test::More::is($rec{user_name}, 'kim', "$what: the record, kim's");
    Test::More::ok(!exists $rec{pending} && !exists $rec{attempt}, "$what: neither pending nor an attempt left");
    Test::More::is(main::redis('TTL', "webauthn:cred:{$id}"), -1, "$what: it does not expire");
    my $a = WebAuthnTest::http_request('GET', '/t', WebAuthnTest::authz(key => $name, counter => 1));
    Test::More::is($a->{status}, 200, "$what: the new device passes");
    my $replay = EnrollTest::register(WebAuthnTest::authz(key => 'kim', counter => $counter++), $body);
    Test::More::is($replay->{status}, 400, "$what: the registration again: 400");
    Test::More::is(EnrollTest::code_of($replay), 'challenge_invalid', "$what: challenge_invalid");
    Test::More::like($replay->{json} && $replay->{json}{detail} // '', qr/already used/, "$what: its challenge already used");
    %rec = @{ main::redis('HGETALL', "webauthn:cred:{$id}") };
    Test::More::ok(!exists $rec{pending} && $rec{user_name} eq 'kim', "$what: the record as it was");
}
Test::More::is_deeply([ sort @{ main::redis('SMEMBERS', 'webauthn:user_creds:{kim}') } ], [ sort $first, map { WebAuthnTest::cred_id("kim-$_") } 1, 4 ], 'kim\'s set: three ids, each once');
--- request
GET /webauthn/challenge
--- error_code: 200
--- error_log
registered credential
--- no_error_log
[alert]
[crit]
[emerg]
store_unavailable



=== TEST 6: DELETE users with a credential's delete run twice: 204, the log counts both credentials deleted, every key of the user gone; deleted again: 404
--- http_config eval: $EnrollTest::HttpConfig
--- config eval: $EnrollTest::Config
--- init
main::warm_up('lou0');
Test::More::is(WebAuthnTest::http_request('DELETE', '/webauthn/admin/users/lou0')->{status}, 204, 'warm-up: a user deleted, the scripts loaded');
main::warm_up('lou');
my $opts = EnrollTest::options(WebAuthnTest::authz(key => 'lou', counter => 1));
my $r = EnrollTest::register(WebAuthnTest::authz(key => 'lou', counter => 2), EnrollTest::create($opts->{json}, 'lou2'));
Test::More::is($r->{status}, 201, 'lou\'s second device');
my @ids = sort map { WebAuthnTest::cred_id($_) } 'lou', 'lou2';
FaultProxy::reset($main::Proxy);
# DELETE users: the user's read, the revocations, then each record's
FaultProxy::mode($main::Proxy, 'cut 0 cmd=EVALSHA every=3 count=1');
my $d = WebAuthnTest::http_request('DELETE', '/webauthn/admin/users/lou');
FaultProxy::mode($main::Proxy, 'pass');
Test::More::is($d->{status}, 204, 'deleted: 204');
my $e = main::evalshas();
Test::More::is(join(' ', map { $_->[0] . ($_->[1] ? '(cut)' : '') } @$e),
               'user revoked cred(cut) cred cred',
               'the first record\'s delete ran, was cut and was sent again');
Test::More::is(main::redis('EXISTS', (map { ("webauthn:cred:{$_}", "webauthn:epoch:{$_}") } @ids), 'webauthn:user:{lou}', 'webauthn:user_creds:{lou}'), 0, 'every key of lou is gone');
Test::More::is(scalar(grep { defined main::redis('ZSCORE', 'webauthn:revoked', $_) } @ids), 2, 'both ids in the revocations');
Test::More::is(scalar(grep { /webauthn admin: deleted user "lou", credentials: 2,/ } WebAuthnTest::error_log_lines()), 1, 'logged: two credentials deleted');
my $again = WebAuthnTest::http_request('DELETE', '/webauthn/admin/users/lou');
Test::More::is($again->{status}, 404, 'deleted again: 404, as without the fault');
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]
store_unavailable



=== TEST 7: a client's own second registration on one invitation, at its step 2 after the first consumed it (the first's attempt beside the invitation, not its own): 401 invitation_invalid, its pending record deleted; the first 201 (pipeline=1; the second's step 1 reply held 3 s by the proxy while the first registers)
--- http_config eval
my $s = $WebAuthnTest::Scale;
(my $c = $EnrollTest::HttpConfig) =~ s{webauthn_redis [^;]*;}
    {webauthn_redis 127.0.0.1:\$TEST_NGINX_FAULT_PORT pipeline=1 keepalive=4 keepalive_timeout=60s connect_timeout=${\ (5 * $s)}s timeout=${\ (5 * $s)}s;};
$c
--- config eval: $EnrollTest::Config
--- init
my $s = $WebAuthnTest::Scale;
main::warm_up('mia0');
my $token = EnrollTest::invite('mia', roles => 'reader');
my $opts = EnrollTest::options(EnrollTest::inv($token));
my ($bw, $bl) = map { EnrollTest::create($opts->{json}, "mia$_") } 1, 2;
FaultProxy::reset($main::Proxy);
# the second's EVALSHAs: the user's read, then its step 1, held
FaultProxy::mode($main::Proxy, 'delay ' . (3000 * $s) . ' cmd=EVALSHA every=2 count=1');
pipe(my $rd, my $wr) or die "pipe: $!";
my $pid = fork();
die "fork: $!" unless defined $pid;
if ($pid == 0) {
    close $rd;
    my $r = EnrollTest::register(EnrollTest::inv($token), $bl);
    syswrite($wr, "$r->{status} " . EnrollTest::code_of($r) . "\n");
    POSIX::_exit(0);
}
close $wr;
my $t0 = Time::HiRes::time();
Time::HiRes::sleep(0.05) until grep({ $_->[1] eq 'EVALSHA' && main::kind($_->[4]) eq 'cred' } @{ FaultProxy::history($main::Proxy) }) || Time::HiRes::time() - $t0 > 10;
my $w = EnrollTest::register(EnrollTest::inv($token), $bw);
my $dt = Time::HiRes::time() - $t0;
my $l = <$rd> // '';
waitpid $pid, 0;
chomp $l;
FaultProxy::mode($main::Proxy, 'pass');
Test::More::is($w->{status}, 201, 'the first (its steps while the second\'s step 1 reply is held): 201') or Test::More::diag($w->{body});
Test::More::cmp_ok($dt, '<', 3 * $s, sprintf('the first ended before the held reply came: %.2f s', $dt));
Test::More::is($l, '401 invitation_invalid', 'the second: 401 invitation_invalid');
my $e = main::evalshas();
Test::More::is(scalar(grep { $_->[0] eq 'invite' } @$e), 2, 'both reached the invitation\'s step');
my $hash = Digest::SHA::sha256_hex($token);
Test::More::ok(defined main::redis('GET', "webauthn:invite_used:{$hash}"), 'the invitation consumed, its attempt beside it');
my ($iw, $il) = map { WebAuthnTest::cred_id("mia$_") } 1, 2;
Test::More::is(main::redis('EXISTS', "webauthn:cred:{$il}"), 0, 'the second\'s pending record deleted');
main::check_registered('the first', 'mia', 'mia1', $token, 1);
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]
store_unavailable
