/*
 * dashboard.js — the auditor's dashboard (/dashboard).
 *
 * The auditor token is typed on the page, kept in sessionStorage (this tab only) and sent as
 * an Authorization header; it never appears in a URL. Calls (all GET, under /api/v1):
 *   /departments, /audit/kpi/series and /audit/escalations (per department), /audit/overdue,
 *   /audit/exchange-volume;
 * and, when a figure is opened, /audit/kpi, /audit/accountability, /tickets/{id}/trace,
 * /exchanges — shown in the records view with their transaction ids.
 * State for tests: body[data-state] = idle|loading|done|error; #records[data-kind].
 */
(function () {
  'use strict';

  var P = window.CertledgerPages;
  var el = P.el, zh = P.zh, bi = P.bi, clear = P.clear;
  var TOKEN_KEY = 'certledger.auditorToken';
  var PAGE = 100;

  function $(id) { return document.getElementById(id); }
  var els = {
    form: $('token-form'), token: $('token'), from: $('from'), to: $('to'), bucket: $('bucket'),
    forget: $('forget-btn'), error: $('form-error'), status: $('status'), board: $('board'),
    departments: $('departments'), overdue: $('overdue'), overdueCount: $('overdue-count'),
    escalations: $('escalations'), escCount: $('esc-count'), accountability: $('accountability'),
    accCount: $('acc-count'), exchanges: $('exchanges'), exCount: $('ex-count'), records: $('records'),
    recordsHeading: $('records-heading'), recordsTitle: $('records-title'), recordsSource: $('records-source'),
    recordsBody: $('records-body'), recordsClose: $('records-close'), zone: $('zone')
  };
  var zone = 'Asia/Shanghai';
  var run = 0;

  var METRICS = [
    ['response', 'Response', '响应率', 0.95],
    ['resolution', 'Resolution', '办结率', 0.90],
    ['satisfaction', 'Satisfaction', '满意率', 0.85]
  ];
  var CAUSE_ZH = { overdue: '超期', unsatisfied: '不满意', reopened: '重办' };
  var STATE_ZH = { submitted: '已提交', assigned: '已分派', accepted: '已受理', in_progress: '办理中', suspended: '已挂起',
    resolved: '已办结', rated: '已评价', closed: '已关闭' };

  function token() { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; } }
  function keepToken(t) { try { sessionStorage.setItem(TOKEN_KEY, t); } catch (e) { /* private mode: memory only */ } }
  function forgetToken() { try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing kept */ } }

  function showError(en, zhText) {
    clear(els.error);
    els.error.appendChild(document.createTextNode(en + ' '));
    if (zhText) els.error.appendChild(zh(zhText));
    els.error.hidden = false;
  }
  function apiError(err) {
    if (err && err.status === 401) {
      showError('The gateway did not accept this token (' + err.message + ').', '令牌无效，网关拒绝访问。');
    } else if (err && err.status === 403) {
      showError('This token may not read this (' + err.message + '). The dashboard needs an auditor token.', '此令牌无权查看，审计看板需要审计令牌。');
    } else if (err && err.status === 429) {
      showError('Too many requests; wait ' + (err.retryAfter || 'a few') + ' seconds and try again.', '请求过多，请稍后再试。');
    } else {
      showError('Could not load: ' + (err && err.message ? err.message : err), '加载失败。');
    }
  }

  // link returns a link-styled button for a figure; click opens fn.
  function link(text, label, fn) {
    var a = el('a', 'num', text);
    a.href = '#records';
    if (label) a.setAttribute('aria-label', label);
    a.addEventListener('click', function (ev) { ev.preventDefault(); fn(); });
    return a;
  }
  function code(text) { return el('code', 'tx', text || '—'); }
  function ticketLink(id) { return link(id, 'trace of ticket ' + id, function () { openTrace(id); }); }

  // ---- records view --------------------------------------------------------------------

  function openRecords(kind, titleEn, titleZh, source, load) {
    var mine = ++run;
    els.records.hidden = false;
    els.records.setAttribute('data-kind', kind);
    els.records.setAttribute('data-state', 'loading');
    clear(els.recordsTitle);
    els.recordsTitle.appendChild(document.createTextNode(titleEn + ' '));
    if (titleZh) els.recordsTitle.appendChild(zh(titleZh));
    els.recordsSource.textContent = 'GET ' + P.API + source;
    clear(els.recordsBody);
    els.recordsBody.appendChild(bi('p', 'muted', 'Loading…', '加载中…'));
    els.recordsHeading.focus();
    return load().then(function (nodes) {
      if (mine !== run) return;
      clear(els.recordsBody);
      nodes.forEach(function (n) { els.recordsBody.appendChild(n); });
      els.records.setAttribute('data-state', 'done');
    }, function (err) {
      if (mine !== run) return;
      clear(els.recordsBody);
      var p = el('p', 'error', 'Could not load: ' + (err && err.message ? err.message : err));
      p.setAttribute('role', 'alert');
      els.recordsBody.appendChild(p);
      els.records.setAttribute('data-state', 'error');
    });
  }

  function empty(en, zhText) { return bi('p', 'muted empty-note', en, zhText); }

  var SHOW = 100; // rows shown in one table of the records view; the count says how many there are
  var BOARD = 20; // rows shown in a list on the board

  function firstOf(total) {
    return bi('p', 'hint', 'The first ' + BOARD + ' of ' + total + ' are shown.', '仅显示前 ' + BOARD + ' 条（共 ' + total + ' 条）。');
  }

  function more(total) {
    return bi('p', 'hint', 'The first ' + SHOW + ' of ' + total + ' are shown; narrow the period to see the others.',
      '仅显示前 ' + SHOW + ' 条（共 ' + total + ' 条），请缩短期间查看其余记录。');
  }

  function accountabilityTable(records) {
    if (!records.length) return empty('No accountability records.', '无责任追溯记录。');
    if (records.length > SHOW) {
      var box = el('div');
      box.appendChild(more(records.length));
      box.appendChild(accountabilityTable(records.slice(0, SHOW)));
      return box;
    }
    return P.table([['Ticket', '工单'], ['Department', '部门'], ['Cause', '原因'], ['Deadline missed', '超期时限'],
      ['At', '时间'], ['Transaction', '交易编号']], records.map(function (a) {
      var cause = el('span', '', a.cause + (a.phase ? ' (' + a.phase + ')' : ''));
      cause.appendChild(document.createTextNode(' '));
      cause.appendChild(zh(CAUSE_ZH[a.cause] || ''));
      return [ticketLink(a.ticketId), a.department, cause, a.deadline ? P.fmtTime(a.deadline, zone) : '—',
        P.fmtTime(a.at, zone), code(a.txId)];
    }), 'data records-table');
  }

  function openKPI(dept, pt, metric) {
    var q = P.query({ department: dept, from: pt.from, to: pt.to });
    var label = metric ? metric[1] + ' ' + P.fmtRate(pt.kpi[metric[0]]) : 'KPI';
    return openRecords('kpi', dept + ' · ' + pt.label + ' · ' + label, metric ? metric[2] : '考核指标',
      '/audit/kpi' + q + '  +  /audit/accountability' + q, function () {
        return Promise.all([
          P.api('/audit/kpi' + q, token()),
          P.api('/audit/accountability' + P.query({ department: dept, from: pt.from, to: pt.to, pageSize: 500 }), token())
        ]).then(function (res) {
          var k = res[0], acc = res[1].records || [];
          var dl = el('dl', 'fields-list kpi-fields');
          var add = function (en, zhText, v) { dl.appendChild(bi('dt', '', en, zhText)); dl.appendChild(el('dd', '', v)); };
          add('Period', '期间', P.fmtTime(k.from, zone) + ' – ' + P.fmtTime(k.to, zone) + ' (to exclusive)');
          add('As of', '计算时间', P.fmtTime(k.asOf, zone));
          add('Received', '受理数', k.received);
          METRICS.forEach(function (m) {
            var r = k[m[0]];
            add(m[1], m[2], P.fmtRate(r) + ' = ' + r.numerator + ' / ' + r.denominator + ' (target ' + Math.round(m[3] * 100) + ' %)');
          });
          add('Pending', '待定', 'response ' + k.responsePending + ', resolution ' + k.resolutionPending);
          add('Closed unrated', '未评价自动关闭', k.autoClosedUnrated);
          add('Overdue / unsatisfied / reopened', '超期 / 不满意 / 重办', k.overdue + ' / ' + k.unsatisfied + ' / ' + k.reopened);
          var want = null;
          if (metric && metric[0] === 'response') want = function (a) { return a.cause === 'overdue' && a.phase === 'respond'; };
          if (metric && metric[0] === 'resolution') want = function (a) { return a.cause === 'overdue' && a.phase === 'resolve'; };
          if (metric && metric[0] === 'satisfaction') want = function (a) { return a.cause === 'unsatisfied'; };
          if (metric === 'overdue') want = function (a) { return a.cause === 'overdue'; };
          var shown = want ? acc.filter(want) : acc;
          var h = bi('h3', '', 'The misses behind it: accountability records', '未达标依据：责任追溯记录');
          return [dl, h, accountabilityTable(shown)];
        });
      });
  }

  function openTrace(id) {
    var path = '/tickets/' + encodeURIComponent(id) + '/trace';
    return openRecords('trace', 'Trace of ticket ' + id, '工单 ' + id + ' 全流程', path, function () {
      return P.api(path, token()).then(function (trs) {
        return [P.table([['#', '序号'], ['Time', '时间'], ['Action', '动作'], ['State', '状态'], ['Department', '部门'],
          ['Who', '操作者'], ['Missed', '超期'], ['Transaction', '交易编号']], trs.map(function (t) {
          var who = t.role + (t.department ? ' ' + t.department : '') + (t.actorId ? ' · ' + t.actorId : '') + (t.actorMspId ? ' (' + t.actorMspId + ')' : '');
          var missed = (t.missed || []).map(function (m) { return m.phase + ' ' + P.fmtTime(m.at, zone); }).join(', ');
          return [t.seq, P.fmtTime(t.time, zone), t.action, t.from + ' → ' + t.to, t.assignedTo || '', who, missed || '—', code(t.txId)];
        }), 'data records-table')];
      });
    });
  }

  function openExchanges(dept, side, status) {
    var params = { from: els.from.value, to: els.to.value, status: status, pageSize: 500 };
    params[side] = dept;
    var path = '/exchanges' + P.query(params);
    return openRecords('exchanges', 'Exchanges of ' + dept + ' as ' + side + (status ? ' · ' + status : ''), '数据交换记录', path, function () {
      return P.api(path, token()).then(function (page) {
        var recs = page.records || [];
        if (!recs.length) return [empty('No exchanges.', '无交换记录。')];
        var note = recs.length > SHOW ? [more(recs.length)] : [];
        recs = recs.slice(0, SHOW);
        return note.concat([P.table([['Exchange', '交换编号'], ['Provider → consumer', '提供方 → 使用方'], ['Item', '数据项'], ['Status', '状态'],
          ['Sent', '发送时间'], ['Sent in tx', '发送交易'], ['Last tx', '最近交易']], recs.map(function (e) {
          return [e.id, e.provider + ' → ' + e.consumer, e.item || '', e.status, P.fmtTime(e.sentAt, zone), code(e.sentTxId), code(e.txId)];
        }), 'data records-table')]);
      });
    });
  }

  // ---- the board -----------------------------------------------------------------------

  function shortLabel(label) {
    var m = /^(\d{4})-(W\d{2}|Q\d|\d{2})$/.exec(label);
    return m ? m[2] : label;
  }

  function departmentCard(d, series) {
    var card = el('article', 'dept');
    card.setAttribute('data-dept', d.id);
    var h = el('h3', '', d.name ? d.name + ' ' : '');
    h.appendChild(el('code', '', d.id));
    card.appendChild(h);
    var pts = series.points || [];
    var charts = el('div', 'charts');
    METRICS.forEach(function (m) {
      var fig = el('figure', 'chart-fig');
      fig.setAttribute('data-metric', m[0]);
      fig.appendChild(P.lineChart({
        title: d.id + ' ' + m[1] + ' / ' + m[2],
        target: m[3],
        points: pts.map(function (p) {
          var r = p.kpi[m[0]];
          return { label: p.label, short: shortLabel(p.label), value: r.rate,
            title: p.label + ': ' + P.fmtRate(r) + ' (' + r.numerator + '/' + r.denominator + ')' };
        }),
        onPoint: function (i) { openKPI(d.id, pts[i], m); }
      }));
      var cap = bi('figcaption', '', m[1] + ' (target ' + Math.round(m[3] * 100) + ' %)', m[2] + '（目标 ' + Math.round(m[3] * 100) + '%）');
      fig.appendChild(cap);
      charts.appendChild(fig);
    });
    card.appendChild(charts);
    var rows = pts.map(function (p) {
      var k = p.kpi;
      var rate = function (m) {
        var r = k[m[0]];
        var a = link(P.fmtRate(r), d.id + ' ' + p.label + ' ' + m[1], function () { openKPI(d.id, p, m); });
        if (r.met === false) a.className += ' miss';
        var span = el('span');
        span.appendChild(a);
        span.appendChild(el('small', 'frac', ' ' + r.numerator + '/' + r.denominator));
        if (r.met === false) span.appendChild(el('small', 'miss-mark', ' ✗'));
        return span;
      };
      return [p.label,
        link(String(k.received), d.id + ' ' + p.label + ' received', function () { openKPI(d.id, p, null); }),
        rate(METRICS[0]), rate(METRICS[1]), rate(METRICS[2]),
        link(String(k.overdue), d.id + ' ' + p.label + ' overdue', function () { openKPI(d.id, p, 'overdue'); }),
        link(String(k.accountability), d.id + ' ' + p.label + ' accountability', function () { openKPI(d.id, p, null); })];
    });
    card.appendChild(P.table([['Period', '周期'], ['Received', '受理'], ['Response', '响应率'], ['Resolution', '办结率'],
      ['Satisfaction', '满意率'], ['Overdue', '超期'], ['Accountability', '追责']], rows, 'data kpi-table'));
    return card;
  }

  function renderOverdue(page) {
    var recs = page.records || [];
    els.overdueCount.textContent = String(recs.length) + (page.bookmark ? '+' : '');
    clear(els.overdue);
    if (!recs.length) { els.overdue.appendChild(empty('No ticket is overdue.', '没有超期工单。')); return; }
    if (recs.length > BOARD) { els.overdue.appendChild(firstOf(recs.length + (page.bookmark ? '+' : ''))); recs = recs.slice(0, BOARD); }
    els.overdue.appendChild(P.table([['Ticket', '工单'], ['Department', '部门'], ['State', '状态'], ['Respond by', '响应时限'],
      ['Resolve by', '办结时限'], ['Transaction', '交易编号']], recs.map(function (t) {
      return [ticketLink(t.id), t.department, t.state + ' ' + (STATE_ZH[t.state] || ''), P.fmtTime(t.respondBy, zone),
        P.fmtTime(t.resolveBy, zone), code(t.txId)];
    })));
  }

  function renderEscalations(depts, pages) {
    clear(els.escalations);
    var rows = [], total = 0;
    depts.forEach(function (d, i) {
      (pages[i].records || []).forEach(function (e) {
        total++;
        rows.push([ticketLink(e.ticketId), e.from + ' → ' + e.to, P.fmtTime(e.at, zone), String(e.episode)]);
      });
    });
    els.escCount.textContent = String(total);
    if (!rows.length) { els.escalations.appendChild(empty('No ticket was escalated in this period.', '本期无升级工单。')); return; }
    if (rows.length > BOARD) { els.escalations.appendChild(firstOf(rows.length)); rows = rows.slice(0, BOARD); }
    els.escalations.appendChild(P.table([['Ticket', '工单'], ['From → to', '原部门 → 上级'], ['At', '时间'], ['Episode', '环节']], rows));
    els.escalations.appendChild(bi('p', 'hint', 'The escalate step and its transaction id are in the ticket\'s trace.', '升级步骤及其交易编号见工单全流程。'));
  }

  function openAccountability(dept, cause) {
    var params = { department: dept, from: els.from.value, to: els.to.value, pageSize: 500 };
    var path = '/audit/accountability' + P.query(params);
    return openRecords('accountability', 'Accountability records of ' + dept + (cause ? ' · ' + cause : ''),
      '责任追溯记录' + (cause ? ' · ' + (CAUSE_ZH[cause] || cause) : ''), path, function () {
        return P.api(path, token()).then(function (page) {
          var recs = (page.records || []).filter(function (a) { return !cause || a.cause === cause; });
          var out = [accountabilityTable(recs)];
          if (page.bookmark) out.unshift(bi('p', 'hint', 'More than 500 records in this period: narrow it to see them all.', '本期记录超过 500 条，请缩短期间。'));
          return out;
        });
      });
  }

  // renderAccountability shows, per department, how many accountability records the
  // period holds by cause — the KPI's own counts (records attributed by their time, as
  // the list is); each count opens the records.
  function renderAccountability(depts, series) {
    clear(els.accountability);
    var total = 0;
    var rows = depts.map(function (d, i) {
      var sum = { accountability: 0, overdue: 0, unsatisfied: 0, reopened: 0 };
      (series[i].points || []).forEach(function (p) { Object.keys(sum).forEach(function (k) { sum[k] += p.kpi[k]; }); });
      total += sum.accountability;
      var n = function (key, cause) {
        return link(String(sum[key]), d.id + ' accountability ' + (cause || 'all'), function () { openAccountability(d.id, cause); });
      };
      return [d.id, n('accountability', ''), n('overdue', 'overdue'), n('unsatisfied', 'unsatisfied'), n('reopened', 'reopened')];
    });
    els.accCount.textContent = String(total);
    if (!total) { els.accountability.appendChild(empty('No accountability records.', '无责任追溯记录。')); return; }
    els.accountability.appendChild(P.table([['Department', '部门'], ['Records', '记录'], ['Overdue', '超期'],
      ['Unsatisfied', '不满意'], ['Reopened', '重办']], rows));
  }

  function renderExchanges(sum) {
    clear(els.exchanges);
    els.exCount.textContent = String(sum.exchanges) + (sum.truncated ? '+' : '');
    var ds = sum.departments || [];
    if (!ds.length) { els.exchanges.appendChild(empty('No exchanges in this period.', '本期无数据交换。')); return; }
    els.exchanges.appendChild(P.table([['Department', '部门'], ['Sent', '发送'], ['Acknowledged', '已确认'], ['Refused by the consumer', '被拒收'],
      ['Unanswered', '未答复'], ['Received', '接收'], ['Refused by it', '拒收']], ds.map(function (v) {
      var n = function (val, side, status, what) {
        return link(String(val), v.department + ' ' + what, function () { openExchanges(v.department, side, status); });
      };
      return [v.department, n(v.sent, 'provider', '', 'sent'), n(v.acknowledged, 'provider', 'acknowledged', 'acknowledged'),
        n(v.rejected, 'provider', 'rejected', 'refused by the consumer'), n(v.pending, 'provider', 'sent', 'unanswered'),
        n(v.received, 'consumer', '', 'received'), n(v.refused, 'consumer', 'rejected', 'refused')];
    })));
  }

  function load() {
    var t = token();
    if (!t) { showError('Type the auditor token first.', '请先输入审计令牌。'); P.setState('error'); return Promise.resolve(); }
    var from = els.from.value, to = els.to.value, bucket = els.bucket.value;
    if (!from || !to || to < from) { showError('Choose a period: from a day to a later day.', '请选择正确的起止日期。'); P.setState('error'); return Promise.resolve(); }
    els.error.hidden = true;
    P.setState('loading');
    els.status.textContent = 'Loading… 加载中…';
    var period = { from: from, to: to };
    return P.api('/departments', t).then(function (all) {
      var depts = (all || []).filter(function (d) { return !d.status || d.status === 'active'; });
      depts.sort(function (a, b) { return a.id < b.id ? -1 : a.id > b.id ? 1 : 0; });
      var per = function (path, extra) {
        return Promise.all(depts.map(function (d) {
          return P.api(path + P.query(Object.assign({ department: d.id }, period, extra)), t);
        }));
      };
      return Promise.all([
        per('/audit/kpi/series', { bucket: bucket }),
        P.api('/audit/overdue' + P.query({ pageSize: PAGE }), t),
        per('/audit/escalations', { pageSize: PAGE }),
        P.api('/audit/exchange-volume' + P.query(period), t)
      ]).then(function (res) {
        var series = res[0];
        if (series.length && series[0].timeZone) zone = series[0].timeZone;
        els.zone.textContent = zone;
        clear(els.departments);
        if (!depts.length) els.departments.appendChild(empty('No departments are registered.', '尚无登记的部门。'));
        depts.forEach(function (d, i) { els.departments.appendChild(departmentCard(d, series[i])); });
        var received = series.reduce(function (n, s) {
          return n + (s.points || []).reduce(function (m, p) { return m + p.kpi.received; }, 0);
        }, 0);
        document.body.setAttribute('data-received', String(received));
        if (!received) {
          els.departments.insertBefore(empty('No tickets in this period.', '本期无工单数据。'), els.departments.firstChild);
        }
        renderOverdue(res[1]);
        renderEscalations(depts, res[2]);
        renderAccountability(depts, series);
        renderExchanges(res[3]);
        els.board.hidden = false;
        els.status.textContent = depts.length + ' departments, ' + received + ' tickets received · ' +
          depts.length + ' 个部门，受理 ' + received + ' 件';
        P.setState('done');
      });
    }).catch(function (err) {
      els.status.textContent = '';
      els.board.hidden = true;
      apiError(err);
      P.setState('error');
    });
  }

  function init() {
    var today = P.todayIn(zone);
    els.to.value = today;
    els.from.value = today.slice(0, 4) + '-01-01';
    els.form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var typed = els.token.value.trim();
      if (typed) keepToken(typed);
      els.token.value = '';
      els.token.placeholder = token() ? '(kept for this tab · 已保存在本标签页)' : '';
      load();
    });
    els.forget.addEventListener('click', function () {
      forgetToken();
      els.token.value = '';
      els.token.placeholder = '';
      els.board.hidden = true;
      els.records.hidden = true;
      els.status.textContent = 'Token forgotten. 令牌已清除。';
      P.setState('idle');
    });
    els.recordsClose.addEventListener('click', function () { els.records.hidden = true; });
    if (token()) {
      els.token.placeholder = '(kept for this tab · 已保存在本标签页)';
      load();
    } else {
      P.setState('idle');
    }
  }

  init();
})();
