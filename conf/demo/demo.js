/*
 * The passkey demo page of ngx_http_webauthn_module: plain JavaScript, no
 * build step.  It uses the browser's WebAuthn API
 * (PublicKeyCredential.parseCreationOptionsFromJSON,
 * parseRequestOptionsFromJSON, toJSON) and the gateway's endpoints, as
 * conf/webauthn.conf configures them:
 *
 *   POST /webauthn/admin/invitations   an invitation (demo mode)
 *   POST /webauthn/register/options    creation options, for an invitation
 *   POST /webauthn/register            the new credential
 *   GET  /webauthn/challenge           a challenge for an assertion
 *   GET  /api/hello                    Authorization: WebAuthn <assertion>
 *                                      or Bearer <session token>
 *   POST /webauthn/session             a session token, for an assertion
 *   POST /webauthn/admin/credentials/<id>/revoke   (demo mode)
 *
 * Every answer is shown under its step and in "Every answer"; nothing is
 * written into the page as HTML (textContent only).
 */
"use strict";

const CHALLENGE_URL = "/webauthn/challenge";
const REGISTER_URL = "/webauthn/register";
const SESSION_URL = "/webauthn/session";
const ADMIN_URL = "/webauthn/admin";
const STORED = "ngx-webauthn-demo-passkey";    /* localStorage: id, user */

const $ = (id) => document.getElementById(id);

const state = {
    passkey: null,      /* the passkey enrolled here: {id, user, transports} */
    last: null,         /* the last assertion sent: {url, authorization} */
    session: null,      /* the session token (memory only) */
};

const REASONS = {
    200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
    500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable",
};

/* -- encoding ------------------------------------------------------------ */

/* the Authorization header's token: base64url of the JSON's UTF-8 */
function b64urlText(text) {
    let bin = "";
    for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/* a session token's claims (the middle part of the JWS), for display */
function claims(token) {
    try {
        const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
        const bin = atob(part + "=".repeat((4 - part.length % 4) % 4));
        const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
        return JSON.parse(new TextDecoder().decode(bytes));
    } catch {
        return null;
    }
}

function when(seconds) {
    return new Date(seconds * 1000).toLocaleTimeString();
}

function short(id) {
    return id.length > 16 ? `${id.slice(0, 8)}...${id.slice(-6)}` : id;
}

/* -- talking to the gateway and the browser -------------------------------
 *
 * Each returns an "exchange": what was done and what came back, which
 * show() and record() display.
 */

async function http(method, url, what, { authorization, json, body } = {}) {
    const headers = {};
    if (authorization) headers.Authorization = authorization;
    if (json !== undefined) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(json);
    }
    const x = { kind: "http", method, url, what };
    try {
        const res = await fetch(url, { method, headers, body, cache: "no-store",
                                       credentials: "same-origin" });
        x.status = res.status;
        x.reason = res.statusText || REASONS[res.status] || "";
        x.contentType = res.headers.get("Content-Type") || "";
        x.body = await res.text();
        x.ok = res.ok;
    } catch (e) {
        x.status = 0;
        x.ok = false;
        x.error = `the request failed: ${e.message}`;
        x.body = "";
    }
    if (x.body && /json/.test(x.contentType)) {
        try { x.json = JSON.parse(x.body); } catch { /* shown as text */ }
    }
    if (x.json && /^application\/problem\+json/.test(x.contentType)) {
        x.problem = x.json;
    }
    record(x);
    return x;
}

/* what the browser says when a ceremony fails, in plain words */
const BROWSER_HINTS = {
    NotAllowedError: "cancelled, timed out, or no passkey of this site on " +
        "the authenticator",
    SecurityError: "this page's address is not one the gateway's passkeys " +
        "are for: open it at http://localhost:8080/ (not 127.0.0.1)",
    InvalidStateError: "this authenticator already holds a passkey for " +
        "this user",
    NotSupportedError: "the authenticator supports none of the algorithms " +
        "offered",
};

async function browser(what, api, fn) {
    const x = { kind: "browser", api, what };
    try {
        x.value = await fn();
        x.ok = true;
        x.body = JSON.stringify(x.value);
    } catch (e) {
        x.ok = false;
        x.error = `${e.name}: ${e.message}`;
        x.hint = BROWSER_HINTS[e.name] || "";
        x.body = "";
    }
    record(x);
    return x;
}

/* a step that sent nothing, and why */
function nothing(what, why) {
    return { kind: "note", what, ok: false, error: why };
}

/* a fresh assertion: a challenge, signed by the passkey; its header */
async function assertion(trace) {
    const ch = await http("GET", CHALLENGE_URL, "a fresh challenge");
    trace.push(ch);
    if (ch.status !== 200 || !ch.json) return null;

    const options = Object.assign({}, ch.json);
    if (state.passkey) {
        options.allowCredentials = [{ type: "public-key", id: state.passkey.id,
                                      transports: state.passkey.transports }];
    }
    const got = await browser("your passkey signs the challenge",
                              "navigator.credentials.get()", async () => {
        const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
        const cred = await navigator.credentials.get({ publicKey });
        return cred.toJSON();
    });
    trace.push(got);
    if (!got.ok) return null;
    return "WebAuthn " + b64urlText(JSON.stringify(got.value));
}

/* -- the steps ------------------------------------------------------------ */

async function invite() {
    const user = $("user-name").value.trim();
    const roles = $("roles").value.split(/[\s,]+/).filter(Boolean);
    if (!user) {
        show("answer-invitation", [nothing("an invitation", "type a user name first")]);
        return;
    }
    const x = await http("POST", `${ADMIN_URL}/invitations`,
                         `an invitation for ${user}`,
                         { json: { user_name: user, display_name: user, roles } });
    if (x.status === 201 && x.json && x.json.token) {
        $("invitation").value = x.json.token;
        x.summary = `An invitation for ${user} (roles: ${roles.join(" ") || "none"}), ` +
            `good until ${when(x.json.expires)}: it is in the field above.`;
    }
    show("answer-invitation", [x]);
}

async function enroll() {
    const token = $("invitation").value.trim();
    if (!token) {
        show("answer-enroll", [nothing("enrollment", "no invitation: step 1 first")]);
        return;
    }
    const authorization = "Invitation " + token;
    const trace = [];

    const opt = await http("POST", `${REGISTER_URL}/options`,
                           "creation options for your invitation", { authorization });
    trace.push(opt);
    if (opt.status === 200 && opt.json) {
        const made = await browser("your authenticator makes a passkey",
                                   "navigator.credentials.create()", async () => {
            const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(opt.json);
            const cred = await navigator.credentials.create({ publicKey });
            return cred.toJSON();
        });
        trace.push(made);
        if (made.ok) {
            const reg = await http("POST", REGISTER_URL,
                                   "your new passkey, to be checked and stored",
                                   { authorization, json: made.value });
            trace.push(reg);
            if (reg.status === 201 && reg.json) {
                remember({ id: reg.json.id, user: reg.json.user_name,
                           transports: made.value.response.transports || [] });
                reg.summary = `Enrolled: passkey ${short(reg.json.id)} of ` +
                    `${reg.json.user_name}. Steps 3 and 4 use it.`;
            }
        }
    }
    show("answer-enroll", trace);
}

async function call() {
    const url = $("api-url").value.trim() || "/api/hello";
    const trace = [];
    const authorization = await assertion(trace);
    if (authorization) {
        state.last = { url, authorization };
        trace.push(await http("GET", url, "the API, with a fresh assertion",
                              { authorization }));
    }
    show("answer-call", trace);
}

async function replay() {
    if (!state.last) {
        show("answer-call", [nothing("a replay", "no assertion sent yet: sign in and call first")]);
        return;
    }
    const x = await http("GET", state.last.url,
                         "the API, with the last assertion again (a replay)",
                         { authorization: state.last.authorization });
    show("answer-call", [x]);
}

async function session() {
    const trace = [];
    const authorization = await assertion(trace);
    if (authorization) {
        const x = await http("POST", SESSION_URL, "a session, for a fresh assertion",
                             { authorization });
        trace.push(x);
        if (x.status === 200 && x.json && x.json.token) {
            state.session = x.json.token;
            const c = claims(x.json.token) || {};
            x.summary = `A session token for ${c.sub || "?"} ` +
                `(roles: ${(c.roles || []).join(" ") || "none"}), ` +
                `good for ${x.json.expires_in} s, until ${c.exp ? when(c.exp) : "?"}.`;
            x.claims = c;
        }
    }
    show("answer-session", trace);
}

async function sessionCall() {
    if (!state.session) {
        show("answer-session-call", [nothing("a call with the session",
                                             "no session token yet: get one first")]);
        return;
    }
    const url = $("api-url").value.trim() || "/api/hello";
    const x = await http("GET", url, "the API, with the session token",
                         { authorization: "Bearer " + state.session });
    show("answer-session-call", [x]);
}

async function revoke() {
    if (!state.passkey) {
        show("answer-revoke", [nothing("a revocation", "no passkey enrolled from this page")]);
        return;
    }
    const x = await http("POST",
                         `${ADMIN_URL}/credentials/${encodeURIComponent(state.passkey.id)}/revoke`,
                         `revoke passkey ${short(state.passkey.id)}`);
    if (x.status === 200) {
        x.summary = "Revoked: its next assertion is refused at once, its " +
            "session tokens within about 5 seconds.";
    }
    show("answer-revoke", [x]);
}

/* -- the passkey enrolled here --------------------------------------------- */

function remember(passkey) {
    state.passkey = passkey;
    try { localStorage.setItem(STORED, JSON.stringify(passkey)); } catch { /* private mode */ }
    showPasskey();
}

function showPasskey() {
    const p = $("passkey");
    p.textContent = state.passkey
        ? `Your passkey: ${short(state.passkey.id)}, user ${state.passkey.user}. ` +
          "Sign-ins ask for this one."
        : "No passkey enrolled from this page yet: sign-ins offer any passkey " +
          "of this site.";
}

/* -- display ---------------------------------------------------------------- */

function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
}

function pretty(x) {
    if (x.json !== undefined) return JSON.stringify(x.json, null, 2);
    return x.body || "";
}

function title(x) {
    if (x.kind === "http") return `${x.method} ${x.url}`;
    if (x.kind === "browser") return x.api;
    return x.what;
}

/* "401 Unauthorized", "ok", "refused by the browser" */
function outcome(x) {
    if (x.kind === "http") return x.status ? `${x.status} ${x.reason}`.trim() : "no answer";
    if (x.kind === "browser") return x.ok ? "done" : "refused by the browser";
    return "nothing sent";
}

/* one exchange, in full: what was asked, the answer, its reasons */
function card(x) {
    const c = el("div", `card ${x.ok ? "ok" : "refused"}`);
    c.dataset.status = x.kind === "http" ? String(x.status) : (x.ok ? "ok" : "error");
    const head = el("div", "head");
    head.append(el("span", "status", outcome(x)), " ",
                el("span", "request", title(x)), " ",
                el("span", "what", x.what));
    c.append(head);

    if (x.problem) {
        const dl = el("dl", "problem");
        for (const [k, v] of [["Status", x.problem.status], ["Code", x.problem.code],
                              ["Title", x.problem.title], ["Detail", x.problem.detail]]) {
            dl.append(el("dt", "", k),
                      el("dd", `field-${k.toLowerCase()}`, v === undefined ? "" : String(v)));
        }
        c.append(dl);
        c.dataset.code = x.problem.code || "";
    }
    if (x.error) c.append(el("p", "error", x.error));
    if (x.hint) c.append(el("p", "hint", `Likely: ${x.hint}.`));
    if (x.summary) c.append(el("p", "summary", x.summary));
    if (x.claims) {
        const dl = el("dl", "claims");
        for (const [k, v] of Object.entries(x.claims)) {
            const shown = Array.isArray(v) ? v.join(" ")
                : (["iat", "exp", "auth_time"].includes(k) ? `${v} (${when(v)})` : String(v));
            dl.append(el("dt", "", k), el("dd", "", shown));
        }
        c.append(el("p", "label", "Its claims (the token's payload):"), dl);
    }
    const text = pretty(x);
    if (text) {
        c.append(el("p", "label", x.kind === "http"
            ? `The body${x.contentType ? ` (${x.contentType})` : ""}:` : "What the browser returned:"));
        c.append(el("pre", "body", text));
    }
    return c;
}

/*
 * shows an action's exchanges under its step: the steps before as a
 * trail, the last (the answer that decided) in full.  data-seq counts the
 * answers shown; data-status and data-code are the last one's.
 */
function show(area, trace) {
    const a = $(area);
    a.replaceChildren();
    if (trace.length > 1) {
        const trail = el("ol", "trail");
        for (const x of trace.slice(0, -1)) {
            trail.append(el("li", x.ok ? "ok" : "refused", `${title(x)}: ${outcome(x)}`));
        }
        a.append(trail);
    }
    const last = trace[trace.length - 1];
    a.append(card(last));
    a.dataset.status = last.kind === "http" ? String(last.status) : (last.ok ? "ok" : "error");
    a.dataset.code = last.problem ? last.problem.code || "" : "";
    a.dataset.seq = String(Number(a.dataset.seq || 0) + 1);
}

/* every exchange, newest first, at the bottom of the page */
let recorded = 0;

function record(x) {
    const li = el("li", x.ok ? "ok" : "refused");
    li.value = ++recorded;
    const d = el("details");
    let line = `${new Date().toLocaleTimeString()}  ${title(x)} (${x.what}): ${outcome(x)}`;
    if (x.problem) {
        line += `, ${x.problem.code}: ${x.problem.title}` +
            (x.problem.detail && x.problem.detail !== x.problem.title ? ` (${x.problem.detail})` : "");
    } else if (x.error) {
        line += `, ${x.error}`;
    }
    d.append(el("summary", "", line));
    d.append(el("pre", "body", pretty(x) || "(no body)"));
    li.append(d);
    $("log").prepend(li);
}

/* -- start ----------------------------------------------------------------- */

/* one action at a time: the buttons wait while one runs */
function action(fn) {
    return async () => {
        const buttons = document.querySelectorAll("button");
        buttons.forEach((b) => { b.disabled = true; });
        try {
            await fn();
        } finally {
            buttons.forEach((b) => { b.disabled = false; });
        }
    };
}

const supported = window.isSecureContext
    && typeof PublicKeyCredential === "function"
    && typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function"
    && typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";

function start() {
    $("origin").textContent = location.origin;
    if (!supported) {
        const w = $("unsupported");
        w.textContent = window.isSecureContext
            ? "This browser lacks the WebAuthn JSON methods this page uses " +
              "(PublicKeyCredential.parseCreationOptionsFromJSON): use a " +
              "recent Chrome, Edge, Firefox or Safari."
            : "This page is not a secure context, so the browser offers no " +
              "passkeys: open it at http://localhost:8080/ (or over https).";
        w.hidden = false;
    }

    /* the link make run prints: /#invitation=<token>; taken out of the
       address bar at once, so that it is neither bookmarked nor shared */
    const fromLink = new URLSearchParams(location.hash.slice(1)).get("invitation");
    if (fromLink) {
        $("invitation").value = fromLink;
        history.replaceState(null, "", location.pathname + location.search);
    }

    try {
        const p = JSON.parse(localStorage.getItem(STORED) || "null");
        if (p && typeof p.id === "string") state.passkey = p;
    } catch { /* none */ }
    showPasskey();

    $("btn-invite").addEventListener("click", action(invite));
    $("btn-enroll").addEventListener("click", action(enroll));
    $("btn-call").addEventListener("click", action(call));
    $("btn-replay").addEventListener("click", action(replay));
    $("btn-session").addEventListener("click", action(session));
    $("btn-session-call").addEventListener("click", action(sessionCall));
    $("btn-revoke").addEventListener("click", action(revoke));

    window.demoPage = { ready: true, supported, invitationFromLink: !!fromLink };
}

start();
