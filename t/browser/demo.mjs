// make test-browser, part 3: the demo page that "make run" serves at "/"
// (conf/demo, served with conf/webauthn.conf's own location lines: see
// run.sh), driven as a person would, through its buttons, and checked by
// what the page shows.  One virtual authenticator (ctap2, internal, resident
// key, UV):
//
//   the invitation link make run prints (/#invitation=<token>) fills the
//   field; demo mode's button makes another; "Enroll a passkey"
//   (options, create(), register); "Sign in and call" /api/hello; the last
//   assertion again (challenge_invalid); a session token and a call with
//   it; a revocation through the admin API (from node): the next assertion
//   is refused at once, the session token within ~6 s (credential_revoked).
//
// A screenshot of each state in E2E_BROWSER_DIR/demo-*.png.  Called by
// e2e.mjs with its context and reporting; exports demo().

import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const USER = "erin";
const ROLES = "reader deployer";
const REVOCATION_BOUND_MS = 6500;   // the list is read every 5 s, per worker

// t: { context, ok, note, admin, redis, base, dir, stepMs }
export async function demo(t) {
    const { context, note, dir } = t;
    for (const png of readdirSync(dir).filter((f) => /^demo-.*\.png$/.test(f))) {
        rmSync(path.join(dir, png));
    }
    const t0 = Date.now();
    const page = await context.newPage();
    page.on("pageerror", (e) => note(`demo: page error: ${e.message}`));
    page.on("console", (m) => {
        // the refusals the page asks for are logged by the browser as such
        if (m.type() === "error" && !/^Failed to load resource/.test(m.text())) {
            note(`demo: console: ${m.text()}`);
        }
    });
    const shots = [];
    try {
        await steps(t, page, shots);
    } catch (err) {
        t.ok(false, "demo: the run through the page ran to its end", err.stack || String(err));
    } finally {
        await page.close().catch(() => {});
        note(`demo: the run through the page: ${Date.now() - t0} ms`);
    }
    const bad = shots.filter((f) => {
        try { return !readFileSync(f).subarray(0, 8).equals(PNG); } catch { return true; }
    });
    t.ok(shots.length === 10 && bad.length === 0,
         `demo: screenshots of each state: ${shots.length} PNGs (demo-*.png) in ${dir}`,
         { missing_or_not_png: bad, expected: 10, written: shots.length });
}

// what an answer area of the page shows: its last answer's status and
// problem fields, the body as displayed, the trail of the steps before
async function area(page, id) {
    return page.$eval(`#${id}`, (a) => {
        const c = a.querySelector(".card:last-of-type");
        const text = (sel) => c?.querySelector(sel)?.textContent ?? null;
        return {
            seq: Number(a.dataset.seq || 0),
            status: a.dataset.status,
            code: a.dataset.code,
            statusLine: text(".status"),
            problem: c?.querySelector("dl.problem") ? {
                status: text("dd.field-status"), code: text("dd.field-code"),
                title: text("dd.field-title"), detail: text("dd.field-detail"),
            } : null,
            summary: text(".summary"),
            error: text(".error"),
            body: text("pre.body"),
            trail: [...a.querySelectorAll(".trail li")].map((li) => li.textContent),
            visible: !!c && c.getBoundingClientRect().height > 0,
        };
    });
}

// clicks a button and waits for its answer area's next answer
async function press(t, page, button, id) {
    const before = (await area(page, id)).seq;
    await page.click(`#${button}`, { timeout: t.stepMs });
    await page.waitForFunction(([q, n]) => Number(document.querySelector(q).dataset.seq || 0) > n,
                               [`#${id}`, before], { timeout: t.stepMs });
    return area(page, id);
}

function json(r) {
    try { return JSON.parse(r.body); } catch { return null; }
}

// a refusal as a person reads it: the status line, and code, title and
// detail of the problem+json
function refused(r, status, code) {
    return r.status === String(status) && r.code === code && r.visible
        && r.statusLine === `${status} Unauthorized`
        && r.problem?.status === String(status) && r.problem?.code === code
        && !!r.problem?.title && !!r.problem?.detail;
}

async function steps(t, page, shots) {
    const { ok, admin, redis, base, dir, stepMs } = t;
    let n = 0;
    const shot = async (what) => {
        const file = path.join(dir, `demo-${++n}-${what}.png`);
        shots.push(file);
        await page.screenshot({ path: file, fullPage: true, timeout: stepMs });
    };

    const cdp = await t.context.newCDPSession(page);
    await cdp.send("WebAuthn.enable", { enableUI: false });
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
        options: { protocol: "ctap2", transport: "internal", hasResidentKey: true,
                   hasUserVerification: true, isUserVerified: true,
                   automaticPresenceSimulation: true },
    });
    ok(!!authenticatorId, "demo: virtual authenticator (ctap2, internal, resident key, UV)");

    // the link make run prints
    const printed = await admin("POST", "invitations", { user_name: "you", roles: ["reader"] });
    if (!ok(printed.status === 201 && printed.json?.token,
            "demo: an invitation as make run makes it (admin API, from node)", printed)) {
        return;
    }
    const res = await page.goto(`${base}/#invitation=${printed.json.token}`, { timeout: stepMs });
    const loaded = await page.evaluate(() => ({
        secure: window.isSecureContext, ready: !!window.demoPage?.ready,
        supported: !!window.demoPage?.supported,
        field: document.getElementById("invitation").value,
        hash: location.hash, title: document.title,
        warning: !document.getElementById("unsupported").hidden,
    }));
    const headers = res.headers();
    ok(res.status() === 200 && /^text\/html/.test(headers["content-type"] || "")
       && /default-src 'self'/.test(headers["content-security-policy"] || "")
       && loaded.secure && loaded.ready && loaded.supported && !loaded.warning,
       `demo: ${base}/ serves the page (text/html, a CSP), a secure context, ` +
       "its script running under the CSP, the WebAuthn JSON methods there",
       { status: res.status(), headers, loaded });
    ok(loaded.field === printed.json.token && loaded.hash === "",
       "demo: the printed link's invitation is in the field, and out of the address bar", loaded);
    await shot("start");

    // demo mode: an invitation from the page
    await page.click("#demo-mode summary");
    await page.fill("#user-name", USER);
    await page.fill("#roles", ROLES);
    const inv = await press(t, page, "btn-invite", "answer-invitation");
    const field = await page.inputValue("#invitation");
    const ij = json(inv);
    ok(inv.status === "201" && inv.statusLine === "201 Created" && ij?.token === field
       && field !== printed.json.token && /^[A-Za-z0-9_-]{43}$/.test(field)
       && inv.summary?.includes(USER),
       `demo: "Create an invitation" (admin API from the page): 201 shown, ` +
       "its token put in the field", { inv, field });
    await shot("invitation");

    // enrollment
    const en = await press(t, page, "btn-enroll", "answer-enroll");
    const ej = json(en);
    ok(en.status === "201" && ej?.user_name === USER && typeof ej.id === "string"
       && en.trail.length === 2 && /^POST \/webauthn\/register\/options: 200/.test(en.trail[0])
       && /^navigator\.credentials\.create\(\): done/.test(en.trail[1]),
       `demo: "Enroll a passkey": options 200, create() done, register 201 shown, user ${USER}`,
       en);
    const id = ej?.id;
    if (!id) return;
    const key = `webauthn:cred:{${id}}`;
    ok(redis("HGET", key, "user_name") === USER && redis("HGET", key, "roles") === ROLES,
       `demo: stored as ${key}, user ${USER}, roles "${ROLES}" (the page's invitation)`,
       { user_name: redis("HGET", key, "user_name"), roles: redis("HGET", key, "roles") });
    const passkeyLine = await page.textContent("#passkey");
    ok(passkeyLine.includes(USER), "demo: the page names the enrolled passkey", passkeyLine);
    await shot("enrolled");

    // a call with a fresh assertion
    const c1 = await press(t, page, "btn-call", "answer-call");
    const e1 = json(c1);
    ok(c1.status === "200" && c1.statusLine === "200 OK" && e1?.user === USER
       && e1.roles === ROLES && e1.credential === id && e1.uri === "/api/hello"
       && e1.authorization === ""
       && /^GET \/webauthn\/challenge: 200/.test(c1.trail[0] || "")
       && /^navigator\.credentials\.get\(\): done/.test(c1.trail[1] || ""),
       `demo: "Sign in and call": challenge, get(), GET /api/hello 200 shown, ` +
       `the upstream saw ${USER}, "${ROLES}", no Authorization`, c1);
    await shot("called");

    // tampered: the same Authorization header again
    const c2 = await press(t, page, "btn-replay", "answer-call");
    ok(refused(c2, 401, "challenge_invalid"),
       "demo: the last assertion again: 401 challenge_invalid shown with its title and detail",
       c2);
    await shot("replayed");

    // a session
    const s1 = await press(t, page, "btn-session", "answer-session");
    const sj = json(s1);
    ok(s1.status === "200" && sj?.token_type === "Bearer" && typeof sj.token === "string"
       && sj.expires_in > 0 && s1.summary?.includes(USER)
       && /^POST \/webauthn\/session$/.test(await page.$eval(
           "#answer-session .card .request", (e) => e.textContent)),
       `demo: "Get a session token": POST /webauthn/session 200 shown, a Bearer token ` +
       `of ${USER}, its claims`, s1);
    await shot("session");

    const s2 = await press(t, page, "btn-session-call", "answer-session-call");
    const se = json(s2);
    ok(s2.status === "200" && se?.user === USER && se.roles === ROLES && se.credential === id
       && se.authorization === "",
       `demo: "Call with the session token": 200 shown, the upstream saw ${USER}`, s2);
    await shot("session-call");

    // revoked by the administrator
    const rv = await admin("POST", `credentials/${id}/revoke`);
    const revokedAt = Date.now();
    ok(rv.status === 200 && rv.json?.revoked === true,
       "demo: POST <admin>/credentials/<id>/revoke (from node): 200, revoked", rv);

    const c3 = await press(t, page, "btn-call", "answer-call");
    ok(refused(c3, 401, "credential_revoked"),
       "demo: the next sign-in and call: 401 credential_revoked shown on the page", c3);
    await shot("revoked");

    // the session token: refused once the workers have read the list
    let s3, tries = 0;
    for (;;) {
        s3 = await press(t, page, "btn-session-call", "answer-session-call");
        tries++;
        if (s3.status !== "200" || Date.now() - revokedAt > REVOCATION_BOUND_MS) break;
        await page.waitForTimeout(250);
    }
    const took = Date.now() - revokedAt;
    ok(refused(s3, 401, "credential_revoked") && took <= REVOCATION_BOUND_MS,
       `demo: the session token after the revocation: 401 credential_revoked shown, ` +
       `${took} ms after it (${tries} calls; bound ${REVOCATION_BOUND_MS} ms)`, s3);
    await shot("session-revoked");

    // the history holds every answer, the refusals with their codes
    const log = await page.$$eval("#log > li summary", (s) => s.map((e) => e.textContent));
    ok(log.length === 15 + tries && log.filter((l) => /: 401 Unauthorized, challenge_invalid: /.test(l)).length === 1
       && log.filter((l) => /: 401 Unauthorized, credential_revoked: /.test(l)).length === 2,
       `demo: "Every answer" lists all ${log.length} exchanges, the refusals with code and title`,
       log);
    await page.locator("#log summary", { hasText: "challenge_invalid" }).click({ timeout: stepMs });
    await shot("history");
}
