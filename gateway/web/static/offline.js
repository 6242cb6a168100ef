/*
 * offline.js — the building blocks of offline verification in the browser: strict JSON
 * and canonical payloads (as internal/canon), SM3, strict SM2 signature checks with the
 * default user ID 1234567812345678 (as internal/gm), and the governance-signed trust
 * bundle (as internal/trust): verify it against a pinned fingerprint and ask it whether a
 * department's key was valid at a time.
 *
 * Curve arithmetic and SM3 come from the vendored sm-crypto-v2 (vendor/sm-crypto-v2.js,
 * global SmCryptoV2); everything it is lax about is checked here first, exactly as the Go
 * code checks it: DER signatures (one SEQUENCE of two minimal positive INTEGERs, nothing
 * after, r and s in [1, n-1]), public keys (PKIX SM2, uncompressed, on the curve, key id =
 * SM3 of the DER), JSON (no duplicate keys, integers only within ±(2^53-1), valid UTF-8).
 *
 * Works as a classic browser script (global CertledgerOffline; load vendor/sm-crypto-v2.js
 * first) and as a CommonJS module under Node (it then requires the vendored file itself),
 * so the same file is tested against the Go implementation (gateway/web/offline_test.go).
 *
 *   CertledgerOffline.verifyTrustBundle(bytesOrText, pin)   -> {ok, bundle, fingerprint} | {ok:false, code, error}
 *   CertledgerOffline.keyValidAt(bundle, deptId, keyId, time) -> {valid, code, detail, asOfHeight, asOfTime, afterBundle}
 *   CertledgerOffline.verifySM2(publicKeyPEM, messageBytes, signatureBase64) -> {ok, code, error}
 *   CertledgerOffline.payload(kind, recordJSONText, signedFields[, optionalFields]) -> Uint8Array (certledger/v1/<kind>\n, or certledger/v2/certificate\n, + canonical JSON)
 *   CertledgerOffline.sm3Hex(bytes)
 */
(function (root, factory) {
  'use strict';
  if (typeof module === 'object' && module.exports) {
    module.exports = factory(require('./vendor/sm-crypto-v2.js'));
  } else {
    root.CertledgerOffline = factory(root.SmCryptoV2);
  }
}(typeof self !== 'undefined' ? self : this, function (lib) {
  'use strict';
  if (!lib || !lib.sm2 || !lib.sm3) {
    throw new Error('offline.js needs vendor/sm-crypto-v2.js loaded first');
  }

  var BUNDLE_FORMAT = 'certledger/v1/trust-bundle';
  var MAX_BUNDLE = 32 << 20;
  var MAX_SAFE = 9007199254740991; // 2^53 - 1
  var N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');
  // SubjectPublicKeyInfo of an SM2 key as Go (smx509) writes it, up to the point's 0x04.
  var SPKI_PREFIX = '3059301306072a8648ce3d020106082a811ccf5501822d034200';

  function fail(code, msg) {
    var e = new Error(msg);
    e.code = code;
    return e;
  }

  // ---- bytes, text, hex, base64 ----

  var utf8enc = new TextEncoder();
  var utf8dec = new TextDecoder('utf-8', { fatal: true });

  function toBytes(x) {
    if (typeof x === 'string') return utf8enc.encode(x);
    if (x instanceof Uint8Array) return x;
    if (x instanceof ArrayBuffer) return new Uint8Array(x);
    throw fail('BAD_FORMAT', 'expected bytes or text');
  }

  function hex(bytes) {
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return s;
  }

  function unhex(s) {
    var out = new Uint8Array(s.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
    return out;
  }

  var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

  // base64Strict decodes standard padded base64 and refuses anything else (as Go's
  // base64.StdEncoding.Strict()).
  function base64Strict(s) {
    if (typeof s !== 'string' || s.length % 4 !== 0) throw fail('BAD_SIGNATURE', 'signature is not valid base64');
    var out = [];
    for (var i = 0; i < s.length; i += 4) {
      var v = [0, 0, 0, 0], pad = 0;
      for (var j = 0; j < 4; j++) {
        var c = s.charAt(i + j);
        if (c === '=' && i + 4 === s.length && j >= 2) { pad++; continue; }
        if (pad) throw fail('BAD_SIGNATURE', 'signature is not valid base64');
        var k = B64.indexOf(c);
        if (k < 0) throw fail('BAD_SIGNATURE', 'signature is not valid base64');
        v[j] = k;
      }
      var n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
      out.push((n >> 16) & 255);
      if (pad < 2) out.push((n >> 8) & 255);
      if (pad < 1) out.push(n & 255);
      // Strict: the bits dropped by padding must be zero.
      if ((pad === 2 && (v[1] & 15)) || (pad === 1 && (v[2] & 3))) throw fail('BAD_SIGNATURE', 'signature is not valid base64');
    }
    return new Uint8Array(out);
  }

  function sm3Hex(x) {
    return lib.sm3(toBytes(x));
  }

  // ---- strict JSON (duplicate keys refused, numbers kept as written) ----

  // A parsed number keeps its literal: {num: '42'}.
  function JNum(text) { this.num = text; }

  var NUM = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
  var STR = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;

  function parseJSON(input) {
    var text;
    if (typeof input === 'string') {
      text = input;
    } else {
      try {
        text = utf8dec.decode(toBytes(input));
      } catch (e) {
        throw fail('BAD_FORMAT', 'invalid UTF-8');
      }
    }
    var i = 0;
    function ws() {
      while (i < text.length) {
        var c = text.charCodeAt(i);
        if (c === 32 || c === 9 || c === 10 || c === 13) i++; else break;
      }
    }
    function err(msg) { return fail('BAD_FORMAT', 'JSON: ' + msg + ' at offset ' + i); }
    function value() {
      ws();
      var c = text.charAt(i);
      if (c === '{') {
        i++;
        var obj = Object.create(null), keys = [];
        ws();
        if (text.charAt(i) === '}') { i++; return { obj: obj, keys: keys }; }
        for (;;) {
          ws();
          if (text.charAt(i) !== '"') throw err('object key is not a string');
          var k = str();
          if (Object.prototype.hasOwnProperty.call(obj, k)) throw err('duplicate key "' + k + '"');
          ws();
          if (text.charAt(i) !== ':') throw err('":" expected');
          i++;
          obj[k] = value();
          keys.push(k);
          ws();
          if (text.charAt(i) === ',') { i++; continue; }
          if (text.charAt(i) === '}') { i++; return { obj: obj, keys: keys }; }
          throw err('"," or "}" expected');
        }
      }
      if (c === '[') {
        i++;
        var arr = [];
        ws();
        if (text.charAt(i) === ']') { i++; return arr; }
        for (;;) {
          arr.push(value());
          ws();
          if (text.charAt(i) === ',') { i++; continue; }
          if (text.charAt(i) === ']') { i++; return arr; }
          throw err('"," or "]" expected');
        }
      }
      if (c === '"') return str();
      if (text.startsWith('true', i)) { i += 4; return true; }
      if (text.startsWith('false', i)) { i += 5; return false; }
      if (text.startsWith('null', i)) { i += 4; return null; }
      NUM.lastIndex = i;
      var m = NUM.exec(text);
      if (m && m[0]) { i += m[0].length; return new JNum(m[0]); }
      throw err('unexpected character');
    }
    function str() {
      STR.lastIndex = i;
      var m = STR.exec(text);
      if (!m) throw err('bad string');
      i += m[0].length;
      // Lone surrogates (only possible through \u escapes) become U+FFFD, as Go's
      // encoding/json decodes them, so both sides canonicalize them alike.
      var raw = JSON.parse(m[0]), out = '';
      for (var k = 0; k < raw.length; k++) {
        var u = raw.charCodeAt(k);
        if (u >= 0xd800 && u <= 0xdbff && k + 1 < raw.length) {
          var w = raw.charCodeAt(k + 1);
          if (w >= 0xdc00 && w <= 0xdfff) { out += raw.charAt(k) + raw.charAt(k + 1); k++; continue; }
        }
        out += (u >= 0xd800 && u <= 0xdfff) ? '\ufffd' : raw.charAt(k);
      }
      return out;
    }
    var v = value();
    ws();
    if (i !== text.length) throw err('data after the JSON value');
    return v;
  }

  function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JNum) && v.obj; }

  // canonical writes a parsed value as canonical JSON: keys sorted by UTF-16 code units,
  // no whitespace, integers only (as Go's canon.Canonicalize).
  function canonical(v) {
    if (v === null) return 'null';
    if (v === true) return 'true';
    if (v === false) return 'false';
    if (typeof v === 'string') return JSON.stringify(v);
    if (v instanceof JNum) {
      if (!/^-?(0|[1-9][0-9]*)$/.test(v.num)) throw fail('BAD_FORMAT', 'number ' + v.num + ' is not an integer');
      var n = Number(v.num);
      if (Math.abs(n) > MAX_SAFE) throw fail('BAD_FORMAT', 'integer ' + v.num + ' is outside ±(2^53-1)');
      return String(n);
    }
    if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
    if (isObj(v)) {
      var keys = v.keys.slice().sort();
      return '{' + keys.map(function (k) { return JSON.stringify(k) + ':' + canonical(v.obj[k]); }).join(',') + '}';
    }
    throw fail('BAD_FORMAT', 'unsupported value');
  }

  // plain turns a parsed value into ordinary JavaScript (numbers as Number).
  function plain(v) {
    if (v instanceof JNum) return Number(v.num);
    if (Array.isArray(v)) return v.map(plain);
    if (isObj(v)) {
      var o = {};
      v.keys.forEach(function (k) { o[k] = plain(v.obj[k]); });
      return o;
    }
    return v;
  }

  // prefix is canon.Prefix: "certledger/v1/<kind>\n", or "certledger/<kind>\n" for a
  // kind that names its version ("v2/certificate").
  function prefix(kind) {
    return (kind.indexOf('/') >= 0 ? 'certledger/' : 'certledger/v1/') + kind + '\n';
  }

  // payload is what a department signs for a record of kind: the prefix and the
  // canonical JSON of the record's signed fields (a missing one is an error) and of
  // its optional fields (canon.OptionalFields) that hold a non-empty string. The
  // record is JSON text or bytes, or an object parseJSON returned.
  function payload(kind, recordJSON, fields, optional) {
    var rec = typeof recordJSON === 'string' || recordJSON instanceof Uint8Array ? parseJSON(recordJSON) : recordJSON;
    if (!isObj(rec)) throw fail('BAD_FORMAT', kind + ' record is not a JSON object');
    var signed = { obj: Object.create(null), keys: [] };
    fields.forEach(function (f) {
      if (!Object.prototype.hasOwnProperty.call(rec.obj, f)) throw fail('BAD_FORMAT', 'signed field missing: ' + kind + '.' + f);
      signed.obj[f] = rec.obj[f];
      signed.keys.push(f);
    });
    (optional || []).forEach(function (f) {
      if (!Object.prototype.hasOwnProperty.call(rec.obj, f)) return;
      var v = rec.obj[f];
      if (v === null || v === '') return;
      if (typeof v !== 'string') throw fail('BAD_FORMAT', kind + '.' + f + ' must be a string');
      signed.obj[f] = v;
      signed.keys.push(f);
    });
    return utf8enc.encode(prefix(kind) + canonical(signed));
  }

  // ---- SM2 ----

  // parseSignatureDER is gm.ParseSignature: exactly SEQUENCE { INTEGER r, INTEGER s },
  // short or minimal long lengths, minimal positive integers, r and s in [1, n-1].
  function parseSignatureDER(der) { return parseSignatureDERWith(der, N); }

  // parseSignatureDERWith is parseSignatureDER for a curve of order n.
  function parseSignatureDERWith(der, n) {
    var p = 0;
    function len() {
      if (p >= der.length) throw fail('BAD_SIGNATURE', 'truncated DER');
      var b = der[p++];
      if (b < 0x80) return b;
      if (b !== 0x81) throw fail('BAD_SIGNATURE', 'not a DER length');
      if (p >= der.length) throw fail('BAD_SIGNATURE', 'truncated DER');
      var l = der[p++];
      if (l < 0x80) throw fail('BAD_SIGNATURE', 'non-minimal DER length');
      return l;
    }
    function integer() {
      if (der[p++] !== 0x02) throw fail('BAD_SIGNATURE', 'not two DER INTEGERs');
      var l = len();
      if (l === 0 || p + l > der.length) throw fail('BAD_SIGNATURE', 'bad DER INTEGER');
      var v = der.subarray(p, p + l);
      p += l;
      if (v[0] & 0x80) throw fail('BAD_SIGNATURE', 'negative DER INTEGER');
      if (v[0] === 0 && l > 1 && !(v[1] & 0x80)) throw fail('BAD_SIGNATURE', 'non-minimal DER INTEGER');
      return BigInt('0x' + (hex(v) || '0'));
    }
    if (!(der instanceof Uint8Array) || der.length < 8 || der[p++] !== 0x30) throw fail('BAD_SIGNATURE', 'not a single DER SEQUENCE');
    var l = len();
    if (p + l !== der.length) throw fail('BAD_SIGNATURE', 'not a single DER SEQUENCE');
    var r = integer(), s = integer();
    if (p !== der.length) throw fail('BAD_SIGNATURE', 'not two DER INTEGERs');
    if (r < 1n || r >= n || s < 1n || s >= n) throw fail('BAD_SIGNATURE', 'r or s out of range');
    return { r: r, s: s };
  }

  // parsePublicKeyPEM is gm.ParsePublicKeyPEM for the normal form the registry stores:
  // one PUBLIC KEY block holding an SM2 SubjectPublicKeyInfo with an uncompressed point
  // on the curve. Returns {der, point (hex, 04...), keyId}.
  function parsePublicKeyPEM(pem) {
    if (typeof pem !== 'string') throw fail('BAD_KEY', 'public key is not PEM text');
    var m = /^\s*-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END PUBLIC KEY-----\s*$/.exec(pem);
    if (!m) throw fail('BAD_KEY', 'not one PEM PUBLIC KEY block');
    var der;
    try {
      der = base64Strict(m[1].replace(/[\r\n]/g, ''));
    } catch (e) {
      throw fail('BAD_KEY', 'bad base64 in PEM');
    }
    var h = hex(der);
    if (der.length !== 91 || h.slice(0, SPKI_PREFIX.length) !== SPKI_PREFIX || der[26] !== 0x04) {
      throw fail('BAD_KEY', 'not an uncompressed SM2 public key (PKIX)');
    }
    var point = h.slice(52);
    if (!lib.sm2.verifyPublicKey(point)) throw fail('BAD_KEY', 'point is not on the SM2 curve');
    return { der: der, point: point, keyId: sm3Hex(der) };
  }

  function pad64(n) {
    var s = n.toString(16);
    return '0'.repeat(64 - s.length) + s;
  }

  // verifySM2 checks a base64 DER signature over message with the PEM key, strictly,
  // with the default user ID: {ok: true} or {ok: false, code, error}.
  function verifySM2(publicKeyPEM, message, sigB64) {
    try {
      var key = typeof publicKeyPEM === 'string' ? parsePublicKeyPEM(publicKeyPEM) : publicKeyPEM;
      var rs = parseSignatureDER(base64Strict(sigB64));
      var ok = lib.sm2.doVerifySignature(toBytes(message), pad64(rs.r) + pad64(rs.s), key.point, { hash: true, der: false });
      return ok ? { ok: true } : { ok: false, code: 'BAD_SIGNATURE', error: 'bad SM2 signature: verification failed' };
    } catch (e) {
      return { ok: false, code: e.code || 'BAD_SIGNATURE', error: e.message };
    }
  }

  // ---- trust bundle ----

  function normalizePin(pin) {
    var p = String(pin || '').trim().replace(/[ :-]/g, '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(p)) throw fail('BAD_PIN', 'fingerprint must be 64 hex digits (the SM3 of the governance public key)');
    return p;
  }

  // verifyTrustBundle checks a bundle file against the pinned governance fingerprint:
  // strict JSON, {bundle, signature} only, the format, the governance key (its SM3 is
  // the pin) and its signature over "certledger/v1/trust-bundle\n" + canonical bundle.
  // The Go parser (trust.Parse) additionally checks every rule of the format; here each
  // key is checked when keyValidAt uses it.
  function verifyTrustBundle(data, pin) {
    try {
      var p = normalizePin(pin);
      var bytes = toBytes(data);
      if (bytes.length > MAX_BUNDLE) throw fail('BAD_FORMAT', 'trust bundle larger than ' + MAX_BUNDLE + ' bytes');
      var env = parseJSON(bytes);
      if (!isObj(env) || env.keys.length !== 2 || !isObj(env.obj.bundle) || typeof env.obj.signature !== 'string') {
        throw fail('BAD_FORMAT', 'want {"bundle": {...}, "signature": "..."}');
      }
      var raw = env.obj.bundle;
      var canon = canonical(raw); // refuses fractions and out-of-range integers
      var b = plain(raw);
      if (b.format !== BUNDLE_FORMAT) throw fail('BAD_FORMAT', 'format ' + JSON.stringify(b.format) + ', want ' + BUNDLE_FORMAT);
      var gov = b.governance || {};
      if (gov.keyId !== p) throw fail('UNTRUSTED', 'trust bundle not signed by the pinned governance key: signed by ' + gov.keyId + ', pinned ' + p);
      var key = parsePublicKeyPEM(gov.publicKey);
      if (key.keyId !== p) throw fail('UNTRUSTED', 'the governance public key does not match the pin');
      var v = verifySM2(key, utf8enc.encode(BUNDLE_FORMAT + '\n' + canon), env.obj.signature);
      if (!v.ok) throw fail('BAD_SIGNATURE', 'trust bundle signature does not verify: ' + v.error);
      return { ok: true, bundle: b, fingerprint: p };
    } catch (e) {
      return { ok: false, code: e.code || 'BAD_FORMAT', error: e.message };
    }
  }

  // Times: RFC 3339 in UTC as Go writes them, compared to the nanosecond.
  function parseTime(s) {
    var m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(String(s));
    if (!m) return null;
    var sec = Date.parse(m[1] + m[3]);
    if (isNaN(sec)) return null;
    return { s: Math.floor(sec / 1000), ns: m[2] ? Number((m[2] + '00000000').slice(0, 9)) : 0 };
  }
  function before(a, b) { return a.s < b.s || (a.s === b.s && a.ns < b.ns); }
  function timeArg(t) {
    if (t instanceof Date) return { s: Math.floor(t.getTime() / 1000), ns: (t.getTime() % 1000) * 1e6 };
    var p = parseTime(t);
    if (!p) throw fail('BAD_FORMAT', 'time ' + JSON.stringify(t) + ' is not RFC 3339');
    return p;
  }

  // stateAt is registry.Key.StateAt: '' when valid at t, else a code and a sentence.
  function stateAt(k, t) {
    var from = parseTime(k.validFrom);
    if (!from) return ['KEY_CORRUPT', 'key ' + k.keyId + ' has no valid validFrom'];
    if (before(t, from)) return ['KEY_NOT_YET_VALID', 'key ' + k.keyId + ' is valid only from ' + k.validFrom];
    if (k.revokedAt) {
      var rev = parseTime(k.revokedAt);
      if (!rev || !before(t, rev)) return ['KEY_REVOKED', 'key ' + k.keyId + ' was revoked (' + k.revokeReason + ') from ' + k.revokedAt];
    }
    if (k.rotatedAt) {
      var rot = parseTime(k.rotatedAt);
      if (!rot || !before(t, rot)) return ['KEY_ROTATED', 'key ' + k.keyId + ' was rotated out at ' + k.rotatedAt];
    }
    return ['', 'key ' + k.keyId + ' valid'];
  }

  // keyValidAt is trust.Bundle.KeyValidAt: never valid for a department or key the
  // bundle does not list; the key's PEM must hash to its id.
  function keyValidAt(b, deptId, keyId, time) {
    var t = timeArg(time);
    var a = { valid: false, code: '', detail: '', asOfHeight: b.height, asOfTime: b.blockTime, afterBundle: false, key: null };
    var bt = parseTime(b.blockTime);
    if (bt && before(bt, t)) a.afterBundle = true;
    var depts = b.departments || [];
    var d = depts.filter(function (x) { return x.id === deptId; })[0];
    if (!d) {
      a.code = 'UNKNOWN_DEPARTMENT';
      a.detail = 'department ' + deptId + ' is not in the trust bundle (height ' + b.height + ')';
      return a;
    }
    var k = (d.keys || []).filter(function (x) { return x.keyId === keyId; })[0];
    if (!k) {
      var owner = depts.filter(function (x) { return (x.keys || []).some(function (y) { return y.keyId === keyId; }); })[0];
      a.code = 'UNKNOWN_KEY';
      a.detail = owner
        ? 'key ' + keyId + ' belongs to department ' + owner.id + ', not ' + deptId + ' (per the trust bundle at height ' + b.height + ')'
        : 'key ' + keyId + ' is not a key of department ' + deptId + ' in the trust bundle (height ' + b.height + ')';
      return a;
    }
    try {
      if (parsePublicKeyPEM(k.publicKey).keyId !== keyId) throw fail('KEY_CORRUPT', 'does not hash to its id');
    } catch (e) {
      a.code = 'KEY_CORRUPT';
      a.detail = 'key ' + keyId + ' in the trust bundle is not a valid SM2 key: ' + e.message;
      return a;
    }
    a.key = k;
    a.department = d;
    var st = stateAt(k, t);
    a.valid = st[0] === '';
    a.code = a.valid ? 'KEY_VALID' : st[0];
    a.detail = st[1] + ' (per the trust bundle at height ' + b.height + ', ' + b.blockTime + ')';
    if (a.afterBundle && a.valid) a.detail += '; the time is after the bundle: a revocation registered since is not known to it';
    return a;
  }

  // ---- receipts (v2): the offline check of internal/receipt.Check ----
  //
  // verifyReceipt(receiptBytes, fileHashHex|'', verifiedBundle, pin, now) resolves to
  // {verdict, steps: [{step, name, status, code, detail}], unknown: [...], asOfHeight,
  // asOfTime, endorsements: {checks, msps, satisfied, policy}}: the same steps, codes and
  // verdict as `certledger cert verify --receipt R --bundle B --pin FP --offline`.
  // X.509 chains and ECDSA P-256 go through WebCrypto (crypto.subtle); SM2/SM3 through
  // the vendored library; the protobuf of the Fabric transaction is read here.

  var RECEIPT_VERSION = 'certledger-receipt/v2';
  var MAX_RECEIPT = 32 << 20; // as receipt.MaxSize (a grouped transaction's receipt holds the group)
  var MAX_ENDORSEMENTS = 64;
  // canon.SignedFields["certificate"] (TestReceiptJS checks it against the Go table).
  var CERT_SIGNED_FIELDS = ['id', 'docHash', 'type', 'issuer', 'holderCommitment', 'validFrom', 'validUntil', 'keyId', 'supersedes'];
  // canon.SignedFields["v2/certificate"]: a record with recordVersion 2 (GB/T 36903
  // metadata) signs this view, every field present ("" or {} when the record leaves it out).
  var CERT_V2_SIGNED_FIELDS = ['id', 'docHash', 'type', 'name', 'issuer', 'issuerName', 'issuerCode', 'issueDate',
    'validFrom', 'validUntil', 'holderCodeType', 'holderNameCommitment', 'holderCodeCommitment', 'extensions', 'keyId', 'supersedes'];
  // Fields of a stored certificate that are not fields of the signed record
  // (certificate.Certificate beyond certificate.Record); TestReceiptJS checks the list.
  var CERT_STATE_FIELDS = { status: 1, statusReason: 1, supersededBy: 1, batchId: 1, issuedAt: 1, updatedAt: 1, txId: 1, actorId: 1 };
  var RECEIPT_KEYS = ['anchor', 'bundleFingerprint', 'holder', 'issuedAt', 'issuerKey', 'ledger', 'record', 'verifyUrl', 'version'];
  var BATCH_RECEIPT_KEYS = ['anchor', 'batch', 'bundleFingerprint', 'holder', 'issuedAt', 'issuerKey', 'ledger', 'verifyUrl', 'version'];
  // canon.SignedFields["batch-header"] (TestReceiptJS checks it against the Go table).
  var BATCH_HEADER_FIELDS = ['id', 'issuer', 'keyId', 'root', 'count', 'fileHash', 'previous', 'windowFrom', 'windowUntil', 'recordKind', 'types'];
  var RECORD_KIND_V1 = 'certledger/v1/certificate';
  var RECORD_KIND_V2 = 'certledger/v2/certificate';
  // The JSON fields of a v2 batch record (batch.Record with recordVersion 2): the v2
  // signed view's, recordVersion, and holderCommitment (""); extensions is left out
  // when empty. TestReceiptJS checks the list against the Go struct.
  var BATCH_V2_RECORD_FIELDS = ['recordVersion', 'id', 'docHash', 'type', 'name', 'issuer', 'issuerName', 'issuerCode', 'issueDate',
    'holderCommitment', 'holderCodeType', 'holderNameCommitment', 'holderCodeCommitment', 'validFrom', 'validUntil', 'extensions', 'keyId', 'supersedes'];
  var STEP_NAMES = ['format', 'hash', 'anchor', 'merkle', 'signature', 'key', 'status', 'validity'];
  var P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
  var HEX64 = /^[0-9a-f]{64}$/;
  var ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

  function subtle() {
    var c = (typeof crypto !== 'undefined' && crypto.subtle) ? crypto : (typeof require === 'function' ? require('crypto').webcrypto : null);
    if (!c || !c.subtle) throw fail('BAD_FORMAT', 'WebCrypto (crypto.subtle) is not available');
    return c.subtle;
  }
  function sha256(bytes) { return subtle().digest('SHA-256', bytes).then(function (b) { return new Uint8Array(b); }); }
  function concat(a, b) { var o = new Uint8Array(a.length + b.length); o.set(a, 0); o.set(b, a.length); return o; }
  function eqBytes(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  function short(x) { return x.length > 16 ? x.slice(0, 16) + '…' : x; }

  // -- protobuf: fields by number; varints as Numbers, length-delimited as bytes.
  function pb(b) {
    var p = 0, out = {};
    function varint() {
      var x = 0, mul = 1, c;
      do {
        if (p >= b.length) throw fail('ANCHOR_MALFORMED', 'truncated protobuf varint');
        c = b[p++];
        x += (c & 0x7f) * mul;
        mul *= 128;
        if (mul > 1.3e21) throw fail('ANCHOR_MALFORMED', 'protobuf varint too long');
      } while (c & 0x80);
      return x;
    }
    while (p < b.length) {
      var key = varint(), n = Math.floor(key / 8), wt = key % 8, v;
      if (n < 1) throw fail('ANCHOR_MALFORMED', 'protobuf field number 0');
      if (wt === 0) v = varint();
      else if (wt === 2) {
        var l = varint();
        if (p + l > b.length) throw fail('ANCHOR_MALFORMED', 'truncated protobuf field');
        v = b.subarray(p, p + l);
        p += l;
      } else if (wt === 1 || wt === 5) {
        p += wt === 1 ? 8 : 4;
        if (p > b.length) throw fail('ANCHOR_MALFORMED', 'truncated protobuf field');
        v = null;
      } else throw fail('ANCHOR_MALFORMED', 'protobuf wire type ' + wt);
      (out[n] = out[n] || []).push(v);
    }
    return out;
  }
  function pbBytes(m, n) {
    var a = m[n];
    if (!a) return new Uint8Array(0);
    var v = a[a.length - 1];
    if (!(v instanceof Uint8Array)) throw fail('ANCHOR_MALFORMED', 'protobuf field ' + n + ' has the wrong wire type');
    return v;
  }
  function pbStr(m, n) {
    try { return utf8dec.decode(pbBytes(m, n)); } catch (e) {
      if (e.code) throw e;
      throw fail('ANCHOR_MALFORMED', 'protobuf string field ' + n + ' is not UTF-8');
    }
  }
  function pbNum(m, n) {
    var a = m[n];
    if (!a) return 0;
    var v = a[a.length - 1];
    if (typeof v !== 'number') throw fail('ANCHOR_MALFORMED', 'protobuf field ' + n + ' has the wrong wire type');
    return v;
  }
  function pbAll(m, n) { return (m[n] || []).filter(function (v) { return v instanceof Uint8Array; }); }

  // decodeAnchor is receipt.Anchor.Decode: header, tx id = SHA-256(nonce ‖ creator),
  // proposal hash, chaincode action and the write set of its own namespace.
  function decodeAnchor(a) {
    var hdr = pb(a.header), chdrB = pbBytes(hdr, 1), shdrB = pbBytes(hdr, 2);
    var ch = pb(chdrB), sh = pb(shdrB);
    if (pbNum(ch, 1) !== 3) throw fail('ANCHOR_MALFORMED', 'header type ' + pbNum(ch, 1) + ' is not an endorser transaction');
    var nonce = pbBytes(sh, 2), creator = pbBytes(sh, 1), txId = pbStr(ch, 5);
    var ts = pb(pbBytes(ch, 3)), ext = pb(pbBytes(ch, 7));
    var cpp = pb(a.proposalPayload);
    if (pbAll(cpp, 2).length) throw fail('ANCHOR_MALFORMED', 'the proposal payload carries transient data');
    var prp = pb(a.proposalResponse);
    var act = pb(pbBytes(prp, 2)), rws = pb(pbBytes(act, 1));
    if (pbNum(rws, 1) !== 0) throw fail('ANCHOR_MALFORMED', 'read-write set is not a KV set');
    var tx = {
      channel: pbStr(ch, 4), txId: txId, chaincode: pbStr(pb(pbBytes(ext, 2)), 2),
      namespace: pbStr(pb(pbBytes(act, 4)), 2), status: pbNum(pb(pbBytes(act, 3)), 1),
      seconds: pbNum(ts, 1), nanos: pbNum(ts, 2), writes: []
    };
    if (!(ch[3])) throw fail('ANCHOR_MALFORMED', 'the channel header has no valid timestamp');
    pbAll(rws, 2).forEach(function (nsb) {
      var ns = pb(nsb);
      if (pbStr(ns, 1) !== tx.namespace) return;
      pbAll(pb(pbBytes(ns, 2)), 3).forEach(function (wb) {
        var w = pb(wb);
        tx.writes.push({ key: pbStr(w, 1), isDelete: pbNum(w, 2) !== 0, value: pbBytes(w, 3) });
      });
    });
    return Promise.all([sha256(concat(nonce, creator)), sha256(concat(concat(chdrB, shdrB), a.proposalPayload))]).then(function (h) {
      if (!nonce.length || hex(h[0]) !== txId) throw fail('ANCHOR_MALFORMED', 'bad anchor: transaction id "' + txId + '" is not SHA-256(nonce ‖ creator)');
      if (!eqBytes(h[1], pbBytes(prp, 1))) throw fail('ANCHOR_MALFORMED', 'bad anchor: the proposal response is not for this transaction (proposal hash differs)');
      return tx;
    });
  }

  // -- DER and X.509 (what a chain check needs, nothing more).
  function der(b, p) {
    if (p + 2 > b.length) throw fail('BAD_CERT', 'truncated DER');
    var tag = b[p], l = b[p + 1], q = p + 2;
    if (l & 0x80) {
      var k = l & 0x7f;
      if (k < 1 || k > 4 || q + k > b.length) throw fail('BAD_CERT', 'bad DER length');
      l = 0;
      for (var i = 0; i < k; i++) l = l * 256 + b[q + i];
      q += k;
    }
    if (q + l > b.length) throw fail('BAD_CERT', 'truncated DER');
    return { tag: tag, start: p, body: q, end: q + l };
  }
  function children(b, node) {
    var out = [], p = node.body;
    while (p < node.end) { var c = der(b, p); out.push(c); p = c.end; }
    return out;
  }
  var OID_OU = '55040b', OID_BC = '551d13', OID_ECDSA_SHA256 = '2a8648ce3d040302';
  var OID_EC = '2a8648ce3d0201', OID_P256 = '2a8648ce3d030107';
  function oidHex(b, n) { return hex(b.subarray(n.body, n.end)); }
  function derTime(b, n) {
    var s = String.fromCharCode.apply(null, b.subarray(n.body, n.end)), m;
    if (n.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
      var y = Number(m[1]);
      m = [m[0], String(y < 50 ? 2000 + y : 1900 + y)].concat(m.slice(2));
    } else if (n.tag !== 0x18 || !(m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
      throw fail('BAD_CERT', 'bad certificate time');
    }
    return { s: Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000, ns: 0 };
  }
  function parseCertDER(b) {
    var c = der(b, 0);
    if (c.tag !== 0x30 || c.end !== b.length) throw fail('BAD_CERT', 'not one DER certificate');
    var top = children(b, c);
    if (top.length !== 3 || top[0].tag !== 0x30 || top[2].tag !== 0x03) throw fail('BAD_CERT', 'not an X.509 certificate');
    var t = children(b, top[0]), i = 0;
    if (t[i] && t[i].tag === 0xa0) i++;
    var issuer = t[i + 2], validity = t[i + 3], subject = t[i + 4], spki = t[i + 5];
    if (!spki || issuer.tag !== 0x30 || subject.tag !== 0x30 || spki.tag !== 0x30) throw fail('BAD_CERT', 'not an X.509 certificate');
    var v = children(b, validity), cert = {
      tbs: b.subarray(top[0].start, top[0].end), issuer: b.subarray(issuer.start, issuer.end),
      subject: b.subarray(subject.start, subject.end), spki: b.subarray(spki.start, spki.end),
      notBefore: derTime(b, v[0]), notAfter: derTime(b, v[1]), ous: [], cn: '', isCA: false,
      sigAlg: oidHex(b, children(b, top[1])[0]), sig: b.subarray(top[2].body + 1, top[2].end), ecP256: false
    };
    var alg = children(b, children(b, spki)[0]);
    cert.ecP256 = alg.length === 2 && oidHex(b, alg[0]) === OID_EC && oidHex(b, alg[1]) === OID_P256;
    children(b, subject).forEach(function (set) {
      children(b, set).forEach(function (atv) {
        var kv = children(b, atv), o = oidHex(b, kv[0]), val = utf8dec.decode(b.subarray(kv[1].body, kv[1].end));
        if (o === OID_OU) cert.ous.push(val);
        if (o === '550403') cert.cn = val;
      });
    });
    for (var j = i + 6; j < t.length; j++) {
      if (t[j].tag !== 0xa3) continue;
      children(b, children(b, t[j])[0]).forEach(function (ext) {
        var e = children(b, ext);
        if (oidHex(b, e[0]) !== OID_BC) return;
        var os = e[e.length - 1], bc = der(b, os.body), f = children(b, bc);
        cert.isCA = f.length > 0 && f[0].tag === 0x01 && b[f[0].body] !== 0;
      });
    }
    return cert;
  }
  function pemCerts(text) {
    var out = [], re = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g, m;
    while ((m = re.exec(String(text)))) out.push(base64Strict(m[1].replace(/\s+/g, '')));
    return out;
  }
  function validAt(c, t) { return !before(t, c.notBefore) && !before(c.notAfter, t); }

  // ecdsaP256 checks a DER ECDSA signature (strict, S low when lowS) over data with the
  // SubjectPublicKeyInfo spki (P-256), through WebCrypto: resolves true or false.
  function ecdsaP256(spki, data, sigDER, lowS) {
    var rs;
    try {
      rs = parseECDSA(sigDER);
    } catch (e) { return Promise.resolve(false); }
    if (lowS && rs.s > P256_N / 2n) return Promise.resolve(false);
    var raw = unhex(pad64(rs.r) + pad64(rs.s));
    return subtle().importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']).then(function (k) {
      return subtle().verify({ name: 'ECDSA', hash: 'SHA-256' }, k, raw, data);
    }, function () { return false; });
  }
  function parseECDSA(sigDER) { return parseSignatureDERWith(sigDER, P256_N); }

  // chain: cert signed (ecdsa-with-SHA256) by a root of org, or through its
  // intermediates (CAs), every certificate valid at t.
  function chain(cert, org, t) {
    var roots = [], inters = [];
    (org.rootCerts || []).forEach(function (p) { pemCerts(p).forEach(function (d) { try { roots.push(parseCertDER(d)); } catch (e) { /* not usable */ } }); });
    (org.intermediateCerts || []).forEach(function (p) { pemCerts(p).forEach(function (d) { try { inters.push(parseCertDER(d)); } catch (e) { /* not usable */ } }); });
    if (!roots.length) return Promise.resolve('the bundle lists no root CA for it');
    function step(cur, depth) {
      if (!validAt(cur, t)) return Promise.resolve('certificate "' + cur.cn + '" is not valid at ' + t.s);
      if (depth > 5) return Promise.resolve('chain too long');
      if (cur.sigAlg !== OID_ECDSA_SHA256) return Promise.resolve('signature algorithm is not ecdsa-with-SHA256');
      var cands = roots.map(function (r) { return [r, true]; }).concat(inters.map(function (r) { return [r, false]; }))
        .filter(function (x) { return eqBytes(x[0].subject, cur.issuer) && x[0].ecP256 && x[0].isCA; });
      var i = 0;
      function next() {
        if (i >= cands.length) return Promise.resolve('x509: certificate signed by unknown authority');
        var c = cands[i++];
        return ecdsaP256(c[0].spki, cur.tbs, cur.sig, false).then(function (ok) {
          if (!ok) return next();
          if (c[1]) return validAt(c[0], t) ? '' : 'root CA not valid at that time';
          return step(c[0], depth + 1).then(function (why) { return why ? next() : ''; });
        });
      }
      return next();
    }
    return step(cert, 0);
  }

  // checkEndorsements is receipt.CheckEndorsements.
  function checkEndorsements(a, b, t) {
    var policy = b.endorsementPolicy || { n: 1, msps: [], rule: '' };
    var out = { checks: [], msps: [], satisfied: false, policy: policy.n + ' of [' + (policy.msps || []).join(' ') + '] (' + policy.rule + ')' };
    return a.endorsements.reduce(function (prev, e) {
      return prev.then(function () {
        var c = { mspId: '', subject: '', valid: false, problem: '' };
        out.checks.push(c);
        var id, cert;
        try {
          id = pb(e.endorser);
          c.mspId = pbStr(id, 1);
          var ders = pemCerts(pbStr(id, 2));
          if (ders.length !== 1) throw fail('BAD_CERT', 'not a PEM CERTIFICATE');
          cert = parseCertDER(ders[0]);
          c.subject = cert.cn;
        } catch (err) {
          c.problem = 'endorser certificate: ' + err.message;
          return;
        }
        var org = (b.orgs || []).filter(function (o) { return o.mspId === c.mspId; })[0];
        if (!org) { c.problem = 'organisation ' + c.mspId + ' is not in the trust bundle (height ' + b.height + ')'; return; }
        return chain(cert, org, t).then(function (why) {
          if (why) { c.problem = 'certificate "' + cert.cn + '" does not chain to a root CA of ' + c.mspId + ' in the trust bundle: ' + why; return; }
          if (cert.ous.indexOf('peer') < 0) { c.problem = 'certificate "' + cert.cn + '" is not a peer\'s (no OU "peer")'; return; }
          if (!cert.ecP256) { c.problem = 'the endorser key is not ECDSA P-256'; return; }
          return ecdsaP256(cert.spki, concat(a.proposalResponse, e.endorser), e.signature, true).then(function (ok) {
            if (!ok) { c.problem = 'endorsement signature: does not verify'; return; }
            c.valid = true;
            if (out.msps.indexOf(c.mspId) < 0) out.msps.push(c.mspId);
          });
        });
      });
    }, Promise.resolve()).then(function () {
      var n = (policy.msps || []).filter(function (m) { return out.msps.indexOf(m) >= 0; }).length;
      out.satisfied = n >= policy.n;
      return out;
    });
  }

  // parseReceipt is receipt.Parse (+ Validate): strict JSON, the v2 keys exactly.
  function parseReceipt(data) {
    var bytes = toBytes(data);
    if (bytes.length > MAX_RECEIPT) throw fail('BAD_FORMAT', 'malformed receipt: larger than ' + MAX_RECEIPT + ' bytes');
    var root = parseJSON(bytes);
    if (!isObj(root)) throw fail('BAD_FORMAT', 'malformed receipt: not a JSON object');
    canonical(root);
    var keys = root.keys.slice().sort(), batched = keys.indexOf('batch') >= 0;
    var want = batched ? BATCH_RECEIPT_KEYS : RECEIPT_KEYS;
    if (keys.join() !== want.join()) throw fail('BAD_FORMAT', 'malformed receipt: want exactly the fields ' + want.join(', '));
    var r = plain(root), rec = batched ? (isObj(root.obj.batch) ? root.obj.batch.obj.record : null) : root.obj.record;
    function bad(m) { return fail('BAD_FORMAT', 'malformed receipt: ' + m); }
    if (r.version !== RECEIPT_VERSION) throw bad('version ' + JSON.stringify(r.version) + ' is not "' + RECEIPT_VERSION + '"');
    if (!isObj(rec)) throw bad('record is not an object');
    var B = null;
    if (batched) {
      B = r.batch;
      var H = B.header || {}, P = B.proof || {};
      if (!isObj(root.obj.batch.obj.header) || !ID_RE.test(String(H.id)) || !HEX64.test(H.root) || typeof H.count !== 'number' || H.count < 1 ||
          typeof H.signature !== 'string' || !H.signature || (H.recordKind !== RECORD_KIND_V1 && H.recordKind !== RECORD_KIND_V2) ||
          !Array.isArray(H.types) || !parseTime(H.anchoredAt)) {
        throw bad('batch.header: not a signed, anchored batch header');
      }
      if (!ID_RE.test(String(P.batchId)) || typeof P.index !== 'number' || typeof P.size !== 'number' || !Array.isArray(P.path) ||
          P.path.length > 64 || !P.path.every(function (x) { return HEX64.test(x); })) {
        throw bad('batch.proof: not an inclusion proof');
      }
      checkBatchRecord(rec, H, bad);
      if (r.batch.record.issuer !== H.issuer || r.batch.record.keyId !== H.keyId) throw bad('batch.record: issuer and key must be the batch\'s');
      r.record = r.batch.record;
      r.record.signature = '-';
    }
    var R = r.record;
    if (typeof R.id !== 'string' || !ID_RE.test(R.id) || !HEX64.test(R.docHash) || !HEX64.test(R.keyId) || typeof R.issuer !== 'string' ||
        typeof R.signature !== 'string' || !R.signature) throw bad('record: id, docHash, issuer, keyId and signature are required');
    if (!isV2(rec)) CERT_SIGNED_FIELDS.forEach(function (f) { if (typeof R[f] !== 'string') throw bad('record.' + f + ' is missing'); });
    if (!parseTime(R.validFrom) || (R.validUntil && !parseTime(R.validUntil))) throw bad('record: validFrom/validUntil are not RFC 3339 times');
    if (!parseTime(r.issuedAt)) throw bad('issuedAt is not an RFC 3339 time');
    var ik = r.issuerKey || {};
    if (ik.departmentId !== R.issuer || ik.keyId !== R.keyId) throw bad('issuerKey names ' + ik.departmentId + ' key ' + ik.keyId + ', the record ' + R.issuer + ' key ' + R.keyId);
    var pk;
    try { pk = parsePublicKeyPEM(ik.publicKey); } catch (e) { throw bad('issuerKey.publicKey: ' + e.message); }
    if (pk.keyId !== ik.keyId) throw bad('issuerKey.publicKey is not key ' + ik.keyId);
    var L = r.ledger || {};
    if (typeof L.txId !== 'string' || !L.txId || L.txId.length > 128 || !ID_RE.test(String(L.channel)) || typeof L.blockNumber !== 'number') {
      throw bad('ledger: txId and channel are required');
    }
    if (!HEX64.test(r.bundleFingerprint)) throw bad('bundleFingerprint must be 64 lowercase hex characters');
    var A = r.anchor;
    if (!A || typeof A !== 'object') throw bad('no anchor (a v2 receipt carries the transaction\'s endorsements)');
    function b64(v, what) {
      try { var x = base64Strict(v); if (!x.length) throw new Error('empty'); return x; } catch (e) { throw bad(what + ' is not base64'); }
    }
    var anchor = { header: b64(A.header, 'anchor.header'), proposalPayload: b64(A.proposalPayload, 'anchor.proposalPayload'),
      proposalResponse: b64(A.proposalResponse, 'anchor.proposalResponse'), endorsements: [] };
    if (!Array.isArray(A.endorsements) || !A.endorsements.length || A.endorsements.length > MAX_ENDORSEMENTS) throw bad('anchor: 1 to ' + MAX_ENDORSEMENTS + ' endorsements');
    A.endorsements.forEach(function (e, i) {
      anchor.endorsements.push({ endorser: b64(e && e.endorser, 'anchor.endorsements[' + i + '].endorser'),
        signature: b64(e && e.signature, 'anchor.endorsements[' + i + '].signature') });
    });
    if (B) r.record.signature = '';
    return { r: r, record: rec, anchor: anchor, batch: B, batchObj: batched ? root.obj.batch : null };
  }

  function isV2(rec) { var v = rec.obj.recordVersion; return v instanceof JNum && v.num === '2'; }

  // checkBatchRecord is the batched part of receipt.Validate: the record is of the
  // header's kind (v1 or v2) and has exactly that kind's JSON fields.
  function checkBatchRecord(rec, H, bad) {
    var v2 = H.recordKind === RECORD_KIND_V2, keys = rec.keys.slice().sort();
    if (isV2(rec) !== v2) throw bad('batch.record: a ' + (isV2(rec) ? RECORD_KIND_V2 : RECORD_KIND_V1) + ' record in a batch of ' + H.recordKind + ' records');
    if (!v2) {
      if (keys.join() !== CERT_SIGNED_FIELDS.slice().sort().join()) throw bad('batch.record: want exactly the fields ' + CERT_SIGNED_FIELDS.join(', '));
      return;
    }
    var want = BATCH_V2_RECORD_FIELDS.filter(function (f) { return f !== 'extensions' || keys.indexOf(f) >= 0; }).sort();
    if (keys.join() !== want.join()) throw bad('batch.record: want exactly the fields ' + BATCH_V2_RECORD_FIELDS.join(', ') + ' (extensions when any)');
    if (rec.obj.holderCommitment !== '') throw bad('batch.record: holderCommitment is a v1 field');
  }

  // recordPayload is certificate.Record.Payload: what the record's signature covers.
  function recordPayload(rec) {
    if (!isV2(rec)) return payload('certificate', rec, CERT_SIGNED_FIELDS);
    var view = { obj: Object.create(null), keys: [] };
    CERT_V2_SIGNED_FIELDS.forEach(function (f) {
      view.obj[f] = Object.prototype.hasOwnProperty.call(rec.obj, f) ? rec.obj[f] : (f === 'extensions' ? { obj: Object.create(null), keys: [] } : '');
      view.keys.push(f);
    });
    return utf8enc.encode('certledger/v2/certificate\n' + canonical(view));
  }

  function mk(n, status, code, detail) {
    return { step: n, name: STEP_NAMES[n - 1], status: status, code: code || (status === 'pass' ? 'OK' : ''), detail: detail };
  }

  function unknowns(r, b, p) {
    var tx = r ? 'transaction ' + r.ledger.txId : 'the anchoring transaction', id = r ? 'certificate ' + r.record.id : 'the certificate';
    var out = ['status: whether ' + id + ' was revoked, suspended or superseded after ' + tx + ' (status changes are on the ledger only; verify online)',
      b ? 'key revocations registered after the trust bundle (height ' + b.height + ', ' + b.blockTime + '): a compromise registered later and dated back before the issue would invalidate the signature'
        : 'the issuer\'s keys: no trusted bundle'];
    if (r && p && p.batch && isV2(p.record)) {
      out.push('holderCodeType: whether ' + r.record.holderCodeType + ' is the holder code type the type catalogue gives type ' + r.record.type +
        ' (the trust bundle carries departments\' codes and names, which step 6 checks, but no type catalogue; verify online)');
    }
    out.push('whether ' + tx + ' was committed valid: endorsements prove the peers executed and signed the write, not that it was ordered and passed validation (e.g. an MVCC conflict); the block number is as reported at issue');
    return out;
  }

  // keyStep is step 6 of receipt.Check: the key per the bundle and, for a
  // record of a v2 batch (anchored without the chaincode seeing it), its
  // issuerCode and issuerName against the bundle's department — what a single
  // v2 issue is refused for (certificate.batchedFields; holderCodeType needs the
  // type catalogue, which the bundle does not carry: see unknowns).
  function keyStep(ka, issuedAt, p) {
    if (!ka.valid) return mk(6, 'fail', ka.code, ka.detail + ' (issued at ' + issuedAt + ')');
    var detail = ka.detail + ' (issued at ' + issuedAt + ')', R = p.r.record;
    if (!p.batch || !isV2(p.record)) return mk(6, 'pass', '', detail);
    var d = ka.department || {}, why = '';
    if (!d.code) why = 'issuerCode ' + R.issuerCode + ' cannot be confirmed: the registry at hand gives department ' + R.issuer + ' no unified social credit code';
    else if (!d.name) why = 'issuerName "' + R.issuerName + '" cannot be confirmed: the registry at hand gives no name for department ' + R.issuer;
    else if (R.issuerCode !== d.code) why = 'issuerCode ' + R.issuerCode + ' is not the code of department ' + R.issuer + ' (' + d.code + ')';
    else if (R.issuerName !== d.name) why = 'issuerName: "' + R.issuerName + '" must be the registered name of department ' + R.issuer + ', "' + d.name + '"';
    if (why) {
      return mk(6, 'fail', 'NOT_AUTHORIZED', 'this record of batch ' + p.batch.header.id + ' does not agree with the registry and the type catalogue as a single issue must: ' + why);
    }
    return mk(6, 'pass', '', detail + '; the batched record\'s issuerCode and issuerName are the department\'s (holderCodeType not checked: no type catalogue at hand)');
  }

  var STEP_VERDICT = { 2: 'HASH_MISMATCH', 3: 'NOT_ANCHORED', 4: 'BAD_SIGNATURE', 5: 'BAD_SIGNATURE', 6: 'KEY_INVALID' };
  function verdictOf(s) {
    if (s.step === 1) return s.code === 'UNTRUSTED_BUNDLE' ? s.code : 'BAD_FORMAT';
    if (s.step === 8) return s.code === 'EXPIRED' || s.code === 'NOT_YET_VALID' ? s.code : 'BAD_FORMAT';
    return STEP_VERDICT[s.step] || 'BAD_FORMAT';
  }

  // checkAnchor is step 3 of receipt.Check.
  function checkAnchor(p, b) {
    var r = p.r, failS = function (code, detail) { return { step: mk(3, 'fail', code, detail) }; };
    return decodeAnchor(p.anchor).then(function (tx) {
      var diffs = [];
      if (tx.channel !== b.channel) diffs.push('channel ' + tx.channel + ' (the bundle: ' + b.channel + ')');
      if (tx.txId !== r.ledger.txId) diffs.push('transaction ' + tx.txId + ' (the receipt\'s ledger.txId: ' + r.ledger.txId + ')');
      if (tx.chaincode !== b.chaincode || tx.namespace !== b.chaincode) diffs.push('chaincode ' + tx.chaincode + '/' + tx.namespace + ' (the bundle: ' + b.chaincode + ')');
      if (tx.status !== 200) diffs.push('chaincode response status ' + tx.status);
      if (diffs.length) return failS('TX_MISMATCH', 'the endorsed transaction is not the receipt\'s: ' + diffs.join('; '));
      var t = { s: tx.seconds, ns: tx.nanos };
      return checkEndorsements(p.anchor, b, t).then(function (endo) {
        if (p.batch) return checkBatchWrite(p, tx, endo);
        var key = '\u0000certificate\u0000' + r.record.id + '\u0000', w = tx.writes.filter(function (x) { return x.key === key && !x.isDelete; });
        var res = { endorsements: endo };
        if (!w.length) { res.step = mk(3, 'fail', 'WRITE_SET_MISMATCH', 'the endorsed write set of transaction ' + short(tx.txId) + ' does not write certificate ' + r.record.id); return res; }
        var written;
        try { written = parseJSON(w[w.length - 1].value); if (!isObj(written)) throw new Error('not an object'); } catch (e) {
          res.step = mk(3, 'fail', 'WRITE_SET_MISMATCH', 'the value written for certificate ' + r.record.id + ' is not a certificate: ' + e.message); return res;
        }
        var W = plain(written);
        res.issuedAt = W.issuedAt;
        var names = {}, d = [];
        p.record.keys.forEach(function (k) { names[k] = 1; });
        written.keys.forEach(function (k) { if (!CERT_STATE_FIELDS[k]) names[k] = 1; });
        Object.keys(names).sort().forEach(function (k) {
          var a = Object.prototype.hasOwnProperty.call(p.record.obj, k) ? canonical(p.record.obj[k]) : '';
          var bb = Object.prototype.hasOwnProperty.call(written.obj, k) ? canonical(written.obj[k]) : '';
          if (a !== bb) d.push('record.' + k + ' (receipt ' + a + ', written ' + bb + ')');
        });
        if (d.length) { res.step = mk(3, 'fail', 'WRITE_SET_MISMATCH', 'the endorsed write set holds another record for ' + r.record.id + ': ' + d.join('; ')); return res; }
        var wd = [], wt = parseTime(W.issuedAt), rt = parseTime(r.issuedAt);
        if (W.txId !== tx.txId) wd.push('txId ' + W.txId);
        if (W.status !== 'valid') wd.push('status ' + W.status);
        if (!wt || !rt || wt.s !== rt.s || wt.ns !== rt.ns) wd.push('issuedAt ' + W.issuedAt + ' (the receipt: ' + r.issuedAt + ')');
        if (wd.length) { res.step = mk(3, 'fail', 'WRITE_SET_MISMATCH', 'the endorsed write differs from the receipt: ' + wd.join('; ')); return res; }
        res.step = endorsedStep(r, tx, endo, 'writes exactly this record');
        return res;
      });
    }, function (e) { return failS('ANCHOR_MALFORMED', e.message); });
  }

  function endorsedStep(r, tx, endo, what) {
    if (!endo.satisfied) {
      var probs = endo.checks.filter(function (c) { return !c.valid; }).map(function (c) { return c.problem; });
      return mk(3, 'fail', 'ENDORSEMENT_INVALID', 'valid endorsements from [' + (endo.msps.length ? endo.msps.join(' ') : 'no organisation') +
        '] do not satisfy the bundle\'s policy ' + endo.policy + (probs.length ? ': ' + probs.join('; ') : ''));
    }
    return mk(3, 'pass', '', 'transaction ' + short(tx.txId) + ' on channel ' + tx.channel + ', endorsed by ' + endo.msps.join(', ') +
      ' (policy ' + endo.policy + '; every endorser chains to a root CA in the trust bundle), ' + what + '; block ' +
      r.ledger.blockNumber + ' as reported at issue');
  }

  // checkBatchWrite is receipt's checkBatchWrite: the write set anchors exactly
  // the receipt's batch header, by this transaction, at the receipt's issue time.
  function checkBatchWrite(p, tx, endo) {
    var r = p.r, H = p.batch.header, hobj = p.batchObj.obj.header, res = { endorsements: endo };
    var key = '\u0000batch\u0000' + H.id + '\u0000', w = tx.writes.filter(function (x) { return x.key === key && !x.isDelete; });
    if (!w.length) { res.step = mk(3, 'fail', 'WRITE_SET_MISMATCH', 'the endorsed write set of transaction ' + short(tx.txId) + ' does not anchor batch ' + H.id); return res; }
    var written;
    try { written = parseJSON(w[w.length - 1].value); if (!isObj(written)) throw new Error('not an object'); } catch (e) {
      res.step = mk(3, 'fail', 'WRITE_SET_MISMATCH', 'the value written for batch ' + H.id + ' is not a batch header: ' + e.message); return res;
    }
    var names = {}, d = [];
    hobj.keys.forEach(function (k) { names[k] = 1; });
    written.keys.forEach(function (k) { names[k] = 1; });
    Object.keys(names).sort().forEach(function (k) {
      var a = Object.prototype.hasOwnProperty.call(hobj.obj, k) ? canonical(hobj.obj[k]) : '';
      var bb = Object.prototype.hasOwnProperty.call(written.obj, k) ? canonical(written.obj[k]) : '';
      if (a !== bb) d.push('batch.header.' + k + ' (receipt ' + a + ', written ' + bb + ')');
    });
    if (d.length) { res.step = mk(3, 'fail', 'WRITE_SET_MISMATCH', 'the endorsed write set holds another header for batch ' + H.id + ': ' + d.join('; ')); return res; }
    var W = plain(written), wd = [], wt = parseTime(W.anchoredAt), rt = parseTime(r.issuedAt);
    if (W.txId !== tx.txId) wd.push('txId ' + W.txId);
    if (!wt || !rt || wt.s !== rt.s || wt.ns !== rt.ns) wd.push('anchoredAt ' + W.anchoredAt + ' (the receipt\'s issuedAt: ' + r.issuedAt + ')');
    if (wd.length) { res.step = mk(3, 'fail', 'WRITE_SET_MISMATCH', 'the endorsed write differs from the receipt: ' + wd.join('; ')); return res; }
    res.issuedAt = W.anchoredAt;
    res.step = endorsedStep(r, tx, endo, 'anchors exactly this batch header');
    return res;
  }

  // merkleRoot is merkle.RootFromProof (RFC 9162 2.1.3.2) over SM3 with domain
  // separation: leaf = SM3(0x00 ‖ data), node = SM3(0x01 ‖ left ‖ right).
  function merkleRoot(leafData, index, size, path) {
    if (index < 0 || size <= 0 || index >= size) throw fail('MERKLE_MISMATCH', 'index ' + index + ' not in a tree of ' + size);
    var node = function (l, r) { var b = new Uint8Array(65); b[0] = 1; b.set(l, 1); b.set(r, 33); return unhex(sm3Hex(b)); };
    var lb = new Uint8Array(leafData.length + 1);
    lb.set(leafData, 1);
    var r = unhex(sm3Hex(lb)), fn = index, sn = size - 1;
    for (var i = 0; i < path.length; i++) {
      if (sn === 0) throw fail('MERKLE_MISMATCH', 'proof too long');
      var pth = unhex(path[i]);
      if ((fn & 1) === 1 || fn === sn) {
        r = node(pth, r);
        while ((fn & 1) === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = node(r, pth);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw fail('MERKLE_MISMATCH', 'proof too short');
    return hex(r);
  }

  // merkleStep is step 4 of a batched receipt (batch.Proof.Verify).
  function merkleStep(p) {
    var B = p.batch, H = B.header, P = B.proof, R = B.record;
    try {
      if (P.batchId !== H.id) throw fail('MERKLE_MISMATCH', 'the proof is for batch ' + P.batchId + ', the header is ' + H.id);
      if (P.size !== H.count) throw fail('MERKLE_MISMATCH', 'the proof is for a tree of ' + P.size + ' leaves, batch ' + H.id + ' has ' + H.count);
      if (R.issuer !== H.issuer || R.keyId !== H.keyId) throw fail('MERKLE_MISMATCH', 'record ' + R.id + ' is not of the batch\'s issuer and key');
      var leaf = recordPayload(p.record); // = recordKind + "\n" + the canonical line: the v1 or v2 signed view
      if (merkleRoot(leaf, P.index, P.size, P.path) !== H.root) throw fail('MERKLE_MISMATCH', 'root mismatch');
    } catch (e) {
      return mk(4, 'fail', 'MERKLE_MISMATCH', 'bad Merkle proof: ' + e.message);
    }
    return mk(4, 'pass', '', 'leaf ' + P.index + ' of ' + P.size + ' leads to the root ' + short(H.root) + ' of batch ' + H.id);
  }

  // verifyReceipt: see above. bundleResult is verifyTrustBundle's answer.
  function verifyReceipt(data, fileHash, bundleResult, pin, now) {
    var t = timeArg(now || new Date()), res = { verdict: '', steps: [], unknown: [], asOfHeight: 0, asOfTime: '', endorsements: null };
    var p, b, pinN = '';
    try { pinN = normalizePin(pin); } catch (e) { /* reported below */ }
    var s1;
    try { p = parseReceipt(data); } catch (e) { s1 = mk(1, 'fail', 'BAD_FORMAT', e.message); }
    if (!s1) {
      if (!bundleResult || !bundleResult.ok) {
        s1 = mk(1, 'fail', 'UNTRUSTED_BUNDLE', 'trust bundle: ' + (bundleResult ? bundleResult.error : 'none given') + '; offline verification needs a bundle signed by the pinned governance key');
      } else if ((b = bundleResult.bundle).governance.keyId !== pinN) {
        s1 = mk(1, 'fail', 'UNTRUSTED_BUNDLE', 'the trust bundle is signed by ' + b.governance.keyId + ', not by the pinned key ' + pinN);
      } else if (p.r.ledger.channel !== b.channel) {
        s1 = mk(1, 'fail', 'BAD_FORMAT', 'the receipt is for channel ' + p.r.ledger.channel + ', the trust bundle describes ' + b.channel);
      }
    }
    if (s1) {
      res.steps.push(s1);
      for (var n = 2; n <= 8; n++) res.steps.push(mk(n, 'skipped', 'NOT_REACHED', 'the receipt or the trust bundle is unusable'));
      res.verdict = verdictOf(s1);
      res.unknown = unknowns(p && p.r, null, p);
      return Promise.resolve(res);
    }
    var r = p.r;
    res.asOfHeight = b.height;
    res.asOfTime = b.blockTime;
    var d1 = 'receipt ' + RECEIPT_VERSION + '; trust bundle of channel ' + b.channel + ' at height ' + b.height + ' (' + b.blockTime +
      ') signed by the pinned governance key ' + short(pinN);
    if (r.bundleFingerprint !== pinN) d1 += '; note: the issuer worked under governance key ' + short(r.bundleFingerprint) + ', not the one pinned here';
    res.steps.push(mk(1, 'pass', '', d1));
    return checkAnchor(p, b).then(function (an) {
      res.endorsements = an.endorsements || null;
      var issuedAt = an.issuedAt || r.issuedAt;
      var ka = keyValidAt(b, r.record.issuer, r.record.keyId, issuedAt);
      // 2 hash
      if (!fileHash) res.steps.push(mk(2, 'skipped', 'NO_FILE', 'no document given'));
      else if (fileHash !== r.record.docHash) res.steps.push(mk(2, 'fail', 'HASH_MISMATCH', 'file hash ' + fileHash + ' differs from the record\'s docHash ' + r.record.docHash));
      else res.steps.push(mk(2, 'pass', '', 'the document\'s SM3 ' + fileHash + ' equals the record\'s docHash'));
      res.steps.push(an.step);
      res.steps.push(p.batch ? merkleStep(p) : mk(4, 'skipped', 'NOT_BATCHED', 'not anchored in a batch'));
      // 5 signature with the bundle's key
      if (!ka.key) {
        res.steps.push(mk(5, 'skipped', 'NOT_IN_BUNDLE', 'the trust bundle lists no key ' + r.record.keyId + ' of ' + r.record.issuer + ': no trusted key to check the signature with (step 6)'));
      } else if (p.batch) {
        var hv = verifySM2(ka.key.publicKey, payload('batch-header', p.batchObj.obj.header, BATCH_HEADER_FIELDS), p.batch.header.signature);
        res.steps.push(hv.ok ? mk(5, 'pass', '', 'SM2 signature over the header of batch ' + p.batch.header.id + ' verifies with key ' + r.record.keyId + ' of ' + r.record.issuer + ' as listed in the trust bundle')
          : mk(5, 'fail', 'BAD_SIGNATURE', 'batch ' + p.batch.header.id + ' header: ' + hv.error));
      } else {
        var v = verifySM2(ka.key.publicKey, recordPayload(p.record), r.record.signature);
        res.steps.push(v.ok ? mk(5, 'pass', '', 'SM2 signature verifies with key ' + r.record.keyId + ' of ' + r.record.issuer + ' as listed in the trust bundle')
          : mk(5, 'fail', 'BAD_SIGNATURE', 'certificate signature does not verify with key ' + r.record.keyId + ': ' + v.error));
      }
      // 6 key (and, for a batched v2 record, its issuer fields: certificate.batchedFields)
      res.steps.push(keyStep(ka, issuedAt, p));
      // 7 status
      res.steps.push(mk(7, 'skipped', 'OFFLINE', p.batch
        ? 'offline: the certificate was valid when transaction ' + short(r.ledger.txId) + ' anchored batch ' + p.batch.header.id + '; a status change since (which writes it on the ledger by id) is on the ledger only'
        : 'offline: the status was "valid" when transaction ' + short(r.ledger.txId) + ' wrote the record; a revocation, suspension or supersession since is on the ledger only'));
      // 8 validity at now
      var from = parseTime(r.record.validFrom), until = r.record.validUntil ? parseTime(r.record.validUntil) : null;
      if (before(t, from)) res.steps.push(mk(8, 'fail', 'NOT_YET_VALID', 'valid only from ' + r.record.validFrom));
      else if (!until) res.steps.push(mk(8, 'pass', '', 'valid from ' + r.record.validFrom + ', no end'));
      else if (!before(t, until)) res.steps.push(mk(8, 'fail', 'EXPIRED', 'expired at ' + r.record.validUntil));
      else res.steps.push(mk(8, 'pass', '', 'within ' + r.record.validFrom + ' .. ' + r.record.validUntil));
      res.verdict = 'VALID';
      for (var i = 0; i < res.steps.length; i++) {
        if (res.steps[i].status === 'fail') { res.verdict = verdictOf(res.steps[i]); break; }
      }
      res.unknown = unknowns(r, b, p);
      res.record = r.record;
      res.issuedAt = issuedAt;
      res.issuerName = ka.department ? ka.department.name : '';
      return res;
    });
  }

  return {
    BUNDLE_FORMAT: BUNDLE_FORMAT,
    sm3Hex: sm3Hex,
    parseJSON: parseJSON,
    canonicalize: function (jsonText) { return canonical(parseJSON(jsonText)); },
    payload: payload,
    base64Strict: base64Strict,
    parseSignatureDER: parseSignatureDER,
    parsePublicKeyPEM: parsePublicKeyPEM,
    verifySM2: verifySM2,
    normalizePin: normalizePin,
    verifyTrustBundle: verifyTrustBundle,
    keyValidAt: keyValidAt,
    hex: hex,
    unhex: unhex,
    RECEIPT_VERSION: RECEIPT_VERSION,
    CERT_SIGNED_FIELDS: CERT_SIGNED_FIELDS,
    BATCH_HEADER_FIELDS: BATCH_HEADER_FIELDS,
    BATCH_V2_RECORD_FIELDS: BATCH_V2_RECORD_FIELDS,
    CERT_V2_SIGNED_FIELDS: CERT_V2_SIGNED_FIELDS,
    CERT_STATE_FIELDS: Object.keys(CERT_STATE_FIELDS).sort(),
    parseCertDER: parseCertDER,
    verifyReceipt: verifyReceipt
  };
}));
