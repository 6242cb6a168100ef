/*
 * sm3.js — SM3 cryptographic hash (GB/T 32905-2016, GM/T 0004-2012) in plain JavaScript.
 *
 * No dependencies, no build step. Works as a classic browser script (defines the global
 * `CertledgerSM3`) and as a CommonJS module under Node (module.exports), so the same file is
 * tested against the Go implementation.
 *
 *   var h = CertledgerSM3.create(); h.update(bytes); h.update(more); h.hex();
 *   CertledgerSM3.digestHex(bytes)                       // one shot
 *   CertledgerSM3.hashBlob(file, {chunkSize, onProgress, signal}) // Promise<hex>, streams
 *       the file through File.slice so a large file never sits in memory at once.
 */
(function (root) {
  'use strict';

  var IV = [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600,
            0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];

  function rotl(x, n) {
    n &= 31;
    return n === 0 ? x : ((x << n) | (x >>> (32 - n)));
  }

  // T_j <<< (j mod 32), precomputed for the 64 rounds.
  var TJ = new Int32Array(64);
  for (var j = 0; j < 64; j++) {
    TJ[j] = rotl(j < 16 ? 0x79cc4519 : 0x7a879d8a, j);
  }

  var DEFAULT_CHUNK = 4 * 1024 * 1024; // bytes read from a Blob at a time

  function SM3() {
    this.v = new Int32Array(IV);
    this.w = new Int32Array(68);
    this.buf = new Uint8Array(64);
    this.bufLen = 0;
    this.len = 0; // total bytes hashed (safe up to 2^53)
    this.done = false;
  }

  // compress processes the 64-byte block of b starting at off.
  SM3.prototype.compress = function (b, off) {
    var w = this.w, v = this.v, i, j;
    for (i = 0; i < 16; i++) {
      var k = off + 4 * i;
      w[i] = (b[k] << 24) | (b[k + 1] << 16) | (b[k + 2] << 8) | b[k + 3];
    }
    for (j = 16; j < 68; j++) {
      var x = w[j - 16] ^ w[j - 9] ^ rotl(w[j - 3], 15);
      w[j] = (x ^ rotl(x, 15) ^ rotl(x, 23)) ^ rotl(w[j - 13], 7) ^ w[j - 6];
    }
    var A = v[0], B = v[1], C = v[2], D = v[3], E = v[4], F = v[5], G = v[6], H = v[7];
    var ss1, ss2, tt1, tt2, a12;
    for (j = 0; j < 16; j++) {
      a12 = rotl(A, 12);
      ss1 = rotl((a12 + E + TJ[j]) | 0, 7);
      ss2 = ss1 ^ a12;
      tt1 = ((A ^ B ^ C) + D + ss2 + (w[j] ^ w[j + 4])) | 0;
      tt2 = ((E ^ F ^ G) + H + ss1 + w[j]) | 0;
      D = C; C = rotl(B, 9); B = A; A = tt1;
      H = G; G = rotl(F, 19); F = E; E = tt2 ^ rotl(tt2, 9) ^ rotl(tt2, 17);
    }
    for (j = 16; j < 64; j++) {
      a12 = rotl(A, 12);
      ss1 = rotl((a12 + E + TJ[j]) | 0, 7);
      ss2 = ss1 ^ a12;
      tt1 = (((A & B) | (A & C) | (B & C)) + D + ss2 + (w[j] ^ w[j + 4])) | 0;
      tt2 = (((E & F) | (~E & G)) + H + ss1 + w[j]) | 0;
      D = C; C = rotl(B, 9); B = A; A = tt1;
      H = G; G = rotl(F, 19); F = E; E = tt2 ^ rotl(tt2, 9) ^ rotl(tt2, 17);
    }
    v[0] ^= A; v[1] ^= B; v[2] ^= C; v[3] ^= D;
    v[4] ^= E; v[5] ^= F; v[6] ^= G; v[7] ^= H;
  };

  // update hashes more bytes (Uint8Array, ArrayBuffer or a string, taken as UTF-8).
  SM3.prototype.update = function (data) {
    if (this.done) throw new Error('sm3: update after digest');
    var b = toBytes(data), n = b.length, i = 0;
    this.len += n;
    if (this.bufLen > 0) {
      var take = Math.min(64 - this.bufLen, n);
      this.buf.set(b.subarray(0, take), this.bufLen);
      this.bufLen += take;
      i = take;
      if (this.bufLen < 64) return this;
      this.compress(this.buf, 0);
      this.bufLen = 0;
    }
    for (; i + 64 <= n; i += 64) this.compress(b, i);
    if (i < n) {
      this.buf.set(b.subarray(i), 0);
      this.bufLen = n - i;
    }
    return this;
  };

  // digest pads, finishes and returns the 32-byte digest. The hash cannot be updated after.
  SM3.prototype.digest = function () {
    if (!this.done) {
      var len = this.len;
      var hi = Math.floor(len / 0x20000000) >>> 0; // high 32 bits of the bit length
      var lo = ((len % 0x20000000) * 8) >>> 0;     // low 32 bits of the bit length
      var pad = new Uint8Array(this.bufLen < 56 ? 64 : 128);
      pad.set(this.buf.subarray(0, this.bufLen), 0);
      pad[this.bufLen] = 0x80;
      var e = pad.length;
      pad[e - 8] = hi >>> 24; pad[e - 7] = hi >>> 16; pad[e - 6] = hi >>> 8; pad[e - 5] = hi;
      pad[e - 4] = lo >>> 24; pad[e - 3] = lo >>> 16; pad[e - 2] = lo >>> 8; pad[e - 1] = lo;
      for (var off = 0; off < pad.length; off += 64) this.compress(pad, off);
      this.done = true;
    }
    var out = new Uint8Array(32);
    for (var i = 0; i < 8; i++) {
      var x = this.v[i];
      out[4 * i] = x >>> 24; out[4 * i + 1] = x >>> 16; out[4 * i + 2] = x >>> 8; out[4 * i + 3] = x;
    }
    return out;
  };

  // hex returns the digest as 64 lowercase hex characters.
  SM3.prototype.hex = function () {
    var d = this.digest(), s = '';
    for (var i = 0; i < d.length; i++) s += (d[i] < 16 ? '0' : '') + d[i].toString(16);
    return s;
  };

  function toBytes(data) {
    if (data instanceof Uint8Array) return data;
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (typeof data === 'string') return new TextEncoder().encode(data);
    throw new TypeError('sm3: expected bytes or a string');
  }

  function readChunk(blob) {
    if (typeof blob.arrayBuffer === 'function') return blob.arrayBuffer();
    return new Promise(function (resolve, reject) { // browsers without Blob.arrayBuffer
      var r = new FileReader();
      r.onload = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
      r.readAsArrayBuffer(blob);
    });
  }

  // hashBlob streams a Blob (a File) through SM3, chunkSize bytes at a time, and resolves to
  // the hex digest. opts.onProgress(doneBytes, totalBytes) is called after each chunk;
  // opts.signal (an AbortSignal) stops it with an AbortError.
  function hashBlob(blob, opts) {
    opts = opts || {};
    var chunk = opts.chunkSize > 0 ? Math.floor(opts.chunkSize) : DEFAULT_CHUNK;
    var h = new SM3(), size = blob.size, off = 0;
    function step() {
      if (opts.signal && opts.signal.aborted) {
        var err = new Error('hashing aborted');
        err.name = 'AbortError';
        return Promise.reject(err);
      }
      if (off >= size) return Promise.resolve(h.hex());
      var end = Math.min(off + chunk, size);
      return readChunk(blob.slice(off, end)).then(function (ab) {
        h.update(new Uint8Array(ab));
        off = end;
        if (opts.onProgress) opts.onProgress(off, size);
        return step();
      });
    }
    return step();
  }

  var api = {
    create: function () { return new SM3(); },
    digestHex: function (data) { return new SM3().update(data).hex(); },
    hashBlob: hashBlob,
    DEFAULT_CHUNK: DEFAULT_CHUNK
  };

  if (typeof module === 'object' && module.exports) {
    module.exports = api;
  } else {
    root.CertledgerSM3 = api;
  }
})(typeof globalThis !== 'undefined' ? globalThis : this);
