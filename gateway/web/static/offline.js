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
  // its optional fields (canon.OptionalFields) that hold a non-empty string.
  function payload(kind, recordJSON, fields, optional) {
    var rec = parseJSON(recordJSON);
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
  function parseSignatureDER(der) {
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
    if (r < 1n || r >= N || s < 1n || s >= N) throw fail('BAD_SIGNATURE', 'r or s out of range');
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
    var st = stateAt(k, t);
    a.valid = st[0] === '';
    a.code = a.valid ? 'KEY_VALID' : st[0];
    a.detail = st[1] + ' (per the trust bundle at height ' + b.height + ', ' + b.blockTime + ')';
    if (a.afterBundle && a.valid) a.detail += '; the time is after the bundle: a revocation registered since is not known to it';
    return a;
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
    unhex: unhex
  };
}));
