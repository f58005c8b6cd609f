// The benchmark's peer: the usual do-it-yourself design, nginx
// "auth_request /_auth" to this small Node.js verifier.
//
// Per request it does the work the module does, against the same Redis
// and the same data (design.md):
//   1. parses "Authorization: WebAuthn <base64url(JSON)>";
//   2. HMGET <prefix>cred:<id> public_key user_handle sign_count revoked
//      (round trip 1; no key cache, as a typical verifier has none);
//   3. verifyAuthenticationResponse() of @simplewebauthn/server, whose
//      expectedChallenge callback checks the module's sealed challenge
//      (HMAC-SHA-256 with the same secret file, expiry), so it accepts the
//      very same assertions as the module;
//   4. one EVALSHA (round trip 2), the same commit as the module's script:
//      revoked, counter rule, SET NX PX on <prefix>used:<nonce>, HSET
//      sign_count when it grows; returns user_name and roles.
// 204 with X-WebAuthn-User / X-WebAuthn-Roles on success, 401 otherwise.
//
// env: PEER_PORT (18090), PEER_WORKERS (2, node:cluster), REDIS_PORT
// (18379), SECRET_FILE, RP_ID (bench.example), ORIGIN
// (https://bench.example), PREFIX (webauthn:), REQUIRE_UV (0)

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
        enableAutoPipelining: false,
    });

    // same atomic commit as the module (design.md, "Redis schema")
    redis.defineCommand('commit', {
        numberOfKeys: 2,
        lua: `
local c = redis.call('HMGET', KEYS[1], 'sign_count', 'revoked',
                     'user_name', 'roles')
if not c[1] then return {'credential_unknown'} end
if c[2] == '1' then return {'credential_revoked'} end
local stored, new = tonumber(c[1]), tonumber(ARGV[1])
if not (stored == 0 and new == 0) and new <= stored then
  return {'sign_count_regressed'}
end
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then
  return {'challenge_invalid'}
end
if new > stored then redis.call('HSET', KEYS[1], 'sign_count', ARGV[1]) end
return {'ok', c[3] or '', c[4] or ''}`,
    });

    // the module's sealed challenge: 0x01 || expiry(8, BE, ms) || nonce(16)
    // || HMAC-SHA-256(secret, 0x01 || expiry || nonce || rp_id)
    function openChallenge(b64) {
        const c = Buffer.from(b64, 'base64url');
        if (c.length !== 57 || c[0] !== 1) {
            return null;
        }
        const mac = crypto.createHmac('sha256', secret)
            .update(c.subarray(0, 25)).update(rpId).digest();
        if (!crypto.timingSafeEqual(mac, c.subarray(25))) {
            return null;
        }
        const expiry = Number(c.readBigUInt64BE(1));
        const left = expiry - Date.now();
        if (left <= 0) {
            return null;
        }
        return { nonce: c.subarray(9, 25).toString('base64url'), left };
    }

    function deny(res, code) {
        res.writeHead(401, { 'X-WebAuthn-Error': code });
        res.end();
    }

    async function handle(req, res) {
        const h = req.headers.authorization || '';
        const m = /^webauthn\s+(\S+)$/i.exec(h);
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
        const key = PREFIX + 'cred:' + cred.id;
        const [pk, uh, count, revoked] = await redis.hmget(key,
            'public_key', 'user_handle', 'sign_count', 'revoked');
        if (pk === null) {
            return deny(res, 'credential_unknown');
        }
        if (revoked === '1') {
            return deny(res, 'credential_revoked');
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
                    counter: Number(count),
                },
                requireUserVerification: REQUIRE_UV,
            });
        } catch (e) {
            return deny(res, 'verification_failed');
        }
        if (!v.verified || opened === null) {
            return deny(res, 'signature_invalid');
        }
        const r = await redis.commit(key, PREFIX + 'used:' + opened.nonce,
            String(v.authenticationInfo.newCounter),
            String(opened.left + 1000));
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
