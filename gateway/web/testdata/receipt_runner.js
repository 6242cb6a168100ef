// receipt_runner.js runs CertledgerOffline.verifyReceipt (static/offline.js) under Node
// on the cases receipt_test.go writes, and prints one JSON array with each answer.
// Usage: node receipt_runner.js PATH/TO/offline.js CASES.json
'use strict';
const fs = require('fs');
const off = require(process.argv[2]);
const cases = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));

(async () => {
  const out = [];
  for (const c of cases) {
    const b = off.verifyTrustBundle(c.bundle, c.pin);
    try {
      const t0 = process.hrtime.bigint();
      const r = await off.verifyReceipt(c.receipt, c.fileHash, b, c.pin, c.now);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      out.push({ verdict: r.verdict, steps: r.steps.map((s) => ({ step: s.step, name: s.name, status: s.status, code: s.code, detail: s.detail })),
        unknown: r.unknown, ms });
    } catch (e) {
      out.push({ exception: String(e && e.stack || e) });
    }
  }
  out.push({ stateFields: off.CERT_STATE_FIELDS, signedFields: off.CERT_SIGNED_FIELDS, headerFields: off.BATCH_HEADER_FIELDS, batchV2Fields: off.BATCH_V2_RECORD_FIELDS });
  process.stdout.write(JSON.stringify(out));
})();
