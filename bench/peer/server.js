// The benchmark's peer: the usual do-it-yourself design, nginx
// "auth_request /_auth" to this small Node.js verifier.
//
// Per request it does the work the module does, against the same Redis
// and the same data (README, "Redis schema"):
//   1. parses "Authorization: WebAuthn <base64url(JSON)>";
//   2. HMGET <prefix>cred:{<id>} public_key user_handle sign_count revoked
//      pending (round trip 1; no key cache, as a typical verifier has
//      none);
//   3. verifyAuthenticationResponse() of @simplewebauthn/server, whose
//      expectedChallenge callback checks the module's sealed challenge
//      (version 2: HMAC-SHA-256 with the same secret file, expiry, age
//      against CHALLENGE_TIMEOUT), so it accepts the very same assertions
//      as the module;
//   4. one EVALSHA (round trip 2), the module's commit script's work: the
//      record not pending nor revoked nor changed since step 2, the store
//      epoch, the counter rule, SET NX PX on <prefix>used:<nonce>, HSET
//      sign_count when it grows and last_used when it changes; returns
//      user_name and roles.
// Tuned as a production peer would be: node:cluster workers, keepalive
// from nginx (bench/run.sh's /_auth location), ioredis auto-pipelining,
// nothing read or logged per request.
// 204 with X-WebAuthn-User / X-WebAuthn-Roles on success, 401 otherwise.
//
// env: PEER_PORT (18090), PEER_WORKERS (2, node:cluster), REDIS_PORT
// (18379), SECRET_FILE, RP_ID (bench.example), ORIGIN
// (https://bench.example), PREFIX (webauthn:), REQUIRE_UV (0),
// CHALLENGE_TIMEOUT (seconds, 7200: the bench's webauthn_challenge_timeout)

import cluster from 'node:cluster';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import Redis from 'ioredis';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';

const PORT = Number(process.env.PEER_PORT || 18090);
const WORKERS = Number(process.env.PEER_WORKERS || 2);
const RP_ID = process.env.RP_ID || 'bench.example';
const ORIGIN = process.env.ORIGIN || 'https://bench.example';
const PREFIX = process.env.PREFIX || 'webauthn:';
const REQUIRE_UV = process.env.REQUIRE_UV === '1';
const CHALLENGE_TIMEOUT_MS =
    Number(process.env.CHALLENGE_TIMEOUT || 7200) * 1000;

// the stored field rules (README, "Redis schema")
const SIGN_COUNT_RE = /^[0-9]{1,10}$/;

// revoked: absent, "" and "0" do not revoke; any other value does
function isRevoked(v) {
    return v !== null && v !== undefined && v !== '' && v !== '0';
}

if (cluster.isPrimary) {
    for (let i = 0; i < WORKERS; i++) {
        cluster.fork();
    }
    cluster.on('exit', (w, code) => {
        console.error(`peer worker ${w.process.pid} exited (${code})`);
    });
    process.on('SIGTERM', () => {
        for (const id in cluster.workers) {
            cluster.workers[id].kill('SIGTERM');
        }
        process.exit(0);
    });
} else {
    const secret = fs.readFileSync(process.env.SECRET_FILE);
    const rpId = Buffer.from(RP_ID);
    const redis = new Redis({
        host: '127.0.0.1',
        port: Number(process.env.REDIS_PORT || 18379),
        // commands of concurrent requests share a write (and Redis's
        // read): what ioredis offers, and what a tuned peer turns on
        enableAutoPipelining: true,
    });

    // the module's commit (README, "Redis schema"; the script in
    // src/ngx_http_webauthn_store.c), atomic in Redis: the record exists,
    // is not pending (an enrollment under way) nor revoked and still has
    // the public key and user handle the signature was checked with; the
    // challenge is not older than the store epoch; the nonce is unused and
    // the counter rule holds; then the nonce is recorded (SET NX, which
    // tells a replay by itself), a grown counter stored and last_used
    // (seconds) when it changes.  Not repeated: the module's checks of
    // the user_name, roles and aaguid formats.
    // KEYS[1] credential, KEYS[2] used nonce, KEYS[3] store epoch;
    // ARGV[1] new count, ARGV[2] nonce ttl (ms), ARGV[3] issued (ms),
    // ARGV[4] now (ms), ARGV[5] public_key, ARGV[6] user_handle
    redis.defineCommand('commit', {
        numberOfKeys: 3,
        lua: `
local e = redis.call('GET', KEYS[3])
if not e then
  redis.call('SET', KEYS[3], ARGV[4], 'NX')
  return {'stale'}
end
if tonumber(ARGV[3]) < tonumber(e) then return {'stale'} end
local c = redis.call('HMGET', KEYS[1], 'sign_count', 'revoked',
                     'user_name', 'roles', 'public_key', 'user_handle',
                     'pending', 'last_used')
if not c[5] or (c[7] and c[7] ~= '') then return {'unknown'} end
if c[2] and c[2] ~= '' and c[2] ~= '0' then return {'revoked'} end
if c[5] ~= ARGV[5] or (c[6] or '') ~= ARGV[6] then return {'stale'} end
local stored = 0
if c[1] then
  if not string.match(c[1], '^%d+$') or #c[1] > 10
     or tonumber(c[1]) > 4294967295 then
    return {'bad_record', 'sign_count'}
  end
  stored = tonumber(c[1])
end
local new = tonumber(ARGV[1])
if not (stored == 0 and new == 0) and new <= stored then
  if redis.call('EXISTS', KEYS[2]) == 1 then return {'replayed'} end
  return {'regressed'}
end
if not redis.call('SET', KEYS[2], '1', 'PX', ARGV[2], 'NX') then
  return {'replayed'}
end
local t = string.sub(ARGV[4], 1, -4)
if new > stored then
  redis.call('HSET', KEYS[1], 'sign_count', ARGV[1], 'last_used', t)
elseif c[8] ~= t then
  redis.call('HSET', KEYS[1], 'last_used', t)
end
return {'ok', c[3] or '', c[4] or ''}`,
    });

    // the module's sealed challenge, version 2: 0x02 || issued (8, BE, ms)
    // || expires (8, BE, ms) || nonce (16) || HMAC-SHA-256(secret, 0x02 ||
    // issued || expires || nonce || rp_id); good while now < expires and
    // now < issued + CHALLENGE_TIMEOUT
    function openChallenge(b64) {
        const c = Buffer.from(b64, 'base64url');
        if (c.length !== 65 || c[0] !== 2) {
            return null;
        }
        const mac = crypto.createHmac('sha256', secret)
            .update(c.subarray(0, 33)).update(rpId).digest();
        if (!crypto.timingSafeEqual(mac, c.subarray(33))) {
            return null;
        }
        const issued = Number(c.readBigUInt64BE(1));
        const expires = Number(c.readBigUInt64BE(9));
        const now = Date.now();
        const left = Math.min(expires, issued + CHALLENGE_TIMEOUT_MS) - now;
        if (left <= 0) {
            return null;
        }
        return { nonce: c.subarray(17, 33).toString('base64url'),
                 issued, now, left };
    }

    function deny(res, code) {
        res.writeHead(401, { 'X-WebAuthn-Error': code });
        res.end();
    }

    async function handle(req, res) {
        const h = req.headers.authorization || '';
        const m = /^webauthn +(\S+)$/i.exec(h);  // RFC 9110, 11.4: SP only
        if (!m) {
            return deny(res, 'credential_missing');
        }
        let cred;
        try {
            cred = JSON.parse(Buffer.from(m[1], 'base64url').toString());
        } catch (e) {
            return deny(res, 'credential_malformed');
        }
        if (typeof cred?.id !== 'string' || !cred.response) {
            return deny(res, 'credential_malformed');
        }
        cred.clientExtensionResults ??= {};
        const key = PREFIX + 'cred:{' + cred.id + '}';
        const [pk, uh, count, revoked, pending] = await redis.hmget(key,
            'public_key', 'user_handle', 'sign_count', 'revoked', 'pending');
        if (pk === null || (pending !== null && pending !== '')) {
            return deny(res, 'credential_unknown');
        }
        if (isRevoked(revoked)) {
            return deny(res, 'credential_revoked');
        }
        if (count !== null && (!SIGN_COUNT_RE.test(count)
                               || Number(count) > 4294967295)) {
            throw new Error('the credential record has an invalid '
                            + 'sign_count');
        }
        if (cred.response.userHandle && cred.response.userHandle !== uh) {
            return deny(res, 'user_handle_mismatch');
        }
        let opened = null;
        let v;
        try {
            v = await verifyAuthenticationResponse({
                response: cred,
                expectedChallenge: (ch) => (opened = openChallenge(ch)) !== null,
                expectedOrigin: ORIGIN,
                expectedRPID: RP_ID,
                credential: {
                    id: cred.id,
                    publicKey: Buffer.from(pk, 'base64url'),
                    counter: Number(count || 0),
                },
                requireUserVerification: REQUIRE_UV,
            });
        } catch (e) {
            return deny(res, 'verification_failed');
        }
        if (!v.verified || opened === null) {
            return deny(res, 'signature_invalid');
        }
        const r = await redis.commit(key,
            PREFIX + 'used:{' + cred.id + '}:' + opened.nonce,
            PREFIX + 'epoch:{' + cred.id + '}', String(v.authenticationInfo.newCounter),
            String(opened.left + 1000), String(opened.issued),
            String(opened.now), pk, uh ?? '');
        if (r[0] === 'bad_record') {
            throw new Error('the credential record has an invalid ' + r[1]);
        }
        if (r[0] !== 'ok') {
            return deny(res, r[0]);
        }
        res.writeHead(204, { 'X-WebAuthn-User': r[1],
                             'X-WebAuthn-Roles': r[2] });
        res.end();
    }

    const server = http.createServer((req, res) => {
        handle(req, res).catch((e) => {
            console.error('peer:', e.message);
            res.writeHead(503, { 'Retry-After': '1' });
            res.end();
        });
    });
    server.keepAliveTimeout = 65000;
    server.listen(PORT, '127.0.0.1');
}
