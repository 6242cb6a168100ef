// sm3_runner.js drives static/sm3.js under Node for sm3_test.go.
// Usage: node sm3_runner.js PATH/TO/sm3.js FILE...
// Prints one JSON object per file: the digest computed four ways (one shot, uneven update
// pieces, hashBlob with the default chunk size, hashBlob with small odd chunk sizes).
'use strict';
const fs = require('fs');
const sm3 = require(process.argv[2]);

async function main() {
  console.log(JSON.stringify({ defaultChunk: sm3.DEFAULT_CHUNK }));
  for (const file of process.argv.slice(3)) {
    const data = new Uint8Array(fs.readFileSync(file));
    const out = { file, size: data.length };
    out.oneShot = sm3.digestHex(data);

    // Uneven pieces: 1, 2, 3, ... bytes, then 4097-byte pieces, so block and buffer
    // boundaries fall everywhere.
    const h = sm3.create();
    let off = 0, n = 1;
    while (off < data.length) {
      const end = Math.min(off + n, data.length);
      h.update(data.subarray(off, end));
      off = end;
      n = n < 130 ? n + 1 : 4097;
    }
    out.pieces = h.hex();

    const blob = new Blob([data]);
    let progressCalls = 0, lastDone = 0;
    out.blobDefault = await sm3.hashBlob(blob, {
      onProgress: (done, total) => { progressCalls++; lastDone = done; if (total !== data.length) throw new Error('bad total'); },
    });
    out.progressCalls = progressCalls;
    out.progressDone = lastDone;
    out.blobSmall = {};
    const small = data.length <= 4096 ? [1, 63, 64, 65, 1000] : data.length <= 70000 ? [63, 64, 1000, 65543] : [65543, 1048573];
    for (const cs of small) out.blobSmall[cs] = await sm3.hashBlob(blob, { chunkSize: cs });
    console.log(JSON.stringify(out));
  }
}

main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
