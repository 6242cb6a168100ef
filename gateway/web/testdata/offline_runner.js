// offline_runner.js drives static/offline.js (and through it the vendored sm-crypto-v2)
// under Node for offline_test.go. Usage: node offline_runner.js PATH/TO/offline.js VECTORS.json
// Prints one JSON object with the result of every vector, and the SM2 verify timing.
'use strict';
const fs = require('fs');
const off = require(process.argv[2]);
const v = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const bytes = (h) => off.unhex(h);
const out = { sm3: [], sig: [], keys: [], payloads: [], canonBad: [], bundles: [], keyValid: [] };

for (const c of v.sm3) out.sm3.push(off.sm3Hex(bytes(c.dataHex)));
for (const c of v.sig) {
  const r = off.verifySM2(c.pem, bytes(c.msgHex), c.sig);
  out.sig.push({ ok: r.ok, code: r.code || '' });
}
for (const c of v.keys) {
  try {
    out.keys.push({ ok: true, keyId: off.parsePublicKeyPEM(c.pem).keyId });
  } catch (e) {
    out.keys.push({ ok: false, code: e.code });
  }
}
for (const c of v.payloads) {
  try {
    out.payloads.push(Buffer.from(off.payload(c.kind, c.record, c.fields, c.optional)).toString('utf8'));
  } catch (e) {
    out.payloads.push('ERROR ' + e.message);
  }
}
for (const c of v.canonBad) {
  try {
    off.canonicalize(c);
    out.canonBad.push('accepted');
  } catch (e) {
    out.canonBad.push(e.code);
  }
}
const parsed = [];
for (const c of v.bundles) {
  const r = off.verifyTrustBundle(Buffer.from(c.data, 'utf8'), c.pin);
  out.bundles.push({ ok: r.ok, code: r.code || '', fingerprint: r.fingerprint || '' });
  parsed.push(r.bundle);
}
for (const c of v.keyValid) {
  const a = off.keyValidAt(parsed[c.bundle], c.dept, c.keyId, c.at);
  out.keyValid.push({ valid: a.valid, code: a.code, afterBundle: a.afterBundle, asOfHeight: a.asOfHeight });
}

// Timing: SM2 verifications of one payload-sized message, after a warm-up.
const b = v.bench;
const msg = bytes(b.msgHex);
for (let i = 0; i < 20; i++) off.verifySM2(b.pem, msg, b.sig);
let t0 = process.hrtime.bigint();
for (let i = 0; i < b.n; i++) {
  if (!off.verifySM2(b.pem, msg, b.sig).ok) throw new Error('bench signature did not verify');
}
const verifyMs = Number(process.hrtime.bigint() - t0) / 1e6 / b.n;
t0 = process.hrtime.bigint();
for (let i = 0; i < 20; i++) {
  if (!off.verifyTrustBundle(Buffer.from(v.bundles[0].data, 'utf8'), v.bundles[0].pin).ok) throw new Error('bench bundle');
}
const bundleMs = Number(process.hrtime.bigint() - t0) / 1e6 / 20;
out.timing = { sm2VerifyMs: verifyMs, bundleVerifyMs: bundleMs, bundleBytes: v.bundles[0].data.length, node: process.version };
console.log(JSON.stringify(out));
