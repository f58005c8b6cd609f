# vi:filetype=perl

# Replays: a used challenge, an expired one, one sealed for another RP or
# with another key, and one assertion sent by many clients at once to
# nginx with two workers.  Rejected assertions move no counter.

use Test::Nginx::Socket 'no_plan';
use lib 't/lib';
use WebAuthnTest;

repeat_each(1);
no_shuffle();
no_long_string();
log_level('info');
workers(2);
master_on();
timeout($ENV{TEST_NGINX_USE_VALGRIND} ? 30 : 5);
add_block_preprocessor(\&WebAuthnTest::preprocess);

WebAuthnTest::enroll('zero', alg => 'es256', user => 'zed', roles => 'z');
WebAuthnTest::enroll('ctr', alg => 'es256', user => 'cy', roles => 'c');
WebAuthnTest::enroll('race', alg => 'eddsa', user => 'rae', roles => 'r');

our %Saved;

run_tests();

__DATA__

=== TEST 1: the same assertion twice (no counter): the second is challenge_invalid
--- more_headers eval
$main::Saved{replay} = WebAuthnTest::authz(key => 'zero', no_counter => 1)
--- init
my $r = WebAuthnTest::http_request('GET', '/t', $main::Saved{replay});
Test::More::is($r->{status}, 200, 'the first use passes');
--- request
GET /t
--- denied: challenge_invalid
--- error_log eval
[qr/\[info\] .*webauthn: challenge_invalid: .*challenge has already been used/]
--- no_error_log
[alert]
[crit]



=== TEST 2: the same assertion twice (with a counter): a replay, not a counter fault
--- more_headers eval
$main::Saved{replay2} = WebAuthnTest::authz(key => 'ctr', counter => 1)
--- init
my $r = WebAuthnTest::http_request('GET', '/t', $main::Saved{replay2});
Test::More::is($r->{status}, 200, 'the first use passes');
--- request
GET /t
--- denied: challenge_invalid
--- error_log eval
[qr/\[info\] .*webauthn: challenge_invalid: .*challenge has already been used/]
--- no_error_log
[alert]
[crit]



=== TEST 3: a used challenge with a fresh signature and a higher counter: challenge_invalid, counter kept
--- init
my $c = WebAuthnTest::challenge();
my $first = WebAuthnTest::authz(key => 'ctr', challenge => $c, counter => 2);
my $r = WebAuthnTest::http_request('GET', '/t', $first);
Test::More::is($r->{status}, 200, 'the first use passes');
my $again = WebAuthnTest::authz(key => 'ctr', challenge => $c, counter => 40);
$r = WebAuthnTest::http_request('GET', '/t', $again);
Test::More::is($r->{status}, 401, 'the challenge cannot be used again');
Test::More::like($r->{body}, qr/"code"\s*:\s*"challenge_invalid"/, 'challenge_invalid');
Test::More::is(WebAuthnTest::sign_count_stored('ctr'), 2, 'the counter stays at 2');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ctr', counter => 3)
--- response_body eval
WebAuthnTest::echo_body('ctr', count => 3)
--- no_error_log
[alert]
[crit]



=== TEST 4: rejected assertions (bad signature, wrong user handle, wrong origin) do not move the counter
--- init
for my $t ([bad_signature => 1], [user_handle => WebAuthnTest::b64url('x')],
           [origin => 'http://evil.example'], [up => 0])
{
    my $r = WebAuthnTest::http_request('GET', '/t',
        WebAuthnTest::authz(key => 'ctr', counter => 100, @$t));
    Test::More::is($r->{status}, 401, "rejected: @$t[0]");
}
Test::More::is(WebAuthnTest::sign_count_stored('ctr'), 3, 'the counter stays at 3');
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ctr', counter => 4)
--- response_body eval
WebAuthnTest::echo_body('ctr', count => 4)
--- no_error_log
[alert]
[crit]



=== TEST 5: an expired challenge
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ctr', expired => 1)
--- denied: challenge_invalid
--- no_error_log
[alert]
[crit]



=== TEST 6: a challenge sealed for another rp_id
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ctr', challenge_rp_id => 'other.example')
--- denied: challenge_invalid
--- no_error_log
[alert]
[crit]



=== TEST 7: a challenge sealed with another secret
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ctr', secret => "\0" x 32)
--- denied: challenge_invalid
--- no_error_log
[alert]
[crit]



=== TEST 8: a challenge that is not one (random bytes, the right length)
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'ctr', challenge => WebAuthnTest::b64url(WebAuthnTest::random_bytes($WebAuthnTest::ChallengeBytes)))
--- denied: challenge_invalid
--- no_error_log
[alert]
[crit]



=== TEST 9: a challenge from the endpoint passes once, then is refused
--- init
my $r = WebAuthnTest::http_request('GET', '/webauthn/challenge');
my ($c) = $r->{body} =~ /"challenge":"([A-Za-z0-9_-]+)"/;
$main::Saved{served} = WebAuthnTest::authz(key => 'zero', no_counter => 1, challenge => $c);
$r = WebAuthnTest::http_request('GET', '/t', $main::Saved{served});
Test::More::is($r->{status}, 200, 'a served challenge passes');
$r = WebAuthnTest::http_request('GET', '/t', $main::Saved{served});
Test::More::like($r->{body}, qr/"code"\s*:\s*"challenge_invalid"/, 'a served challenge is used once');
--- request
GET /t
--- denied: credential_missing
--- no_error_log
[alert]
[crit]



=== TEST 10: one assertion sent by 10 clients at once to 2 workers passes exactly once
--- init
my $h = WebAuthnTest::authz(key => 'race', no_counter => 1);
my @s = WebAuthnTest::race(n => 10, uri => '/t', headers => $h);
Test::More::is(scalar(grep { $_ == 200 } @s), 1, "exactly one 200 (@s)");
Test::More::is(scalar(grep { $_ == 401 } @s), 9, "the others get 401 (@s)");
--- request
GET /t
--- more_headers eval
WebAuthnTest::authz(key => 'race', no_counter => 1)
--- response_body eval
WebAuthnTest::echo_body('race', count => 0)
--- no_error_log
[alert]
[crit]



=== TEST 11: one counted assertion sent by 10 clients at once passes exactly once
--- init
my $h = WebAuthnTest::authz(key => 'ctr', counter => 50);
my @s = WebAuthnTest::race(n => 10, uri => '/t', headers => $h);
Test::More::is(scalar(grep { $_ == 200 } @s), 1, "exactly one 200 (@s)");
Test::More::is(WebAuthnTest::sign_count_stored('ctr'), 50, 'the counter is 50');
--- request
GET /t
--- denied: credential_missing
--- no_error_log
[alert]
[crit]
