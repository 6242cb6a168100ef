/*
 * progress.js — the citizen's progress page (/progress?ticket=ID#salt=HEX).
 *
 * The link given at submission carries the ticket id and, in the fragment (never sent to a
 * server), the salt the reporter commitment was made with. The citizen types the
 * identifier given at submission; the page computes SM3(salt ‖ identifier) here (sm3.js)
 * and sends only that commitment: GET /api/v1/tickets/{id}/progress?commitment=… for the
 * state and history, then GET /api/v1/tickets/{id}/events?commitment=… (Server-Sent
 * Events) to update live. A link may carry #commitment=HEX instead (an intake channel that
 * made the commitment itself); then nothing is typed.
 * State for tests: body[data-state] = idle|loading|done|error, #state-box[data-state],
 * #live[data-live] = open|closed, body[data-updates] = events applied.
 */
(function () {
  'use strict';

  var P = window.CertledgerPages;
  var el = P.el, clear = P.clear;
  var HEX = /^[0-9a-f]+$/;
  function $(id) { return document.getElementById(id); }
  var els = {
    form: $('open-form'), ticket: $('ticket'), salt: $('salt'), identifier: $('identifier'), error: $('form-error'),
    progress: $('progress'), heading: $('state-heading'), ticketId: $('ticket-id'), stateBox: $('state-box'),
    live: $('live'), facts: $('facts'), history: $('history'), zone: $('zone')
  };
  var zone = 'Asia/Shanghai';
  var current = null; // { id, commitment, source }
  var updates = 0;

  var STATES = {
    submitted: ['', '已提交，等待分派', 'Submitted, waiting to be routed'],
    assigned: ['', '已分派给承办部门', 'With the responsible department'],
    accepted: ['', '承办部门已受理', 'Accepted by the department'],
    in_progress: ['', '正在办理', 'Being handled'],
    suspended: ['warn', '已挂起：等待您补充材料或回复', 'On hold: waiting for you (documents or an answer)'],
    resolved: ['ok', '已办结，请您评价', 'Resolved — please rate it'],
    rated: ['ok', '已评价', 'Rated'],
    closed: ['ok', '已关闭', 'Closed']
  };
  var ACTIONS = {
    submit: ['提交诉求', 'appeal submitted'], route: ['分派', 'routed'], accept: ['受理', 'accepted'],
    start: ['开始办理', 'work started'], transfer: ['转办', 'transferred'], escalate: ['升级督办', 'escalated to the supervising department'],
    'return': ['退回受理渠道', 'returned to intake'], suspend: ['挂起', 'put on hold'], resume: ['恢复办理', 'resumed'],
    resolve: ['办结', 'resolved'], rate: ['评价', 'rated'], reopen: ['重新办理', 'reopened'], close: ['关闭', 'closed'],
    overdue: ['超过办理时限', 'a deadline was missed']
  };
  var RATINGS = { very_satisfied: ['非常满意', 'very satisfied'], satisfied: ['满意', 'satisfied'], neutral: ['一般', 'neutral'],
    unsatisfied: ['不满意', 'unsatisfied'], unrated: ['未评价', 'not rated'] };
  var PHASES = { respond: ['响应时限', 'respond-by'], resolve: ['办结时限', 'resolve-by'] };
  var EVENTS = ['snapshot', 'TicketSubmitted', 'TicketAccepted', 'TicketStarted', 'TicketTransferred', 'TicketResolved',
    'TicketRated', 'TicketReopened', 'TicketEscalated', 'TicketClosed', 'TicketReturned', 'TicketRouted', 'TicketSuspended',
    'TicketResumed', 'TicketsSwept'];

  function en(text) { var s = el('span', 'zh', text); s.lang = 'en'; return s; }
  function both(tag, cls, zhText, enText) {
    var e = el(tag, cls, zhText + ' ');
    e.appendChild(en(enText));
    return e;
  }
  function showError(zhText, enText) {
    clear(els.error);
    els.error.appendChild(document.createTextNode(zhText + ' '));
    els.error.appendChild(en(enText));
    els.error.hidden = false;
  }

  function hexBytes(h) {
    var out = new Uint8Array(h.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
    return out;
  }
  function commitmentOf(saltHex, identifier) {
    var id = new TextEncoder().encode(identifier);
    return window.CertledgerSM3.create().update(hexBytes(saltHex)).update(id).hex();
  }

  function fact(zhText, enText, value) {
    els.facts.appendChild(both('dt', '', zhText, enText));
    var dd = el('dd', '', value);
    els.facts.appendChild(dd);
    return dd;
  }

  function renderTicket(t) {
    var st = STATES[t.state] || ['', t.state, t.state];
    els.ticketId.textContent = t.id;
    clear(els.stateBox);
    els.stateBox.className = 'state-box ' + (t.overdue ? 'bad' : st[0]);
    els.stateBox.setAttribute('data-state', t.state);
    els.stateBox.appendChild(document.createTextNode(st[1] + ' '));
    els.stateBox.appendChild(en(st[2]));
    if (t.overdue) els.stateBox.appendChild(both('span', 'zh', ' · 已超期，已记录追责', '· overdue, recorded for accountability'));
    clear(els.facts);
    fact('承办部门', 'Department', t.department || '—');
    var open = ['assigned', 'accepted', 'in_progress'].indexOf(t.state) >= 0;
    if (t.state === 'assigned') fact('响应时限', 'Respond by', P.fmtTime(t.respondBy, zone));
    if (open) fact('办结时限', 'Resolve by', P.fmtTime(t.resolveBy, zone));
    if (t.state === 'resolved' && t.rateBy) fact('评价截止', 'Rate by', P.fmtTime(t.rateBy, zone));
    if (t.rating) { var r = RATINGS[t.rating] || [t.rating, t.rating]; fact('您的评价', 'Your rating', r[0] + ' · ' + r[1]); }
    fact('提交时间', 'Submitted', P.fmtTime(t.createdAt, zone));
    fact('最近更新', 'Last update', P.fmtTime(t.updatedAt, zone));
    fact('类别 / 渠道', 'Category / channel', t.category + ' / ' + t.channel);
    var tx = fact('账本交易', 'Ledger transaction', '');
    tx.appendChild(el('code', 'tx', t.txId));
  }

  function renderHistory(steps) {
    clear(els.history);
    steps.slice().reverse().forEach(function (s) {
      var a = ACTIONS[s.action] || [s.action, s.action];
      var li = el('li', s.action === 'overdue' ? 'late' : '');
      li.setAttribute('data-action', s.action);
      li.appendChild(el('div', 'when', P.fmtTime(s.time, zone)));
      li.appendChild(both('div', 'what', a[0], a[1]));
      var d = [];
      if (s.department) d.push('承办 ' + s.department);
      if (s.rating) d.push((RATINGS[s.rating] || [s.rating])[0] + ' (' + (RATINGS[s.rating] || [0, s.rating])[1] + ')');
      (s.missed || []).forEach(function (m) {
        var ph = PHASES[m.phase] || [m.phase, m.phase];
        d.push('超过' + ph[0] + ' ' + P.fmtTime(m.at, zone) + ' (missed ' + ph[1] + ')');
      });
      if (s.pause && s.pause.to) d.push('挂起 paused ' + P.fmtTime(s.pause.from, zone) + ' – ' + P.fmtTime(s.pause.to, zone));
      if (['route', 'transfer', 'escalate', 'reopen', 'resume'].indexOf(s.action) >= 0 && s.resolveBy) {
        d.push('办结时限 resolve by ' + P.fmtTime(s.resolveBy, zone));
      }
      if (d.length) li.appendChild(el('div', 'detail', d.join(' · ')));
      var tx = el('div', 'detail');
      tx.appendChild(document.createTextNode('tx '));
      tx.appendChild(el('code', 'tx', s.txId));
      li.appendChild(tx);
      els.history.appendChild(li);
    });
  }

  function fetchProgress() {
    var c = current;
    return P.api('/tickets/' + encodeURIComponent(c.id) + '/progress' + P.query({ commitment: c.commitment })).then(function (p) {
      if (current !== c) return;
      if (p.timeZone) { zone = p.timeZone; els.zone.textContent = zone; }
      renderTicket(p.ticket);
      renderHistory(p.history || []);
    });
  }

  function setLive(state) {
    els.live.setAttribute('data-live', state);
    els.live.textContent = '';
    if (state === 'open') {
      els.live.appendChild(both('span', '', '● 实时更新中', 'live: this page updates by itself'));
    } else if (state === 'retrying') {
      els.live.appendChild(both('span', '', '○ 连接中断，正在重连…', 'connection lost, reconnecting…'));
    } else {
      els.live.appendChild(both('span', '', '○ 未连接实时更新', 'not updating live'));
    }
  }

  function listen() {
    var c = current;
    if (c.source) c.source.close();
    if (typeof EventSource !== 'function') { setLive('closed'); return; }
    var es = new EventSource(P.API + '/tickets/' + encodeURIComponent(c.id) + '/events' + P.query({ commitment: c.commitment }));
    c.source = es;
    es.onopen = function () { if (current === c) setLive('open'); };
    es.onerror = function () {
      if (current !== c) return;
      setLive(es.readyState === EventSource.CLOSED ? 'closed' : 'retrying');
    };
    var apply = function (ev) {
      if (current !== c) return;
      var data = null;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (!data || ev.type === 'snapshot') return; // the page already shows the ticket as it is
      updates++;
      document.body.setAttribute('data-updates', String(updates));
      fetchProgress().catch(function () { /* the next event or a reload shows it */ });
    };
    EVENTS.forEach(function (name) { es.addEventListener(name, apply); });
  }

  function open(id, commitment) {
    if (current && current.source) current.source.close();
    current = { id: id, commitment: commitment, source: null };
    P.setState('loading');
    els.error.hidden = true;
    fetchProgress().then(function () {
      els.progress.hidden = false;
      els.heading.focus();
      listen();
      P.setState('done');
    }, function (err) {
      els.progress.hidden = true;
      current = null;
      if (err && (err.status === 403 || err.status === 404)) {
        showError('没有找到与此工单号和证件号（或手机号）相符的工单。请检查链接和输入的号码。',
          'No appeal matches this ticket number and ID or phone number. Check the link and what you typed.');
      } else if (err && err.status === 429) {
        showError('请求过多，请稍后再试。', 'Too many requests; wait ' + (err.retryAfter || 'a few') + ' seconds and try again.');
      } else if (err && err.status === 400) {
        showError('工单号格式不正确。', 'The ticket number is not well formed: ' + err.message);
      } else {
        showError('暂时无法查询，请稍后再试。', 'Could not load the progress: ' + (err && err.message ? err.message : err));
      }
      P.setState('error');
    });
  }

  function submit(ev) {
    if (ev) ev.preventDefault();
    var id = els.ticket.value.trim(), salt = els.salt.value.trim().toLowerCase(), who = els.identifier.value.trim();
    if (!id) { showError('请输入工单号。', 'Type the ticket number.'); P.setState('error'); return; }
    if (fragment.commitment && !salt && !who) { open(id, fragment.commitment); return; }
    if (!HEX.test(salt) || salt.length % 2 || salt.length < 32) {
      showError('查询码应为链接或回执中的 32 位以上十六进制字符。', 'The code is the hex string from your link or receipt (32 characters or more).');
      P.setState('error');
      return;
    }
    if (!who) { showError('请输入提交诉求时登记的证件号或手机号。', 'Type the ID or phone number you gave when you submitted.'); P.setState('error'); return; }
    var c = commitmentOf(salt, who);
    els.identifier.value = ''; // not kept: the commitment is all the page needs
    open(id, c);
  }

  // The fragment: #salt=HEX or #commitment=HEX (never sent to any server).
  var fragment = {};
  location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
    var i = kv.indexOf('=');
    if (i > 0) fragment[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
  });
  if (fragment.commitment && !/^[0-9a-f]{64}$/.test(fragment.commitment)) delete fragment.commitment;
  var params = new URLSearchParams(location.search);
  els.ticket.value = params.get('ticket') || '';
  els.salt.value = fragment.salt || '';
  els.form.addEventListener('submit', submit);
  window.addEventListener('pagehide', function () { if (current && current.source) current.source.close(); });
  if (els.ticket.value && fragment.commitment) {
    open(els.ticket.value, fragment.commitment);
  } else {
    P.setState('idle');
    (els.ticket.value && els.salt.value ? els.identifier : els.ticket).focus();
  }
})();
