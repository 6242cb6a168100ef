/*
 * app.js — the certledger verify page.
 *
 * The chosen file is hashed here with SM3 (sm3.js), chunk by chunk; only its digest (and the
 * certificate id, if given) goes to GET <api>/verify. The ledger's VerifyResult is shown as a
 * verdict and the numbered pipeline; step 2 (hash) is the local one.
 * State for tests and assistive tech: body[data-state] = idle|hashing|busy|done|error,
 * #result[data-verdict] = the verdict shown.
 *
 * By hash the answer lists every certificate anchoring the document (res.results), each with
 * its issuer's full name, status and verdict; CONFLICTING names a disagreement between them.
 * Times are shown in the verifier's time zone (meta certledger-tz, Asia/Shanghai unless ?tz=),
 * to the second. Opened from a QR link (from-link), the verdict is moved to the top of the page.
 * The holder proof computes SM3(salt ‖ holder id) here (offline.js over the vendored SM3) and
 * compares it with the ledger's holder commitment: the id and the receipt never leave the page.
 */
(function () {
  'use strict';

  var HEX64 = /^[0-9a-f]{64}$/;
  var metaAPI = document.querySelector('meta[name="certledger-api"]');
  var API = (metaAPI && metaAPI.content) || '/api/v1';
  var metaTZ = document.querySelector('meta[name="certledger-tz"]');
  var TZ = zoneOr(new URLSearchParams(window.location.search).get('tz'), zoneOr(metaTZ && metaTZ.content, 'Asia/Shanghai'));

  function zoneOr(z, fallback) {
    if (!z) return fallback;
    try { new Intl.DateTimeFormat('en', { timeZone: z }); return z; } catch (e) { return fallback; }
  }

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
      'The certificate\'s validity period has not started.', '证照尚未到生效日期。'],
    NOT_ANCHORED: ['bad', '✗', 'NOT ANCHORED', '未经背书上链',
      'The receipt\'s transaction evidence does not prove that the ledger\'s endorsing peers wrote this record. Do not trust it.',
      '回执中的交易证据不能证明账本背书节点写入了此记录，请勿信任。'],
    UNTRUSTED_BUNDLE: ['bad', '✗', 'UNTRUSTED BUNDLE', '信任包不可信',
      'The trust bundle is not signed by the pinned governance key: nothing can be checked offline with it.',
      '信任包并非由固定的治理机构公钥签名，无法据此离线核验。'],
    CONFLICTING: ['bad', '✗', 'CONFLICTING', '结论相互矛盾',
      'Several certificates anchor this document and they disagree: one is valid, another has been revoked, ' +
        'suspended or replaced, or does not verify. Do not rely on this document; see every certificate below.',
      '多个证照锚定此文件且结论相互矛盾：其中一份有效，另一份已被撤销、暂停、替换或验证失败。请勿依赖此文件，详见下方全部证照。']
  };
  var NOT_FOUND_FILE = ['No certificate matches this file.', '没有与此文件匹配的证照。'];

  var STEP_ZH = { 1: '格式', 2: '文件摘要', 3: '账本查询', 4: '默克尔证明', 5: '签名', 6: '密钥', 7: '状态', 8: '有效期', 9: '持有人' };
  // What a step's outcome means, in Chinese, by code (OK by step): the detail itself comes
  // from the ledger in English and is shown too.
  var OK_ZH = { 1: '查询格式正确。', 2: '文件摘要与账本记录一致。', 3: '已在账本上找到证照。', 4: '已验证批次默克尔证明。',
    5: '签发部门的 SM2 签名验证通过。', 6: '签名密钥属于签发部门，且签发时有效。', 7: '证照状态有效。', 8: '在有效期内。', 9: '持有人证件号码与承诺值一致。' };
  var CODE_ZH = {
    NOT_REACHED: '前序步骤未通过，本步骤未执行。', CLIENT_HASHES: '文件摘要由核验方在本机计算。', CLIENT_SIDE: '文件摘要由核验方在本机计算。',
    NO_FILE: '未提供文件：摘要来自输入或链接。', NOT_BATCHED: '证照未以批次方式上链，无需默克尔证明。', NO_PROOF: '批次证照未提供默克尔证明。',
    MERKLE_MISMATCH: '默克尔证明不成立。', KEY_UNKNOWN: '签名密钥不在部门登记册中。', KEY_NOT_ISSUERS: '签名密钥不属于签发部门。',
    NOT_AUTHORIZED: '批次证照记录的颁发机构代码、名称或持证主体代码类型与部门登记册、证照类型目录不符。',
    KEY_REVOKED: '签名密钥在签发时已被吊销。', KEY_ROTATED: '签名密钥在签发时已被轮换。', KEY_NOT_YET_VALID: '签名密钥在签发时尚未生效。',
    KEY_CORRUPT: '密钥记录损坏。', OFFLINE: '离线核验：未查询撤销状态。', BAD_FORMAT: '格式错误。', HASH_MISMATCH: '文件摘要与记录不一致。',
    NOT_FOUND: '没有匹配的证照。', BAD_SIGNATURE: '签名验证失败。', REVOKED: '证照已被签发部门撤销。', SUSPENDED: '证照已被签发部门暂停。',
    SUPERSEDED: '证照已被新证照替换。', EXPIRED: '证照已过期。', NOT_YET_VALID: '证照尚未生效。', RECEIPT_MISMATCH: '回执与账本记录不一致。',
    HOLDER_MISMATCH: '持有人证件号码与承诺值不一致。',
    NOT_IN_BUNDLE: '信任包未列出该密钥，无法用可信密钥核验签名。', UNKNOWN_KEY: '信任包中该部门没有此密钥。',
    UNKNOWN_DEPARTMENT: '信任包中没有此部门。', ANCHOR_MALFORMED: '交易证据格式错误或前后不一致。',
    TX_MISMATCH: '背书交易与回执不符（通道、链码或交易编号）。', WRITE_SET_MISMATCH: '背书的写集未写入此记录。',
    ENDORSEMENT_INVALID: '有效背书不满足信任包的背书策略（证书不在信任包内或签名无效）。',
    UNTRUSTED_BUNDLE: '信任包不是由固定的治理机构公钥签名。'
  };
  var ANCHOR_OK_ZH = '交易由信任包内各组织的节点背书，满足背书策略，且写集正是此记录。';
  function stepZh(s) {
    if (s.name === 'anchor' && s.status === 'pass') return ANCHOR_OK_ZH;
    if (s.name === 'key' && s.code === 'OK') return '签名密钥按信任包属于签发部门，且签发时有效。';
    if (s.step === 7 && s.code === 'OFFLINE') return '离线核验：撤销、暂停或替换只在账本上，无法确认。';
    if (s.code === 'OK' || (!s.code && s.status === 'pass')) return OK_ZH[s.step] || '通过。';
    return CODE_ZH[s.code] || (s.status === 'fail' ? '未通过。' : '已跳过。');
  }
  var CERT_STATUS_ZH = { valid: '有效', suspended: '已暂停', revoked: '已撤销', superseded: '已被替换' };
  var STATUS = { pass: ['PASS', '通过'], fail: ['FAIL', '未通过'], skipped: ['SKIPPED', '跳过'] };

  // Holder code types the page names (持证主体代码类型); others are shown as their code.
  var HOLDER_CODE_TYPES = { '111': ['citizen identity number', '居民身份证号码'], '001': ['unified social credit code', '统一社会信用代码'] };

  function $(id) { return document.getElementById(id); }

  var els = {
    form: $('verify-form'), file: $('file'), drop: $('drop'), fileStatus: $('file-status'),
    progress: $('progress'), hash: $('hash'), id: $('cert-id'), btn: $('verify-btn'),
    reset: $('reset-btn'), formError: $('form-error'), result: $('result'),
    heading: $('verdict-heading'), verdict: $('verdict'), icon: $('verdict-icon'),
    verdictText: $('verdict-text'), hashBox: $('hash-box'), fileName: $('file-name'),
    computed: $('computed-hash'), certBox: $('cert-box'), certFields: $('cert-fields'),
    matchesBox: $('matches-box'), matches: $('matches'), stepsBox: $('steps-box'),
    steps: $('steps'), checkedAt: $('checked-at'), top: document.querySelector('header.top'),
    receipt: $('receipt-file'), holderID: $('holder-id'), holderBtn: $('holder-btn'), holderResult: $('holder-result'),
    trustPin: $('trust-pin'), timeZone: $('time-zone'),
    offlineReceipt: $('offline-receipt'), offlineDoc: $('offline-doc'), offlineBundle: $('offline-bundle'),
    offlinePin: $('offline-pin'), offlineBtn: $('offline-btn'), offlineStatus: $('offline-status'),
    offlineUnknown: $('offline-unknown'), offlineUnknownBox: $('offline-unknown-box')
  };

  // ---- times ---------------------------------------------------------------------------

  var ISO_TIME = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g;
  var timeFmt = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

  // fmtTime renders an RFC 3339 time in TZ to the second: 2026-12-03 14:00:00.
  function fmtTime(iso) {
    var d = new Date(String(iso).replace(/(\.\d{3})\d+/, '$1'));
    if (isNaN(d.getTime())) return String(iso);
    var m = {};
    timeFmt.formatToParts(d).forEach(function (p) { m[p.type] = p.value; });
    return m.year + '-' + m.month + '-' + m.day + ' ' + m.hour + ':' + m.minute + ':' + m.second;
  }
  // fmtTimes renders every RFC 3339 time inside a text.
  function fmtTimes(text) { return String(text).replace(ISO_TIME, function (iso) { return fmtTime(iso); }); }

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
    els.holderResult.hidden = true;
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
    if (verdict === 'VALID' && ctx.offline) {
      text = ['Authentic per the receipt and the trust bundle: issued by this key, endorsed and written as shown, within its validity period. ' +
        'Whether it was revoked since is not known offline (see "Not known offline").',
        '依据回执和信任包核验为真：由该密钥签发、经背书写入账本、在有效期内。是否已被撤销离线无法确认。'];
    }
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
    if (res.message) {
      var msg = el('span', 'message', fmtTimes(res.message));
      msg.id = 'verdict-message';
      els.verdictText.appendChild(msg);
    }
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
    renderCert(cert, res, verdict);
    renderMatches(res);
    renderSteps(res, ctx);
    els.checkedAt.textContent = ctx.offline ?
      'Checked offline in this browser against the trust bundle at height ' + res.asOfHeight + ' (' + fmtTime(res.asOfTime) + ') · 本机离线核验，信任包高度 ' + res.asOfHeight :
      res.checkedAt ? 'Checked against the ledger at ' + fmtTime(res.checkedAt) + ' (' + TZ + ') · 账本核验时间 ' + fmtTime(res.checkedAt) : '';
    els.heading.focus();
  }

  // certRows lists the certificate fields shown, in order: [field, English, 中文, value, mono].
  // A v2 certificate shows its GB/T 36904 identifier and verified check character and
  // its GB/T 36903 fields. holderCommitment, and a v2 holder's name and code commitments,
  // are deliberately left out.
  function certRows(cert, res, verdict) {
    var v2 = cert.recordVersion === 2, rows = [];
    var ident = res.identifier, t = res.certType;
    function add(field, en, zhText, value, mono) {
      if (value === undefined || value === null || value === '') return;
      rows.push([field, en, zhText, String(value), !!mono]);
    }
    add('id', ident ? 'Identifier (GB/T 36904)' : 'Certificate ID', ident ? '证照标识' : '证照编号', cert.id, true);
    if (ident && ident.check) {
      add('identifierCheck', 'Check character', '校验位', ident.check + ' — verified (ISO/IEC 7064 MOD 37,36) · 已核验');
    }
    add('name', 'Certificate name', '证照名称', cert.name);
    add('type', 'Type', '证照类型', t ? t.name + ' · ' + t.nameEn + ' (' + t.code + ')' : cert.type, !t && v2);
    if (t && t.definingBody) add('definingBody', 'Defined by', '定义机构', t.definingBody + ' (' + t.definingBodyCode + ')');
    add('issuerName', 'Issuing organisation', '颁发机构', cert.issuerName);
    add('issuerCode', 'Issuing organisation code', '颁发机构代码', cert.issuerCode, true);
    add('issuer', v2 ? 'Issuing department (ledger)' : 'Issuer', v2 ? '签发部门（账本）' : '签发部门',
      res.issuerName && !v2 ? res.issuerName + ' (' + cert.issuer + ')' : cert.issuer);
    add('issueDate', 'Issue date', '颁发日期', cert.issueDate);
    if (cert.holderCodeType) {
      var h = HOLDER_CODE_TYPES[cert.holderCodeType];
      add('holderCodeType', 'Holder code type', '持证主体代码类型', cert.holderCodeType + (h ? ' · ' + h[0] + ' · ' + h[1] : ''));
    }
    add('validFrom', 'Valid from', v2 ? '有效期起始' : '生效时间', cert.validFrom && fmtTime(cert.validFrom));
    add('validUntil', 'Valid until', v2 ? '有效期截止' : '失效时间', cert.validUntil ? fmtTime(cert.validUntil) : (v2 ? 'no end · 长期' : ''));
    add('status', 'Ledger status', '账本状态', cert.status && statusText(cert.status, verdict));
    add('statusReason', 'Status reason', '状态原因', cert.statusReason);
    add('supersedes', 'Supersedes', '替换了', cert.supersedes, true);
    add('supersededBy', 'Superseded by', '被替换为', cert.supersededBy, true);
    var ext = cert.extensions && typeof cert.extensions === 'object' ? cert.extensions : {};
    Object.keys(ext).sort().forEach(function (k) { add('ext.' + k, k, '扩展字段', ext[k]); });
    add('issuedAt', 'Issued at', '上链时间', cert.issuedAt && fmtTime(cert.issuedAt));
    add('docHash', 'Document SM3', '文件摘要', cert.docHash, true);
    add('keyId', 'Signing key', '签名密钥', cert.keyId, true);
    add('batchId', 'Batch', '批次', cert.batchId, true);
    add('txId', 'Transaction ID', '交易编号', cert.txId, true);
    return rows;
  }

  function renderCert(cert, res, verdict) {
    clear(els.certFields);
    els.certBox.hidden = !cert;
    if (!cert) return;
    certRows(cert, res, verdict).forEach(function (f) {
      var dt = el('dt', '', f[1] + ' ');
      dt.appendChild(zh(f[2]));
      var dd = el('dd', f[4] ? 'mono' : '', f[3]);
      dd.setAttribute('data-field', f[0]);
      els.certFields.appendChild(dt);
      els.certFields.appendChild(dd);
    });
  }

  // statusText is the ledger's status of the record, never a bare "valid" under a failing
  // verdict: a record the issuer has not revoked can still fail (expired, forged, conflicting).
  function statusText(status, verdict) {
    var zhs = CERT_STATUS_ZH[status] || status;
    if (status === 'valid' && verdict !== 'VALID') {
      return 'not revoked on the ledger, but NOT valid: ' + verdict.replace(/_/g, ' ') + ' · 账本上未撤销，但核验未通过';
    }
    return status + ' · ' + zhs;
  }

  function renderMatches(res) {
    var results = Array.isArray(res.results) ? res.results.filter(function (r) { return r && r.certificate; }) : [];
    var ids = Array.isArray(res.matches) ? res.matches : [];
    clear(els.matches);
    els.matchesBox.hidden = results.length < 2 && ids.length < 2;
    if (results.length === 0) {
      ids.forEach(function (m) { els.matches.appendChild(el('li', 'mono', m)); });
      return;
    }
    results.forEach(function (r) {
      var c = r.certificate, li = el('li');
      li.setAttribute('data-id', c.id);
      li.setAttribute('data-status', c.status || '');
      li.setAttribute('data-verdict', r.verdict || '');
      var a = el('a', 'mono', c.id);
      a.href = '/verify?id=' + encodeURIComponent(c.id);
      li.appendChild(a);
      li.appendChild(el('span', 'issuer', (r.issuerName ? r.issuerName + ' (' + c.issuer + ')' : c.issuer)));
      var st = el('span', 'status', 'status ' + (c.status || '?') + ' · ' + (CERT_STATUS_ZH[c.status] || ''));
      li.appendChild(st);
      var vv = VERDICTS[r.verdict];
      li.appendChild(el('span', 'badge ' + (r.verdict === 'VALID' ? 'pass' : 'fail'),
        (r.verdict || '?').replace(/_/g, ' ') + (vv ? ' ' + vv[3] : '')));
      els.matches.appendChild(li);
    });
  }

  function renderSteps(res, ctx) {
    var steps = (Array.isArray(res.steps) ? res.steps : []).filter(function (s) { return s && typeof s === 'object'; });
    if (!ctx.offline) { // online, step 2 is the page's own; offline, verifyReceipt made it
      var hs = localHashStep(ctx), replaced = false;
      steps = steps.map(function (s) { if (s && s.step === 2) { replaced = true; return hs; } return s; });
      if (!replaced) steps.push(hs);
    }
    steps.sort(function (a, b) { return (a.step || 0) - (b.step || 0); });
    clear(els.steps);
    els.stepsBox.hidden = false;
    steps.forEach(function (s) { els.steps.appendChild(stepItem(s)); });
  }

  function stepItem(s) {
    var st = STATUS[s.status] ? s.status : 'skipped';
    var li = el('li');
    li.setAttribute('data-step', s.step);
    li.setAttribute('data-status', s.status);
    li.appendChild(el('span', 'n', s.step + '.'));
    var name = el('span', 'name', s.name || '');
    var zname = s.name === 'anchor' ? '交易背书' : STEP_ZH[s.step];
    if (zname) { name.appendChild(document.createTextNode(' ')); name.appendChild(zh(zname)); }
    li.appendChild(name);
    li.appendChild(el('span', 'badge ' + st, STATUS[st][0] + ' ' + STATUS[st][1]));
    var detail = el('span', 'detail');
    if (s.code) detail.appendChild(el('span', 'code', s.code));
    if (s.code && s.detail) detail.appendChild(document.createTextNode(' — '));
    if (s.detail) detail.appendChild(document.createTextNode(fmtTimes(s.detail)));
    var z = zh(stepZh(s));
    z.className = 'zh';
    detail.appendChild(z);
    li.appendChild(detail);
    return li;
  }

  // ---- governance fingerprint ----------------------------------------------------------

  // The governance key's fingerprint this gateway's trust bundle is signed with: what a
  // verifier pins for offline checks (compare it with the one published out of band).
  function showTrustPin() {
    fetch(API + '/trust', { method: 'GET', cache: 'no-cache', credentials: 'same-origin', referrerPolicy: 'no-referrer' })
      .then(function (resp) {
        var fp = resp.ok ? (resp.headers.get('X-Trust-Fingerprint') || '') : '';
        // Kept for offline checks of receipts (it is verified against the pin then).
        var done = function () { document.body.setAttribute('data-bundle', pinnedBundle ? 'loaded' : 'none'); };
        if (resp.ok) resp.arrayBuffer().then(function (b) { pinnedBundle = new Uint8Array(b); done(); }, done);
        else done();
        if (/^[0-9a-f]{64}$/.test(fp) && !els.offlinePin.value) els.offlinePin.value = fp;
        clear(els.trustPin);
        if (!/^[0-9a-f]{64}$/.test(fp)) {
          els.trustPin.appendChild(document.createTextNode('This gateway publishes no trust bundle. '));
          els.trustPin.appendChild(zh('本网关未发布信任包。'));
          return;
        }
        els.trustPin.setAttribute('data-fingerprint', fp);
        els.trustPin.appendChild(document.createTextNode('Governance key fingerprint (pin it for offline checks) '));
        els.trustPin.appendChild(zh('治理机构公钥指纹（离线核验时固定） '));
        els.trustPin.appendChild(el('code', 'pin', fp.replace(/(.{4})(?=.)/g, '$1 ')));
      }, function () { document.body.setAttribute('data-bundle', 'none'); /* the page works without it */ });
    els.timeZone.textContent = 'Times are shown in ' + TZ + ', to the second. · 时间按 ' + TZ + ' 时区显示，精确到秒。';
  }

  // ---- holder proof --------------------------------------------------------------------

  function b64bytes(s) {
    try { return window.CertledgerOffline.base64Strict(String(s || '')); } catch (e) { return null; }
  }

  function showHolder(result, en, zhText) {
    var r = els.holderResult;
    r.hidden = false;
    r.setAttribute('data-result', result);
    r.className = 'holder-result ' + (result === 'MATCH' ? 'ok' : 'bad');
    clear(r);
    r.appendChild(document.createTextNode(en + ' '));
    r.appendChild(zh(zhText));
  }

  // checkHolder reads the receipt here, verifies its certificate on the ledger by id (the
  // only thing sent), and compares SM3(salt ‖ holder id) with the ledger's holder commitment.
  function checkHolder() {
    var f = els.receipt.files && els.receipt.files[0], id = els.holderID.value.trim();
    if (!f || !id) {
      setState('error');
      showHolder('ERROR', 'Choose your receipt and type your holder ID.', '请选择回执并输入持有人证件号码。');
      return Promise.resolve();
    }
    if (!window.CertledgerOffline) {
      setState('error');
      showHolder('ERROR', 'The SM3 library did not load.', 'SM3 组件未加载。');
      return Promise.resolve();
    }
    setState('busy');
    return f.text().then(function (text) {
      var rc;
      try { rc = JSON.parse(text); } catch (e) { rc = null; }
      // A v2 receipt commits to the holder's code with its own salt (holder.codeSalt,
      // record.holderCodeCommitment); a v1 receipt to the holder id (holder.salt, holderCommitment).
      var rec = rc && rc.record, v2 = rec && rec.recordVersion === 2, field = v2 ? 'holderCodeCommitment' : 'holderCommitment';
      var salt = b64bytes(rc && rc.holder && (v2 ? rc.holder.codeSalt : rc.holder.salt));
      if (!rec || typeof rec.id !== 'string' || !HEX64.test(String(rec[field]))) {
        throw new Error('not a certledger receipt');
      }
      if (!salt || salt.length < 16) throw new Error('the receipt carries no holder salt');
      var idBytes = new TextEncoder().encode(id), buf = new Uint8Array(salt.length + idBytes.length);
      buf.set(salt, 0);
      buf.set(idBytes, salt.length);
      var mine = window.CertledgerOffline.sm3Hex(buf);
      els.id.value = rec.id;
      els.hash.value = '';
      var run0 = ++run;
      return callVerify('', rec.id).then(function (res) {
        if (run0 !== run) return;
        render(res, { file: null, fileHash: '', expected: '', mismatch: false });
        setState('done');
        var onLedger = res.certificate && res.certificate[field];
        if (!onLedger) {
          showHolder('ERROR', 'Certificate ' + rec.id + ' is not on the ledger: nothing to prove.', '账本上没有此证照。');
        } else if (onLedger !== rec[field]) {
          showHolder('MISMATCH', 'The receipt\'s holder commitment is not the ledger\'s: this receipt is not the certificate\'s.',
            '回执中的持有人承诺值与账本不一致。');
        } else if (mine === onLedger) {
          showHolder('MATCH', '✓ This ID is the holder of certificate ' + rec.id + ' (SM3 of the receipt\'s salt and the ID equals the ledger\'s holder commitment; checked on this device).',
            '该证件号码为证照持有人（本机核对，未上传）。');
        } else {
          showHolder('MISMATCH', '✗ This ID is not the holder of certificate ' + rec.id + '.', '该证件号码不是此证照的持有人。');
        }
      }, function (err) { showAPIError(err); });
    }).then(null, function (err) {
      setState('error');
      showHolder('ERROR', 'Cannot use this receipt: ' + (err && err.message ? err.message : err) + '.', '无法使用此回执。');
    });
  }

  // ---- offline receipt check (no server) -------------------------------------------------

  var pinnedBundle = null; // the gateway's bundle, fetched at load

  function showOffline(result, en, zhText) {
    var r = els.offlineStatus;
    r.hidden = false;
    r.setAttribute('data-result', result);
    r.className = 'holder-result ' + (result === 'VALID' ? 'ok' : 'bad');
    clear(r);
    r.appendChild(document.createTextNode(en + ' '));
    r.appendChild(zh(zhText));
  }

  function readBytes(f) { return f.arrayBuffer().then(function (b) { return new Uint8Array(b); }); }

  // checkOffline runs the whole check of CertledgerOffline.verifyReceipt here: nothing is
  // fetched or sent (the bundle is the chosen file, else the one loaded with the page).
  function checkOffline() {
    var rf = els.offlineReceipt.files && els.offlineReceipt.files[0];
    var df = els.offlineDoc.files && els.offlineDoc.files[0];
    var bf = els.offlineBundle.files && els.offlineBundle.files[0];
    var pin = els.offlinePin.value;
    if (!rf) {
      setState('error');
      showOffline('ERROR', 'Choose a receipt.', '请选择回执。');
      return Promise.resolve();
    }
    if (!window.CertledgerOffline || !window.CertledgerSM3) {
      setState('error');
      showOffline('ERROR', 'The verification library did not load.', '核验组件未加载。');
      return Promise.resolve();
    }
    setState('busy');
    var run0 = ++run, t0 = performance.now();
    var hashing = df ? window.CertledgerSM3.hashBlob(df, {}) : Promise.resolve('');
    return Promise.all([readBytes(rf), bf ? readBytes(bf) : Promise.resolve(pinnedBundle), hashing]).then(function (x) {
      var off = window.CertledgerOffline, bundle = x[1];
      var br = bundle ? off.verifyTrustBundle(bundle, pin) : { ok: false, error: 'none: choose the trust bundle file' };
      return off.verifyReceipt(x[0], x[2], br, pin, new Date()).then(function (res) {
        if (run0 !== run) return;
        var ms = performance.now() - t0;
        var cert = res.record ? Object.assign({}, res.record, { issuedAt: res.issuedAt, status: '' }) : null;
        render({ verdict: res.verdict, steps: res.steps, certificate: cert, issuerName: res.issuerName,
          asOfHeight: res.asOfHeight, asOfTime: res.asOfTime }, { offline: true, file: df || null, fileHash: x[2] });
        clear(els.offlineUnknown);
        (res.unknown || []).forEach(function (u) { els.offlineUnknown.appendChild(el('li', '', u)); });
        els.offlineUnknownBox.hidden = !(res.unknown || []).length;
        els.offlineStatus.setAttribute('data-ms', ms.toFixed(1));
        showOffline(res.verdict, res.verdict.replace(/_/g, ' ') + ' — checked offline in this browser in ' + ms.toFixed(0) + ' ms; nothing was sent.',
          '已在本机离线核验，未发送任何数据。');
        setState('done');
      });
    }).then(null, function (err) {
      setState('error');
      showOffline('ERROR', 'Cannot check offline: ' + (err && err.message ? err.message : err) + '.', '无法离线核验。');
    });
  }

  // ---- wiring --------------------------------------------------------------------------

  els.form.addEventListener('submit', function (e) { e.preventDefault(); verify(); });
  els.holderBtn.addEventListener('click', function () { checkHolder(); });
  els.offlineBtn.addEventListener('click', function () { checkOffline(); });
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
  showTrustPin();
  if (qid || qhash) {
    // Opened from a QR code (often on a phone): the verdict comes first, above the title.
    document.body.classList.add('from-link');
    document.body.insertBefore(els.result, els.top);
    els.id.value = qid;
    els.hash.value = qhash;
    els.fileStatus.textContent = 'From the QR code link. Drop the document too, to check it is the one the code refers to. ' +
      '来自二维码链接；可再拖入文件，核对是否为二维码所指文件。';
    verify();
  }
})();
