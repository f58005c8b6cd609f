// make test-browser: a real browser (Debian's chromium, driven by
// playwright-core over CDP) with Chromium's virtual authenticator makes
// real passkeys on http://localhost:<port>, and nginx with the module
// checks their assertions.  Started by t/browser/run.sh, which provides
// nginx, Redis and these environment variables:
//
//   E2E_BASE_URL     http://localhost:<port> (the page and the API)
//   E2E_REDIS_PORT   the Redis the module uses (127.0.0.1)
//   E2E_BROWSER_DIR  build/browser (node_modules, the browser profile)
//   E2E_CHROMIUM     the browser (default /usr/bin/chromium)
//   E2E_ADMIN_URL    the admin API, http://127.0.0.1:<port>/webauthn/admin
//
// Two parts: assertions of passkeys made by page.html and enrolled into
// Redis by hand; then the registration ceremony through the module
// (enroll.html), once per virtual authenticator (ctap2, u2f): an invitation
// from the admin API, creation options, navigator.credentials.create(),
// webauthn_register, a sign-in, a revocation.  Screenshots of each state
// of the latter in E2E_BROWSER_DIR/enroll-*.png.  Last, demo.mjs: the demo
// page "make run" serves at "/" (conf/demo), driven through its buttons
// (screenshots in E2E_BROWSER_DIR/demo-*.png).
//
// Prints one "ok N - ..." / "not ok N - ..." line per check and, last,
// "N passed, M failed"; exits non-zero on any failure.

import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { demo } from "./demo.mjs";

const BASE = process.env.E2E_BASE_URL;
const REDIS_PORT = process.env.E2E_REDIS_PORT;
const DIR = process.env.E2E_BROWSER_DIR;
const CHROMIUM = process.env.E2E_CHROMIUM || "/usr/bin/chromium";
const ADMIN = process.env.E2E_ADMIN_URL;
const STEP_MS = 30000;          // one browser step, at most

if (!BASE || !REDIS_PORT || !DIR || !ADMIN) {
    console.error("e2e.mjs: run it through t/browser/run.sh");
    process.exit(2);
}

const require = createRequire(path.join(DIR, "package.json"));
const { chromium } = require("playwright-core");

// -- TAP-like reporting --------------------------------------------------------

let n = 0, passed = 0, failed = 0;

function ok(cond, name, diag) {
    n++;
    if (cond) {
        passed++;
        console.log(`ok ${n} - ${name}`);
    } else {
        failed++;
        console.log(`not ok ${n} - ${name}`);
        if (diag !== undefined) {
            const text = typeof diag === "string" ? diag : JSON.stringify(diag);
            for (const line of text.split("\n")) console.log(`#   ${line}`);
        }
    }
    return cond;
}

function skip(name, why) {
    n++;
    console.log(`ok ${n} - ${name} # SKIP ${why}`);
}

function note(msg) { console.log(`# ${msg}`); }

// -- CBOR: just enough to find where the COSE_Key ends, and read it ------------

// returns [value, offset after the item]; maps become Map, byte strings
// Uint8Array; definite lengths only (COSE keys in authenticator data are)
function cborItem(buf, off) {
    if (off >= buf.length) throw new Error("CBOR: truncated");
    const ib = buf[off++], major = ib >> 5, ai = ib & 0x1f;
    let arg;
    if (ai < 24) {
        arg = ai;
    } else if (ai >= 24 && ai <= 27) {
        const len = 1 << (ai - 24);
        if (off + len > buf.length) throw new Error("CBOR: truncated");
        arg = 0;
        for (let i = 0; i < len; i++) arg = arg * 256 + buf[off + i];
        off += len;
    } else {
        throw new Error(`CBOR: unsupported additional info ${ai}`);
    }
    switch (major) {
    case 0: return [arg, off];
    case 1: return [-1 - arg, off];
    case 2:
    case 3: {
        if (off + arg > buf.length) throw new Error("CBOR: truncated");
        const bytes = buf.subarray(off, off + arg);
        return [major === 2 ? bytes : new TextDecoder().decode(bytes), off + arg];
    }
    case 4: {
        const a = [];
        for (let i = 0; i < arg; i++) { let v; [v, off] = cborItem(buf, off); a.push(v); }
        return [a, off];
    }
    case 5: {
        const m = new Map();
        for (let i = 0; i < arg; i++) {
            let k, v;
            [k, off] = cborItem(buf, off);
            [v, off] = cborItem(buf, off);
            m.set(k, v);
        }
        return [m, off];
    }
    case 6: return cborItem(buf, off);             // a tag: its content
    case 7: return [ai === 20 ? false : ai === 21 ? true : null, off];
    }
    throw new Error("CBOR: unreachable");
}

// the attested credential data of a registration's authenticator data
function attestedCredential(authData) {
    if (authData.length < 37 + 18) throw new Error("authenticator data too short");
    const flags = authData[32];
    if (!(flags & 0x40)) throw new Error("AT flag not set");
    let off = 32 + 1 + 4 + 16;                      // rpIdHash, flags, count, aaguid
    const idLen = authData.readUInt16BE(off); off += 2;
    const credId = authData.subarray(off, off + idLen); off += idLen;
    const [cose, end] = cborItem(authData, off);
    return { flags, credId, coseKey: authData.subarray(off, end), cose,
             rest: authData.length - end };
}

const b64url = (b) => Buffer.from(b).toString("base64url");

// -- Redis, as an operator would import ---------------------------------------

function redis(...args) {
    return execFileSync("redis-cli", ["-h", "127.0.0.1", "-p", REDIS_PORT, ...args],
                        { encoding: "utf8" }).trim();
}

// -- the browser ----------------------------------------------------------------

const profile = process.env.E2E_PROFILE || mkdtempSync(path.join(DIR, "profile-"));
let context;

async function step(page, what, fn, arg) {
    let timer;
    const t = new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error(`${what}: no answer in ${STEP_MS} ms`)), STEP_MS);
    });
    try {
        return await Promise.race([page.evaluate(fn, arg), t]);
    } finally {
        clearTimeout(timer);
    }
}

function problem(res) {
    try { return JSON.parse(res.body); } catch { return {}; }
}

function echo(res) {
    try { return JSON.parse(res.body); } catch { return null; }
}

async function main() {
    const t0 = Date.now();
    context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: false,            // --headless=new is passed below, as is
        args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"],
        timeout: STEP_MS,
    });
    note(`chromium ${context.browser()?.version() ?? "(version unknown)"}, ` +
         `started in ${Date.now() - t0} ms`);
    const page = context.pages()[0] || await context.newPage();
    page.on("pageerror", (e) => note(`page error: ${e.message}`));

    try {
        await assertions(page);
    } catch (err) {
        ok(false, "the assertion part ran to its end", err.stack || String(err));
    }

    for (const png of readdirSync(DIR).filter(f => /^enroll-.*\.png$/.test(f))) {
        rmSync(path.join(DIR, png));
    }
    for (const run of ENROLL_RUNS) await enrollRun(run);
    screenshotsWritten();

    // part 3: the demo page (demo.mjs)
    try {
        await demo({ context, ok, note, admin, redis, base: BASE, dir: DIR, stepMs: STEP_MS });
    } catch (err) {
        ok(false, "the demo page part ran to its end", err.stack || String(err));
    }
}

// -- part 1: assertions of credentials enrolled by hand ---------------------------

async function assertions(page) {

    await page.goto(`${BASE}/page.html`, { timeout: STEP_MS });
    const secure = await page.evaluate(() => window.isSecureContext && !!window.e2e?.ready);
    ok(secure, `page loaded from ${BASE} as a secure context`);
    note(`parseRequestOptionsFromJSON: ${await page.evaluate(() => window.e2e.hasParseJSON)}`);

    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable", { enableUI: false });
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
        options: { protocol: "ctap2", transport: "internal", hasResidentKey: true,
                   hasUserVerification: true, isUserVerified: true,
                   automaticPresenceSimulation: true },
    });
    ok(!!authenticatorId, "virtual authenticator (ctap2, internal, resident key, UV)");

    const setUV = (v) => cdp.send("WebAuthn.setUserVerified",
                                  { authenticatorId, isUserVerified: v });

    // registers and enrolls; returns the credential id (base64url) or null
    async function enroll(alg, algName, kty, user, roles) {
        let reg;
        try {
            reg = await step(page, `register ${algName}`,
                             ([a, u]) => window.e2e.register(a, u), [alg, user]);
        } catch (e) {
            return { error: e.message };
        }
        const authData = Buffer.from(reg.authenticatorData, "base64url");
        let att;
        try {
            att = attestedCredential(authData);
        } catch (e) {
            ok(false, `${algName}: attested credential data parsed`, e.message);
            return {};
        }
        const coseAlg = att.cose.get(3), coseKty = att.cose.get(1);
        ok(reg.alg === alg && coseAlg === alg && coseKty === kty &&
           b64url(att.credId) === reg.rawId && reg.id === reg.rawId,
           `${algName}: registered, COSE_Key kty ${coseKty} alg ${coseAlg} ` +
           `(${att.coseKey.length} bytes), credential id from authenticator data = rawId`,
           { regAlg: reg.alg, coseAlg, coseKty, id: reg.id, fromAuthData: b64url(att.credId) });
        const key = `webauthn:cred:{${reg.rawId}}`;
        redis("HSET", key, "public_key", b64url(att.coseKey), "user_handle", reg.userHandle,
              "user_name", user, "sign_count", "0", "roles", roles);
        // as README's schema says an import does: the store epoch, if absent
        redis("SET", `webauthn:epoch:{${reg.rawId}}`, String(Date.now()), "NX");
        ok(redis("HGET", key, "user_name") === user, `${algName}: enrolled as ${key}`);
        return { id: reg.rawId, key };
    }

    // -- round 1: ES256 ---------------------------------------------------------

    const es = await enroll(-7, "ES256", 2, "alice", "reader deployer");
    if (!es.id) {
        ok(false, "ES256 registration", es.error);
        return;
    }
    const id = es.id;

    let r = await step(page, "assert", ([i]) => window.e2e.signAndCall("/api/hello", i), [id]);
    let e = echo(r);
    ok(r.status === 200 && e && e.user === "alice" && e.roles === "reader deployer"
       && e.credential === id && e.uri === "/api/hello",
       "browser assertion: 200, upstream saw user alice, roles \"reader deployer\"", r);
    ok(e && e.authorization === "", "the upstream got no Authorization header", e);
    const firstAuth = r.authorization;
    ok(e && redis("HGET", es.key, "sign_count") === e.count,
       `sign_count in Redis is the authenticator's new counter (${e?.count})`,
       { redis: redis("HGET", es.key, "sign_count"), echoed: e?.count });

    r = await step(page, "replay", ([a]) => window.e2e.call("/api/hello", a), [firstAuth]);
    ok(r.status === 401 && problem(r).code === "challenge_invalid"
       && /^application\/problem\+json/.test(r.contentType || ""),
       "same Authorization again: 401 challenge_invalid (problem+json)", r);

    r = await step(page, "no header", () => window.e2e.call("/api/hello", null));
    const p = problem(r);
    const m = /^WebAuthn realm="api", challenge="([A-Za-z0-9_-]+)"$/.exec(r.wwwAuthenticate || "");
    ok(r.status === 401 && p.code === "credential_missing" && m && p.challenge === m[1],
       "no header: 401 credential_missing, WWW-Authenticate challenge = body challenge", r);

    // retry without another round trip: the challenge of the 401 itself
    if (p.challenge) {
        r = await step(page, "retry with the 401's challenge", async ([c, i]) => {
            const auth = await window.e2e.sign(
                { challenge: c, rpId: "localhost", userVerification: "preferred" }, i);
            return window.e2e.call("/api/hello", auth);
        }, [p.challenge, id]);
        e = echo(r);
        ok(r.status === 200 && e && e.user === "alice",
           "assertion over the challenge taken from the 401: 200", r);
    } else {
        ok(false, "assertion over the challenge taken from the 401: no challenge in the 401");
    }

    // user verification required
    r = await step(page, "uv required, verified",
                   ([i]) => window.e2e.signAndCall("/uv/api/hello", i, "/uv/challenge"), [id]);
    e = echo(r);
    ok(r.status === 200 && e && e.uv === "1" && r.options.userVerification === "required",
       "userVerification required, user verified: 200, $webauthn_user_verified 1", r);

    // an authenticator that does not verify the user: with the options'
    // "preferred" Chromium then refuses the ceremony itself (NotAllowedError),
    // so the client asks for "discouraged" and gets an assertion without UV
    await setUV(false);
    const noUV = { userVerification: "discouraged" };
    let uvErr = null;
    try {
        r = await step(page, "uv required, not verified",
                       ([i, o]) => window.e2e.signAndCall("/uv/api/hello", i, null, o), [id, noUV]);
    } catch (err) {
        uvErr = err.message;
    }
    ok(!uvErr && r.status === 401 && problem(r).code === "user_not_verified",
       "userVerification required, authenticator not verifying: 401 user_not_verified",
       uvErr || r);

    try {
        r = await step(page, "uv preferred, not verified",
                       ([i, o]) => window.e2e.signAndCall("/api/hello", i, null, o), [id, noUV]);
        e = echo(r);
        ok(r.status === 200 && e && e.uv === "0",
           "userVerification preferred, not verified: 200, $webauthn_user_verified 0", r);
    } catch (err) {
        ok(false, "userVerification preferred, not verified: 200", err.message);
    }
    await setUV(true);

    redis("HSET", es.key, "revoked", "1");
    r = await step(page, "revoked", ([i]) => window.e2e.signAndCall("/api/hello", i), [id]);
    ok(r.status === 401 && problem(r).code === "credential_revoked",
       "revoked in Redis (HSET revoked 1): 401 credential_revoked", r);

    // -- round 2: the other algorithms, where the virtual authenticator has them

    for (const [alg, name, kty, user, roles] of [[-257, "RS256", 3, "bob", "admin"],
                                                 [-8, "EdDSA", 1, "carol", "reader"]]) {
        const c = await enroll(alg, name, kty, user, roles);
        if (c.error) {
            if (/NotSupportedError|not supported|NotAllowedError/i.test(c.error)) {
                skip(`${name} credential`, `chromium's virtual authenticator: ${c.error}`);
            } else {
                ok(false, `${name}: registration`, c.error);
            }
            continue;
        }
        if (!c.id) continue;
        r = await step(page, `assert ${name}`,
                       ([i]) => window.e2e.signAndCall("/api/hello", i), [c.id]);
        e = echo(r);
        ok(r.status === 200 && e && e.user === user && e.roles === roles,
           `${name} browser assertion: 200, upstream saw user ${user}, roles "${roles}"`, r);
    }
}

// -- part 2: the registration ceremony in the browser (enroll.html) ------------

const RP_NAME = "ngx_http_webauthn_module e2e";      // run.sh's webauthn_rp_name

const ENROLL_RUNS = [
    {
        kind: "ctap2", user: "dora", display: "Dora Ctap", roles: ["reader", "deployer"],
        authenticator: { protocol: "ctap2", transport: "internal", hasResidentKey: true,
                         hasUserVerification: true, isUserVerified: true,
                         automaticPresenceSimulation: true },
        what: "ctap2, internal, resident key, UV",
        // webauthn_attestation none (the default): the options ask for none
        endpoint: "/webauthn/register", attestation: "none", format: "none",
        transport: "internal", uv: "1",
    },
    {
        kind: "u2f", user: "ursula", display: "Ursula U2F", roles: ["reader"],
        authenticator: { protocol: "u2f", transport: "usb", hasResidentKey: false,
                         hasUserVerification: false, automaticPresenceSimulation: true },
        what: "u2f, usb",
        // webauthn_attestation any: "direct", and Chromium keeps fido-u2f
        endpoint: "/any/register", attestation: "direct", format: "fido-u2f",
        transport: "usb", uv: "0",
    },
];

const SHOTS = [];

// the admin API, from node (not the page), at 127.0.0.1
async function admin(method, route, body) {
    const res = await fetch(`${ADMIN}/${route}`, {
        method,
        headers: body === undefined ? {} : { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(STEP_MS),
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* left null */ }
    return { status: res.status, contentType: res.headers.get("content-type"),
             body: text, json };
}

// clicks a button of enroll.html, waits for its section's next answer and
// returns what the section shows: the checks read the page, not the script
async function press(page, button, section) {
    const sel = `#${section}`;
    const seq = await page.$eval(sel, (s) => Number(s.dataset.seq || 0));
    await page.click(`#${button}`, { timeout: STEP_MS });
    await page.waitForFunction(
        ([q, n]) => Number(document.querySelector(q).dataset.seq || 0) > n,
        [sel, seq], { timeout: STEP_MS });
    return page.$eval(sel, (s) => ({
        status: s.dataset.status,
        statusLine: s.querySelector(".status").textContent,
        problemLine: s.querySelector(".problem").textContent,
        text: s.querySelector(".body").textContent,
    }));
}

function shown(r) {
    try { return JSON.parse(r.text); } catch { return null; }
}

// a refusal as the page shows it: the status, the problem+json's code in
// its body and in the summary line above it
function refusedAs(r, status, code) {
    const p = shown(r);
    return r.status === String(status) && r.statusLine.startsWith(`HTTP ${status} `)
        && /application\/problem\+json/.test(r.statusLine)
        && p !== null && p.code === code && p.status === status
        && r.problemLine.startsWith(`${status} ${code}: `);
}

async function shot(page, kind, n, what) {
    const file = path.join(DIR, `enroll-${kind}-${n}-${what}.png`);
    SHOTS.push(file);
    await page.screenshot({ path: file, fullPage: true, timeout: STEP_MS });
}

async function enrollRun(run) {
    const { kind, user } = run;
    const t0 = Date.now();
    const page = await context.newPage();
    page.on("pageerror", (e) => note(`${kind}: page error: ${e.message}`));
    try {
        await enrollSteps(page, run);
    } catch (err) {
        ok(false, `${kind}: the enrollment run ran to its end`, err.stack || String(err));
    } finally {
        await page.close().catch(() => {});
        note(`${kind}: enrollment run of ${user}: ${Date.now() - t0} ms`);
    }
}

async function enrollSteps(page, run) {
    const { kind, user } = run;
    const roles = run.roles.join(" ");

    // its own tab, so its own virtual authenticator environment
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable", { enableUI: false });
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator",
                                               { options: run.authenticator });
    ok(!!authenticatorId, `${kind}: virtual authenticator (${run.what})`);

    const now = Math.floor(Date.now() / 1000);
    const inv = await admin("POST", "invitations",
                            { user_name: user, display_name: run.display,
                              roles: run.roles, ttl: 600 });
    const token = inv.json?.token;
    if (!ok(inv.status === 201 && typeof token === "string" && token.length >= 32
            && inv.json.expires >= now + 599 && inv.json.expires <= now + 605
            && typeof inv.json.user_handle === "string" && inv.json.user_handle !== "",
            `${kind}: POST ${ADMIN}/invitations for ${user}: 201, a token, ` +
            `expires in the ttl (600 s), a user handle`, inv)) {
        return;
    }

    await page.goto(`${BASE}/enroll.html`, { timeout: STEP_MS });
    ok(await page.evaluate(() => window.isSecureContext && !!window.enrollPage?.ready
                                 && window.enrollPage.hasJSON),
       `${kind}: enroll.html loaded as a secure context, with ` +
       `parseCreationOptionsFromJSON and parseRequestOptionsFromJSON`);

    await page.fill("#token", token);
    await page.fill("#endpoint", run.endpoint);
    await page.fill("#protected", "/api/whoami");

    // the options
    const o = await press(page, "btn-options", "out-options");
    const oj = shown(o);
    await shot(page, kind, 1, "options");
    if (!ok(o.status === "200" && oj !== null && typeof oj.challenge === "string"
            && oj.rp?.id === "localhost" && oj.rp?.name === RP_NAME
            && oj.user?.name === user && oj.user?.displayName === run.display
            && oj.user?.id === inv.json.user_handle && oj.attestation === run.attestation,
            `${kind}: POST ${run.endpoint}/options with the invitation: 200 shown, ` +
            `rp "${RP_NAME}", user ${user} with the invitation's user handle, ` +
            `attestation "${run.attestation}"`, o)) {
        return;
    }

    // the browser makes the credential
    const c = await press(page, "btn-create", "out-create");
    const cj = shown(c);
    await shot(page, kind, 2, "created");
    if (!ok(c.status === "ok" && cj !== null && typeof cj.id === "string"
            && typeof cj.response?.attestationObject === "string"
            && (cj.response.transports || []).includes(run.transport),
            `${kind}: navigator.credentials.create() on the parsed options: ` +
            `a credential, transports [${run.transport}]`, c)) {
        return;
    }
    const id = cj.id;

    // the module registers it
    const g = await press(page, "btn-register", "out-register");
    const gj = shown(g);
    await shot(page, kind, 3, "registered");
    note(`${kind}: registered ${gj?.id}, attestation_format ${gj?.attestation_format}, ` +
         `aaguid ${gj?.aaguid}`);
    if (!ok(g.status === "201" && gj !== null && gj.id === id && gj.user_name === user,
            `${kind}: POST ${run.endpoint} of create()'s toJSON(): 201 shown, ` +
            `the credential's id, user ${user}`, g)) {
        return;
    }
    ok(gj.attestation_format === run.format,
       `${kind}: attestation_format "${run.format}" reported` +
       (run.format === "none" ? "" : " (webauthn_attestation any)"),
       { attestation_format: gj.attestation_format });
    const key = `webauthn:cred:{${id}}`;
    ok(redis("HGET", key, "user_name") === user && redis("HGET", key, "roles") === roles,
       `${kind}: stored as ${key}: user ${user}, the invitation's roles "${roles}"`,
       { user_name: redis("HGET", key, "user_name"), roles: redis("HGET", key, "roles") });

    // a sign-in with it
    const k = await press(page, "btn-call", "out-call");
    const e = shown(k);
    await shot(page, kind, 4, "signed-in");
    ok(k.status === "200" && e !== null && e.user === user && e.credential === id
       && e.roles === roles && e.uv === run.uv && e.uri === "/api/whoami",
       `${kind}: navigator.credentials.get() and GET /api/whoami: 200 shown, ` +
       `upstream saw user ${user}, roles "${roles}", user verified ${run.uv}`, k);

    // revoked by the admin
    const rv = await admin("POST", `credentials/${id}/revoke`);
    ok(rv.status === 200 && rv.json?.id === id && rv.json?.user_name === user
       && rv.json?.revoked === true,
       `${kind}: POST ${ADMIN}/credentials/<id>/revoke: 200, revoked true`, rv);

    const k2 = await press(page, "btn-call", "out-call");
    await shot(page, kind, 5, "revoked");
    ok(refusedAs(k2, 401, "credential_revoked"),
       `${kind}: the next sign-in and call: 401 credential_revoked shown on the page`, k2);

    // the invitation again: used
    const o2 = await press(page, "btn-options", "out-options");
    await shot(page, kind, 6, "invitation-used");
    ok(refusedAs(o2, 401, "invitation_invalid"),
       `${kind}: a second registration with the used invitation: options ` +
       `401 invitation_invalid shown on the page`, o2);
    const g2 = await press(page, "btn-register", "out-register");
    await shot(page, kind, 7, "register-again");
    ok(refusedAs(g2, 401, "invitation_invalid"),
       `${kind}: a second registration with the used invitation: register ` +
       `401 invitation_invalid shown on the page`, g2);
}

function screenshotsWritten() {
    const bad = SHOTS.filter((f) => {
        try {
            return !readFileSync(f).subarray(0, 8).equals(
                Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
        } catch {
            return true;
        }
    });
    ok(SHOTS.length === 14 && bad.length === 0,
       `screenshots of each enrollment state: ${SHOTS.length} PNGs in ${DIR}`,
       { missing_or_not_png: bad, expected: 14 });
}

let code = 0;
try {
    await main();
} catch (err) {
    ok(false, "the test ran to its end", err.stack || String(err));
} finally {
    try { if (context) await context.close(); } catch (err) { note(`close: ${err.message}`); }
    rmSync(profile, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
code = failed || !passed ? 1 : 0;
process.exit(code);
