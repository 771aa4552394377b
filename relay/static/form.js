// Kith sign-up form: builds the form from its public definition, encrypts each submission in
// this browser (WebCrypto: ECDH P-256, HKDF-SHA256, AES-256-GCM) to the organizers' public key,
// and posts only the ciphertext. Byte layout: vault/crypto/intake_seal.py. No other script,
// no third-party request: the page's Content-Security-Policy allows this origin only.
"use strict";
(function () {
  const te = new TextEncoder();
  const formId = location.pathname.split("/")[2];
  const $ = (id) => document.getElementById(id);

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  function unb64url(text) {
    const b = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(b, (c) => c.charCodeAt(0));
  }
  function unhex(text) {
    return Uint8Array.from(text.match(/../g), (h) => parseInt(h, 16));
  }
  function pad(data) {  // ISO/IEC 7816-4 to a multiple of 512 bytes
    const len = data.length + 1;
    const out = new Uint8Array(len + ((512 - (len % 512)) % 512));
    out.set(data); out[data.length] = 0x80;
    return out;
  }

  async function seal(publicRaw, formIdBytes, plaintext) {
    const pub = await crypto.subtle.importKey("raw", publicRaw, { name: "ECDH", namedCurve: "P-256" }, false, []);
    const eph = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: pub }, eph.privateKey, 256);
    const ephRaw = new Uint8Array(await crypto.subtle.exportKey("raw", eph.publicKey));
    const ikm = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
    const key = await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: formIdBytes, info: concat(te.encode("kith/intake/1"), publicRaw) },
      ikm, { name: "AES-GCM", length: 256 }, false, ["encrypt"]);
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    const header = concat(te.encode("KITHINT1"), new Uint8Array([1]), ephRaw, nonce);
    const body = new Uint8Array(await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: concat(header, formIdBytes), tagLength: 128 },
      key, pad(plaintext)));
    return concat(header, body);
  }

  function field(spec) {
    const label = document.createElement("label");
    label.textContent = spec.label + (spec.required ? " *" : "");
    label.htmlFor = "f-" + spec.name;
    const input = document.createElement("input");
    input.type = { email: "email", phone: "tel" }[spec.name] || "text";
    input.id = "f-" + spec.name; input.name = spec.name; input.maxLength = 200;
    input.required = !!spec.required;
    $("fields").append(label, input);
  }
  function consent(spec) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.id = "c-" + spec.id; box.value = spec.id;
    const text = document.createElement("span");
    text.textContent = spec.label;
    label.append(box, text);
    $("consents").append(label);
  }

  async function main() {
    const def = await (await fetch("/f/" + formId + "/definition", { cache: "no-store" })).json();
    $("title").textContent = def.title || "Sign up";
    document.title = def.title || "Sign up";
    $("intro").textContent = def.intro || "";
    def.fields.forEach(field);
    def.consents.forEach(consent);
    const publicRaw = unb64url(def.public_key);
    const formIdBytes = unhex(formId);
    $("signup").addEventListener("submit", async (event) => {
      event.preventDefault();
      const values = {};
      for (const spec of def.fields) {
        const value = $("f-" + spec.name).value.trim();
        if (spec.required && !value) { $("status").textContent = spec.label + " is required."; return; }
        if (value) values[spec.name] = value;
      }
      const chosen = def.consents.filter((c) => $("c-" + c.id).checked).map((c) => c.id);
      const submission = { kind: "web", fields: values, consents: chosen, at: new Date().toISOString() };
      // an invitee's own link (#i=CODE): sealed with the answers, never sent to the relay in clear
      const ref = /^#i=([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
      if (ref) submission.ref = ref[1];
      $("send").disabled = true;
      try {
        const sealed = await seal(publicRaw, formIdBytes, te.encode(JSON.stringify(submission)));
        const reply = await fetch("/f/" + formId + "/submit", {
          method: "POST", body: sealed, headers: { "Content-Type": "application/octet-stream" } });
        if (!reply.ok) throw new Error("status " + reply.status);
        $("signup").reset();
        $("status").textContent = def.thanks || "Thank you: you are signed up.";
      } catch (err) {
        $("status").textContent = "Sorry, that did not go through. Please try again.";
      } finally {
        $("send").disabled = false;
      }
    });
    document.body.dataset.ready = "1";
  }
  main();
})();
