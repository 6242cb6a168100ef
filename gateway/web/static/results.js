/*
 * results.js — the public results page (/results, 结果公开).
 *
 * No token: GET /api/v1/public/kpi?year=YYYY answers aggregates only (package access,
 * Aggregate). The page shows a table (department × quarter, three rates against their
 * targets, with the counts) and one bar chart per department drawn as inline SVG.
 * State for tests: body[data-state] = loading|done|error, body[data-departments].
 */
(function () {
  'use strict';

  var P = window.CertledgerPages;
  var el = P.el, zh = P.zh, bi = P.bi, clear = P.clear;
  function $(id) { return document.getElementById(id); }
  var els = {
    form: $('year-form'), year: $('year'), error: $('form-error'), status: $('status'), results: $('results'),
    resultsYear: $('results-year'), empty: $('empty'), table: $('table'), charts: $('charts'), asof: $('asof'), zone: $('zone')
  };
  var METRICS = [
    ['response', '响应率', 'Response'],
    ['resolution', '办结率', 'Resolution'],
    ['satisfaction', '满意率', 'Satisfaction']
  ];

  function en(text) { var s = el('span', 'zh', text); s.lang = 'en'; return s; }

  function cell(k) {
    if (!k) return el('span', 'muted', '—');
    var ul = el('ul', 'cell-rates');
    METRICS.forEach(function (m) {
      var r = k[m[0]];
      var li = el('li');
      li.setAttribute('data-metric', m[0]);
      li.appendChild(document.createTextNode(m[1] + ' '));
      var v = el('strong', r.met === false ? 'unmet' : r.met === true ? 'met' : '', P.fmtRate(r));
      li.appendChild(v);
      if (r.met === false) li.appendChild(el('span', 'unmet', ' ✗'));
      if (r.met === true) li.appendChild(el('span', 'met', ' ✓'));
      li.appendChild(el('small', 'frac', ' ' + r.numerator + '/' + r.denominator));
      ul.appendChild(li);
    });
    var li = el('li', 'muted', '受理 ' + k.received);
    li.appendChild(en(' received'));
    ul.appendChild(li);
    return ul;
  }

  function render(res) {
    els.zone.textContent = res.timeZone;
    els.resultsYear.textContent = String(res.year);
    var ds = res.departments || [];
    var received = ds.reduce(function (n, d) { return n + (d.year ? d.year.received : 0); }, 0);
    document.body.setAttribute('data-departments', String(ds.length));
    document.body.setAttribute('data-received', String(received));
    els.empty.hidden = received > 0;
    clear(els.table);
    clear(els.charts);
    var headers = [['部门', 'Department']].concat(res.quarters.map(function (q) { return [q.label.slice(5), q.from + ' – ' + q.to]; }))
      .concat([['全年', 'Year']]);
    els.table.appendChild(P.table(headers, ds.map(function (d) {
      var name = el('span', '', d.name || d.id);
      name.appendChild(el('br'));
      name.appendChild(el('code', 'tx', d.id));
      return [name].concat(d.quarters.map(cell)).concat([cell(d.year)]);
    }), 'data results-table'));
    ds.forEach(function (d) {
      var fig = el('figure', 'chart-fig');
      fig.setAttribute('data-dept', d.id);
      fig.appendChild(P.barChart({
        title: (d.name || d.id) + ' ' + res.year,
        targets: [res.targets.response, res.targets.resolution, res.targets.satisfaction],
        groups: res.quarters.map(function (q, i) {
          var k = d.quarters[i];
          return { label: q.label.slice(5), bars: METRICS.map(function (m) {
            var r = k ? k[m[0]] : null;
            return { value: r ? r.rate : null, cls: m[0], title: q.label + ' ' + m[2] + ' ' + m[1] + ': ' + P.fmtRate(r) };
          }) };
        })
      }));
      var cap = el('figcaption', '', (d.name || d.id) + ' ');
      cap.appendChild(el('code', 'tx', d.id));
      fig.appendChild(cap);
      els.charts.appendChild(fig);
    });
    if (ds.length) {
      els.charts.appendChild(P.legend([['response', '响应率 ≥ 95%', 'Response'], ['resolution', '办结率 ≥ 90%', 'Resolution'],
        ['satisfaction', '满意率 ≥ 85%', 'Satisfaction'], ['target', '目标', 'target']]));
    }
    var asOf = ds.length && ds[0].year ? ds[0].year.asOf : '';
    els.asof.textContent = asOf ? '计算时间 As of ' + P.fmtTime(asOf, res.timeZone) + ' (' + res.timeZone + ')' : '';
    els.results.hidden = false;
  }

  function load() {
    var y = els.year.value;
    if (!/^\d{4}$/.test(y)) {
      clear(els.error);
      els.error.appendChild(document.createTextNode('请输入四位年份。 '));
      els.error.appendChild(en('Type a four-digit year.'));
      els.error.hidden = false;
      P.setState('error');
      return;
    }
    els.error.hidden = true;
    P.setState('loading');
    els.status.textContent = '加载中… Loading…';
    history.replaceState(null, '', '/results?year=' + y);
    P.api('/public/kpi' + P.query({ year: y })).then(function (res) {
      els.status.textContent = '';
      render(res);
      P.setState('done');
    }, function (err) {
      els.status.textContent = '';
      els.results.hidden = true;
      clear(els.error);
      var wait = err && err.status === 429;
      els.error.appendChild(document.createTextNode((wait ? '请求过多，请稍后再试。' : '无法加载结果：') + ' '));
      els.error.appendChild(en(wait ? 'Too many requests; wait ' + (err.retryAfter || 'a few') + ' seconds.' : 'Could not load the results: ' + (err && err.message ? err.message : err)));
      els.error.hidden = false;
      P.setState('error');
    });
  }

  var q = new URLSearchParams(location.search).get('year');
  els.year.value = q && /^\d{4}$/.test(q) ? q : P.todayIn('Asia/Shanghai').slice(0, 4);
  els.form.addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
  load();
})();
