/*
 * app.js — the certledger verify page.
 *
 * The chosen file is hashed here with SM3 (sm3.js), chunk by chunk; only its digest (and the
 * certificate id, if given) goes to GET <api>/verify. The ledger's VerifyResult is shown as a
 * verdict and the numbered pipeline; step 2 (hash) is the local one.
 * State for tests and assistive tech: body[data-state] = idle|hashing|busy|done|error,
 * #result[data-verdict] = the verdict shown.
 */
(function () {
  'use strict';

  var HEX64 = /^[0-9a-f]{64}$/;
  var metaAPI = document.querySelector('meta[name="certledger-api"]');
  var API = (metaAPI && metaAPI.content) || '/api/v1';

  var VERDICTS = {
    VALID: ['ok', '✓', 'VALID', '有效',
      'The certificate is authentic, in force and within its validity period.',
      '证照真实、有效，且在有效期内。'],
    NOT_FOUND: ['bad', '✗', 'NOT FOUND', '未找到',
      'No certificate matches this hash or ID.', '没有与此摘要或编号匹配的证照。'],
    BAD_FORMAT: ['bad', '✗', 'BAD FORMAT', '格式错误',
      'The hash or certificate ID is not well formed.', '摘要或证照编号格式不正确。'],
    HASH_MISMATCH: ['bad', '✗', 'HASH MISMATCH', '摘要不符',
      'This file is not the document the certificate (or QR code) refers to: its hash differs.',
      '此文件与证照（或二维码）所指文件不一致：摘要不同。'],
    BAD_SIGNATURE: ['bad', '✗', 'BAD SIGNATURE', '签名无效',
      'The issuer\'s SM2 signature on the record does not verify. Do not trust it.',
      '记录上的签发部门 SM2 签名验证失败，请勿信任。'],
    KEY_INVALID: ['bad', '✗', 'KEY INVALID', '密钥无效',
      'The signing key was not valid for the issuer at the time of issue.',
      '签发时所用密钥对该部门无效。'],
    REVOKED: ['bad', '✗', 'REVOKED', '已撤销',
      'The issuer has revoked this certificate.', '签发部门已撤销此证照。'],
    SUSPENDED: ['warn', '!', 'SUSPENDED', '已暂停',
      'The issuer has suspended this certificate.', '签发部门已暂停此证照。'],
    SUPERSEDED: ['warn', '!', 'SUPERSEDED', '已被替换',
      'A newer certificate replaces this one.', '此证照已被新证照替换。'],
    EXPIRED: ['bad', '✗', 'EXPIRED', '已过期',
      'The certificate\'s validity period has ended.', '证照已超过有效期。'],
    NOT_YET_VALID: ['warn', '!', 'NOT YET VALID', '尚未生效',
      'The certificate\'s validity period has not started.', '证照尚未到生效日期。']
  };
  var NOT_FOUND_FILE = ['No certificate matches this file.', '没有与此文件匹配的证照。'];

  var STEP_ZH = { 1: '格式', 2: '文件摘要', 3: '账本查询', 4: '默克尔证明', 5: '签名', 6: '密钥', 7: '状态', 8: '有效期' };
  var CERT_STATUS_ZH = { valid: '有效', suspended: '已暂停', revoked: '已撤销', superseded: '已被替换' };
  var STATUS = { pass: ['PASS', '通过'], fail: ['FAIL', '未通过'], skipped: ['SKIPPED', '跳过'] };

  // Holder code types the page names (持证主体代码类型); others are shown as their code.
  var HOLDER_CODE_TYPES = { '111': ['citizen identity number', '居民身份证号码'], '001': ['unified social credit code', '统一社会信用代码'] };

  // Times are shown in the verifier's time zone: ?tz=Area/City, else the page's
  // <meta name="certledger-tz">, else Asia/Shanghai. Records carry RFC 3339 UTC.
  var TZ = (function () {
    var metaTZ = document.querySelector('meta[name="certledger-tz"]');
    var candidates = [new URLSearchParams(window.location.search).get('tz'), metaTZ && metaTZ.content, 'Asia/Shanghai'];
    for (var i = 0; i < candidates.length; i++) {
      var z = candidates[i];
      if (!z) continue;
      try { new Intl.DateTimeFormat('en', { timeZone: z }); return z; } catch (e) { /* not a zone: next */ }
    }
    return 'UTC';
  })();
  var TIME_FMT = new Intl.DateTimeFormat('en-CA', {
    timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'
  });

  // fmtTime renders an RFC 3339 time as "YYYY-MM-DD HH:mm:ss (Zone)" in TZ.
  function fmtTime(iso) {
    var d = new Date(iso);
    if (!iso || isNaN(d.getTime())) return iso;
    var p = {};
    TIME_FMT.formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
    return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second + ' (' + TZ + ')';
  }

  // certRows lists the certificate fields shown, in order: [field, English, 中文, value, mono].
  // The holder's name and code are on the ledger only as salted commitments and are
  // deliberately left out.
  function certRows(cert, res) {
    var v2 = cert.recordVersion === 2, rows = [];
    var ident = res.identifier;
    function add(field, en, zhText, value, mono) {
      if (value === undefined || value === null || value === '') return;
      rows.push([field, en, zhText, String(value), !!mono]);
    }
    add('id', ident ? 'Identifier (GB/T 36904)' : 'Certificate ID', ident ? '证照标识' : '证照编号', cert.id, true);
    if (ident && ident.check) {
      add('identifierCheck', 'Check character', '校验位', ident.check +
        ' — verified (ISO/IEC 7064 MOD 37,36) · 已核验');
    }
    add('name', 'Certificate name', '证照名称', cert.name);
    var t = res.certType;
    add('type', 'Type', '证照类型', t ? t.name + ' · ' + t.nameEn + ' (' + t.code + ')' : cert.type, !t && v2);
    if (t && t.definingBody) add('definingBody', 'Defined by', '定义机构', t.definingBody + ' (' + t.definingBodyCode + ')');
    add('issuerName', 'Issuing organisation', '颁发机构', cert.issuerName);
    add('issuerCode', 'Issuing organisation code', '颁发机构代码', cert.issuerCode, true);
    add('issuer', v2 ? 'Issuing department (ledger)' : 'Issuer', v2 ? '签发部门（账本）' : '签发部门', cert.issuer);
    add('issueDate', 'Issue date', '颁发日期', cert.issueDate);
    if (cert.holderCodeType) {
      var h = HOLDER_CODE_TYPES[cert.holderCodeType];
      add('holderCodeType', 'Holder code type', '持证主体代码类型', cert.holderCodeType + (h ? ' · ' + h[0] + ' · ' + h[1] : ''));
    }
    add('validFrom', 'Valid from', '有效期起始', cert.validFrom && fmtTime(cert.validFrom));
    add('validUntil', 'Valid until', '有效期截止', cert.validUntil ? fmtTime(cert.validUntil) : (v2 ? 'no end · 长期' : ''));
    var st = cert.status;
    add('status', 'Status', '状态', st && CERT_STATUS_ZH[st] ? st + ' · ' + CERT_STATUS_ZH[st] : st);
    add('statusReason', 'Status reason', '状态原因', cert.statusReason);
    add('supersedes', 'Supersedes', '替换了', cert.supersedes, true);
    add('supersededBy', 'Superseded by', '被替换为', cert.supersededBy, true);
    var ext = cert.extensions && typeof cert.extensions === 'object' ? cert.extensions : {};
    Object.keys(ext).sort().forEach(function (k) { add('ext.' + k, k, '扩展字段', ext[k]); });
    add('issuedAt', 'Anchored at', '上链时间', cert.issuedAt && fmtTime(cert.issuedAt));
    add('docHash', 'Document SM3', '文件摘要', cert.docHash, true);
    add('keyId', 'Signing key', '签名密钥', cert.keyId, true);
    add('batchId', 'Batch', '批次', cert.batchId, true);
    add('txId', 'Transaction ID', '交易编号', cert.txId, true);
    return rows;
  }

  function $(id) { return document.getElementById(id); }

  var els = {
    form: $('verify-form'), file: $('file'), drop: $('drop'), fileStatus: $('file-status'),
    progress: $('progress'), hash: $('hash'), id: $('cert-id'), btn: $('verify-btn'),
    reset: $('reset-btn'), formError: $('form-error'), result: $('result'),
    heading: $('verdict-heading'), verdict: $('verdict'), icon: $('verdict-icon'),
    verdictText: $('verdict-text'), hashBox: $('hash-box'), fileName: $('file-name'),
    computed: $('computed-hash'), certBox: $('cert-box'), certFields: $('cert-fields'),
    matchesBox: $('matches-box'), matches: $('matches'), stepsBox: $('steps-box'),
    steps: $('steps'), checkedAt: $('checked-at')
  };

  // The local file and its hash. run counts verifications so a stale answer is dropped.
  var local = { file: null, hash: '', hashing: null, abort: null };
  var run = 0;

  function setState(s) { document.body.setAttribute('data-state', s); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function zh(text) { var s = el('span', '', text); s.lang = 'zh-CN'; return s; }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function humanSize(n) {
    if (n < 1024) return n + ' B';
    var u = ['KiB', 'MiB', 'GiB', 'TiB'], i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
    return n.toFixed(n < 10 ? 1 : 0) + ' ' + u[i];
  }

  function showFormError(en, zhText) {
    clear(els.formError);
    els.formError.appendChild(document.createTextNode(en + ' '));
    if (zhText) els.formError.appendChild(zh(zhText));
    els.formError.hidden = false;
  }
  function hideFormError() {
    els.formError.hidden = true;
    clear(els.formError);
    els.hash.removeAttribute('aria-invalid');
    els.id.removeAttribute('aria-invalid');
  }

  // ---- hashing -------------------------------------------------------------------------

  function chooseFile(file) {
    if (!file) return;
    if (local.abort) local.abort.abort();
    var ctl = typeof AbortController === 'function' ? new AbortController() : null;
    local = { file: file, hash: '', hashing: null, abort: ctl };
    hideFormError();
    setState('hashing');
    els.fileStatus.textContent = 'Hashing ' + file.name + ' (' + humanSize(file.size) + ') on this device… 正在本机计算摘要…';
    els.progress.value = 0;
    els.progress.hidden = false;
    var mine = local;
    mine.hashing = window.CertledgerSM3.hashBlob(file, {
      signal: ctl ? ctl.signal : undefined,
      onProgress: function (done, total) {
        if (local === mine) els.progress.value = total ? Math.floor(100 * done / total) : 100;
      }
    }).then(function (hex) {
      if (local !== mine) return hex;
      mine.hash = hex;
      els.progress.hidden = true;
      els.fileStatus.textContent = file.name + ' (' + humanSize(file.size) + ') — SM3 ' + hex;
      return hex;
    }, function (err) {
      if (local === mine) {
        els.progress.hidden = true;
        els.fileStatus.textContent = '';
        if (!err || err.name !== 'AbortError') {
          setState('error');
          showFormError('Could not read the file: ' + (err && err.message ? err.message : err), '无法读取文件。');
        }
      }
      throw err;
    });
    return verify();
  }

  // ---- the API -------------------------------------------------------------------------

  function callVerify(hash, id) {
    var q = [];
    if (hash) q.push('hash=' + encodeURIComponent(hash));
    if (id) q.push('id=' + encodeURIComponent(id));
    return fetch(API + '/verify?' + q.join('&'), {
      method: 'GET', headers: { Accept: 'application/json' }, cache: 'no-store',
      credentials: 'same-origin', referrerPolicy: 'no-referrer'
    }).then(function (resp) {
      return resp.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (body && typeof body.verdict === 'string') return body;
        if (resp.status === 404 && body && body.code === 'NOT_FOUND') {
          return { verdict: 'NOT_FOUND', steps: [], matches: [], apiMessage: body.message };
        }
        var err = new Error((body && body.message) || text.slice(0, 300) || resp.statusText || 'no answer');
        err.status = resp.status;
        err.code = (body && body.code) || ('HTTP_' + resp.status);
        err.retryAfter = resp.headers.get('Retry-After');
        throw err;
      });
    });
  }

  // ---- verification --------------------------------------------------------------------

  function verify() {
    hideFormError();
    var id = els.id.value.trim();
    var expected = els.hash.value.replace(/\s+/g, '').toLowerCase();
    if (expected !== els.hash.value) els.hash.value = expected;
    if (expected && !HEX64.test(expected)) {
      els.hash.setAttribute('aria-invalid', 'true');
      setState('error');
      showFormError('The hash must be 64 hexadecimal characters (SM3).', '摘要须为 64 位十六进制字符 (SM3)。');
      els.hash.focus();
      return Promise.resolve();
    }
    if (!local.file && !expected && !id) {
      setState('error');
      showFormError('Choose a file, or enter a hash or a certificate ID.', '请选择文件，或输入摘要或证照编号。');
      return Promise.resolve();
    }
    var mine = ++run;
    var hashing = local.file ? local.hashing : Promise.resolve('');
    var file = local.file;
    els.btn.disabled = true;
    return hashing.then(function (fileHash) {
      if (mine !== run) return;
      setState('busy');
      showBusy();
      var mismatch = !!(fileHash && expected && fileHash !== expected);
      // On a mismatch ask about the certificate the QR code / receipt names, to show it.
      var queryHash = mismatch ? expected : (fileHash || expected);
      return callVerify(queryHash, id).then(function (res) {
        if (mine !== run) return;
        render(res, { file: file, fileHash: fileHash, expected: expected, mismatch: mismatch });
        setState('done');
      }, function (err) {
        if (mine !== run) return;
        showAPIError(err);
      }).then(null, function (err) { // render failed on an answer of unexpected shape
        if (mine !== run) return;
        els.result.hidden = true;
        setState('error');
        showFormError('The page could not show the answer: ' + (err && err.message ? err.message : err), '无法显示核验结果。');
      });
    }, function () { /* hashing failed or was replaced: already reported */ })
      .then(function () { if (mine === run) els.btn.disabled = false; });
  }

  function showBusy() {
    els.result.hidden = false;
    els.result.setAttribute('data-verdict', '');
    els.heading.className = 'verdict busy';
    els.icon.textContent = '…';
    els.verdict.textContent = 'Checking… 正在核验…';
    clear(els.verdictText);
    [els.hashBox, els.certBox, els.matchesBox, els.stepsBox].forEach(function (b) { b.hidden = true; });
    els.checkedAt.textContent = '';
  }

  function showAPIError(err) {
    els.result.hidden = true;
    setState('error');
    var msg;
    if (err.status === 429) {
      var wait = err.retryAfter ? ' Try again in ' + err.retryAfter + ' s.' : ' Please wait a moment and try again.';
      msg = 'Too many requests (429 ' + err.code + '): ' + err.message + '.' + wait;
      showFormError(msg, '请求过于频繁，请稍后再试。');
    } else if (err.status) {
      msg = 'The verification service answered ' + err.status + ' ' + err.code + ': ' + err.message;
      showFormError(msg, '核验服务返回错误。');
    } else {
      showFormError('Cannot reach the verification service: ' + err.message, '无法连接核验服务。');
    }
  }

  function localHashStep(ctx) {
    if (!ctx.file) {
      return { step: 2, name: 'hash', status: 'skipped', code: 'NO_FILE',
        detail: 'No file given: the hash was entered or came from a link, not computed here.' };
    }
    if (ctx.mismatch) {
      return { step: 2, name: 'hash', status: 'fail', code: 'HASH_MISMATCH',
        detail: 'File SM3 ' + ctx.fileHash + ' differs from the expected ' + ctx.expected + '.' };
    }
    return { step: 2, name: 'hash', status: 'pass', code: 'OK',
      detail: 'SM3 computed in this browser: ' + ctx.fileHash +
        (ctx.expected ? ' (equals the expected hash)' : '') + '.' };
  }

  function render(res, ctx) {
    var verdict = ctx.mismatch ? 'HASH_MISMATCH' : String(res.verdict || 'UNKNOWN');
    var v = VERDICTS[verdict] || ['bad', '✗', verdict.replace(/_/g, ' '), '未通过',
      'The certificate did not pass verification (' + verdict + ').', '证照未通过核验。'];
    var text = [v[4], v[5]];
    if (verdict === 'NOT_FOUND' && ctx.file) text = NOT_FOUND_FILE;
    if (verdict === 'HASH_MISMATCH' && !ctx.file) {
      text = ['The hash does not match the document of this certificate.', '摘要与此证照的文件不一致。'];
    }

    els.result.hidden = false;
    els.result.setAttribute('data-verdict', verdict);
    els.heading.className = 'verdict ' + v[0];
    els.icon.textContent = v[1];
    clear(els.verdict);
    els.verdict.appendChild(document.createTextNode(v[2] + ' '));
    els.verdict.appendChild(zh(v[3]));
    clear(els.verdictText);
    els.verdictText.appendChild(document.createTextNode(text[0]));
    els.verdictText.appendChild(zh(text[1]));
    var cert = res.certificate;
    if (cert && cert.supersededBy) {
      var a = el('a', 'next-cert', 'Verify the certificate that replaces it: ' + cert.supersededBy);
      a.id = 'superseded-link';
      a.href = '/verify?id=' + encodeURIComponent(cert.supersededBy);
      var p = el('span', 'next');
      p.appendChild(a);
      els.verdictText.appendChild(p);
    }

    els.hashBox.hidden = !ctx.file;
    if (ctx.file) {
      els.fileName.textContent = ctx.file.name;
      els.computed.textContent = ctx.fileHash;
    }

    clear(els.certFields);
    els.certBox.hidden = !cert;
    if (cert) {
      certRows(cert, res).forEach(function (f) {
        var dt = el('dt', '', f[1] + ' ');
        dt.appendChild(zh(f[2]));
        var dd = el('dd', f[4] ? 'mono' : '', f[3]);
        dd.setAttribute('data-field', f[0]);
        els.certFields.appendChild(dt);
        els.certFields.appendChild(dd);
      });
    }

    var matches = Array.isArray(res.matches) ? res.matches : [];
    clear(els.matches);
    els.matchesBox.hidden = matches.length < 2;
    matches.forEach(function (m) { els.matches.appendChild(el('li', '', m)); });

    var steps = (Array.isArray(res.steps) ? res.steps : []).filter(function (s) { return s && typeof s === 'object'; });
    var hs = localHashStep(ctx), replaced = false;
    steps = steps.map(function (s) { if (s && s.step === 2) { replaced = true; return hs; } return s; });
    if (!replaced) steps.push(hs);
    steps.sort(function (a, b) { return (a.step || 0) - (b.step || 0); });
    clear(els.steps);
    els.stepsBox.hidden = false;
    steps.forEach(function (s) {
      var st = STATUS[s.status] ? s.status : 'skipped';
      var li = el('li');
      li.setAttribute('data-step', s.step);
      li.setAttribute('data-status', s.status);
      li.appendChild(el('span', 'n', s.step + '.'));
      var name = el('span', 'name', s.name || '');
      if (STEP_ZH[s.step]) { name.appendChild(document.createTextNode(' ')); name.appendChild(zh(STEP_ZH[s.step])); }
      li.appendChild(name);
      var badge = el('span', 'badge ' + st, STATUS[st][0] + ' ' + STATUS[st][1]);
      li.appendChild(badge);
      var detail = el('span', 'detail');
      if (s.code) detail.appendChild(el('span', 'code', s.code));
      if (s.code && s.detail) detail.appendChild(document.createTextNode(' — '));
      if (s.detail) detail.appendChild(document.createTextNode(s.detail));
      li.appendChild(detail);
      els.steps.appendChild(li);
    });

    els.checkedAt.textContent = res.checkedAt ?
      'Checked against the ledger at ' + fmtTime(res.checkedAt) + ' · 账本核验时间 ' + fmtTime(res.checkedAt) : '';
    els.heading.focus();
  }

  // ---- wiring --------------------------------------------------------------------------

  els.form.addEventListener('submit', function (e) { e.preventDefault(); verify(); });
  els.file.addEventListener('change', function () {
    if (els.file.files && els.file.files[0]) chooseFile(els.file.files[0]);
  });
  els.reset.addEventListener('click', function () {
    if (local.abort) local.abort.abort();
    local = { file: null, hash: '', hashing: null, abort: null };
    run++;
    els.form.reset();
    els.fileStatus.textContent = '';
    els.progress.hidden = true;
    els.result.hidden = true;
    els.btn.disabled = false;
    hideFormError();
    setState('idle');
  });

  // Dropping a file anywhere on the page selects it (and never makes the browser open it).
  // Other drags (text into a field) keep their default behaviour.
  function hasFiles(e) {
    var types = e.dataTransfer && e.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, 'Files') >= 0;
  }
  ['dragenter', 'dragover'].forEach(function (t) {
    document.addEventListener(t, function (e) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      els.drop.classList.add('over');
    });
  });
  document.addEventListener('dragleave', function (e) {
    if (!e.relatedTarget) els.drop.classList.remove('over');
  });
  document.addEventListener('drop', function (e) {
    if (!hasFiles(e)) return;
    e.preventDefault();
    els.drop.classList.remove('over');
    var f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (f) chooseFile(f);
  });

  // A QR-code link (/verify?id=..&hash=..) fills the form and verifies at once.
  var params = new URLSearchParams(window.location.search);
  var qid = params.get('id') || '', qhash = params.get('hash') || '';
  setState('idle');
  if (qid || qhash) {
    els.id.value = qid;
    els.hash.value = qhash;
    els.fileStatus.textContent = 'From the QR code link. Drop the document too, to check it is the one the code refers to. ' +
      '来自二维码链接；可再拖入文件，核对是否为二维码所指文件。';
    verify();
  }
})();
