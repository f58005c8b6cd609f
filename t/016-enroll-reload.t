# vi:filetype=perl

# Rotating the attestation trust anchors: a reload with a new bundle
# changes the outcome of a registration and drops no request.  A file of
# its own: it needs nginx's master process (a reload); the helpers are
# t/lib/EnrollTest.pm.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;
use EnrollTest;

repeat_each(1);
no_shuffle();
master_on();
no_long_string();
log_level('info');
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 60 : 10);
add_block_preprocessor(\&WebAuthnTest::preprocess);

run_tests();

__DATA__

=== TEST 1: a reload with a new anchor bundle changes the outcome, and drops no request
--- http_config eval: $EnrollTest::HttpConfig
--- config eval: $EnrollTest::Config
--- init
EnrollTest::copy_file("$EnrollTest::W/ca/other-root.pem", "$EnrollTest::W/roots.pem");
my $pidfile = "$ENV{TEST_NGINX_SERVER_ROOT}/logs/nginx.pid";
open my $fh, '<', $pidfile or die "$pidfile: $!";
my $master = <$fh>;
close $fh;
chomp $master;
kill 'HUP', $master or die "HUP: $!";
Time::HiRes::sleep(1);
my $r = EnrollTest::enroll_user('kim', 'kim1', prefix => '/trusted', args => [ EnrollTest::ca_args('t') ]);
Test::More::is(EnrollTest::code_of($r), 'attestation_untrusted', 'the test CA is no longer an anchor');
# requests during the next reload: none may fail
pipe(my $rd, my $wr) or die "pipe: $!";
my $pid = fork();
die "fork: $!" unless defined $pid;
if ($pid == 0) {
    close $rd;
    my ($n, $bad) = (0, 0);
    my $until = Time::HiRes::time() + 2.5;
    while (Time::HiRes::time() < $until) {
        my $x = WebAuthnTest::http_request('GET', '/webauthn/challenge');
        $n++;
        $bad++ if $x->{status} != 200;
    }
    print $wr "$n $bad\n";
    close $wr;
    POSIX::_exit(0);
}
close $wr;
Time::HiRes::sleep(0.5);
EnrollTest::copy_file("$EnrollTest::W/ca/t-root.pem", "$EnrollTest::W/roots.pem");
kill 'HUP', $master or die "HUP: $!";
my $line = <$rd>;
waitpid $pid, 0;
my ($n, $bad) = split ' ', $line // '0 0';
Test::More::cmp_ok($n, '>', 10, "requests were made during the reload ($n)");
Test::More::is($bad, 0, 'none of them failed');
my $ok = EnrollTest::enroll_user('kim', 'kim2', prefix => '/trusted', args => [ EnrollTest::ca_args('t') ]);
Test::More::is($ok->{status}, 201, 'after the reload the test CA is an anchor again') or Test::More::diag($ok->{body});
--- request
GET /webauthn/challenge
--- error_code: 200
--- no_error_log
[alert]
[crit]
[emerg]
