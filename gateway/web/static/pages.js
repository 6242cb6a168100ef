/*
 * pages.js — what the dashboard, results and progress pages share: DOM helpers, bilingual
 * text, times in the deployment's zone, the API client, and small inline-SVG charts drawn
 * here (no library, no CDN; the pages' Content-Security-Policy stays strict: no inline
 * script or style, SVG presentation attributes only).
 *
 * window.CertledgerPages = { el, zh, bi, clear, api, fmtTime, fmtRate, lineChart, barChart, setState, table }
 */
(function (root) {
  'use strict';

  var SVGNS = 'http://www.w3.org/2000/svg';
  var meta = document.querySelector('meta[name="certledger-api"]');
  var API = (meta && meta.content) || '/api/v1';

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function zh(text) { var s = el('span', 'zh', text); s.lang = 'zh-CN'; return s; }
  // bi returns a node with English text followed by its Chinese.
  function bi(tag, cls, en, zhText) {
    var e = el(tag, cls);
    e.appendChild(document.createTextNode(en + ' '));
    if (zhText) e.appendChild(zh(zhText));
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function setState(s) { document.body.setAttribute('data-state', s); }

  // APIError carries the gateway's {"code","message"} and the HTTP status.
  function APIError(status, code, message, retryAfter) {
    this.status = status; this.code = code || ''; this.message = message || ('HTTP ' + status);
    this.retryAfter = retryAfter || '';
  }
  APIError.prototype.toString = function () { return this.status + ' ' + this.code + ': ' + this.message; };

  // api GETs path (under /api/v1) with an optional bearer token and resolves with the JSON.
  function api(path, token) {
    var headers = { Accept: 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    return fetch(API + path, { headers: headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' })
      .then(function (resp) {
        return resp.text().then(function (text) {
          var body = null;
          try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
          if (!resp.ok) {
            throw new APIError(resp.status, body && body.code, body && body.message, resp.headers.get('Retry-After'));
          }
          return body;
        });
      });
  }
  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      if (params[k] !== undefined && params[k] !== null && params[k] !== '') {
        parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(params[k]));
      }
    });
    return parts.length ? '?' + parts.join('&') : '';
  }

  // fmtTime shows an RFC 3339 time in zone as "2026-12-01 10:00:00" (no fractions).
  var fmtCache = {};
  function fmtTime(s, zone) {
    if (!s) return '—';
    var d = new Date(s);
    if (isNaN(d.getTime())) return s;
    zone = zone || 'Asia/Shanghai';
    var f = fmtCache[zone];
    if (!f) {
      try {
        f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
          hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
      } catch (e) { return s; }
      fmtCache[zone] = f;
    }
    var p = {};
    f.formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
    return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second;
  }
  // fmtRate shows a KPI rate object as "96.2 %" ("—" when it has no denominator).
  function fmtRate(r) {
    if (!r || r.rate === null || r.rate === undefined) return '—';
    return (Math.round(r.rate * 1000) / 10).toFixed(1) + ' %';
  }
  function todayIn(zone) {
    return fmtTime(new Date().toISOString(), zone).slice(0, 10);
  }

  // table builds <table> with a bilingual header row; rows are arrays of nodes or text.
  function table(headers, rows, cls) {
    var t = el('table', cls || 'data');
    var thead = el('thead'), tr = el('tr');
    headers.forEach(function (h) {
      var th = Array.isArray(h) ? bi('th', '', h[0], h[1]) : el('th', '', h);
      th.scope = 'col';
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    t.appendChild(thead);
    var tb = el('tbody');
    rows.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (c) {
        var td = el('td');
        if (c instanceof Node) td.appendChild(c); else td.textContent = c === undefined || c === null ? '' : String(c);
        row.appendChild(td);
      });
      tb.appendChild(row);
    });
    t.appendChild(tb);
    return t;
  }

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) e.textContent = String(text);
    return e;
  }

  // lineChart draws one KPI rate over time: points [{label, value (0..1 or null), title}],
  // the target as a dashed line, points below it in the "miss" colour (and a cross, so
  // the state is not told by colour alone). onPoint(i) is called when a point is chosen.
  function lineChart(opts) {
    var W = opts.width || 296, H = opts.height || 150, L = 36, R = 8, T = 14, B = 26;
    var pts = opts.points || [];
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'class': 'chart line-chart' });
    s.appendChild(svg('title', {}, opts.title || ''));
    var lo = 0, hi = 1;
    pts.forEach(function (p) { if (p.value !== null && p.value !== undefined) lo = Math.min(lo, p.value); });
    var x = function (i) { return pts.length <= 1 ? L + (W - L - R) / 2 : L + i * (W - L - R) / (pts.length - 1); };
    var y = function (v) { return T + (1 - (v - lo) / (hi - lo)) * (H - T - B); };
    [0, 0.5, 1].forEach(function (v) {
      s.appendChild(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), 'class': 'grid' }));
      s.appendChild(svg('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end', 'class': 'axis' }, Math.round(v * 100) + '%'));
    });
    if (opts.target !== undefined) {
      s.appendChild(svg('line', { x1: L, x2: W - R, y1: y(opts.target), y2: y(opts.target), 'class': 'target' }));
      s.appendChild(svg('text', { x: W - R, y: y(opts.target) - 3, 'text-anchor': 'end', 'class': 'target-label' },
        Math.round(opts.target * 100) + '%'));
    }
    var d = '', pen = false;
    pts.forEach(function (p, i) {
      if (p.value === null || p.value === undefined) { pen = false; return; }
      d += (pen ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(p.value).toFixed(1);
      pen = true;
    });
    if (d) s.appendChild(svg('path', { d: d, 'class': 'series' }));
    var step = Math.max(1, Math.ceil(pts.length / 6));
    pts.forEach(function (p, i) {
      if (i % step === 0 || i === pts.length - 1) {
        var anchor = pts.length > 1 && i === 0 ? 'start' : pts.length > 1 && i === pts.length - 1 ? 'end' : 'middle';
        s.appendChild(svg('text', { x: x(i), y: H - 8, 'text-anchor': anchor, 'class': 'axis' }, p.short || p.label));
      }
      if (p.value === null || p.value === undefined) return;
      var miss = opts.target !== undefined && p.value < opts.target;
      var a = svg('a', { href: '#', 'class': 'point' + (miss ? ' miss' : ''), 'data-index': i, 'aria-label': p.title || p.label });
      a.appendChild(svg('title', {}, p.title || p.label));
      a.appendChild(svg('circle', { cx: x(i), cy: y(p.value), r: 4 }));
      if (miss) {
        var cx = x(i), cy = y(p.value);
        a.appendChild(svg('path', { d: 'M' + (cx - 3) + ' ' + (cy - 3) + 'L' + (cx + 3) + ' ' + (cy + 3) + 'M' + (cx + 3) + ' ' + (cy - 3) + 'L' + (cx - 3) + ' ' + (cy + 3), 'class': 'cross' }));
      }
      if (opts.onPoint) {
        a.addEventListener('click', function (ev) { ev.preventDefault(); opts.onPoint(i); });
      }
      s.appendChild(a);
    });
    if (!pts.some(function (p) { return p.value !== null && p.value !== undefined; })) {
      s.appendChild(svg('text', { x: (L + W - R) / 2, y: H / 2, 'text-anchor': 'middle', 'class': 'empty' }, 'no data · 暂无数据'));
    }
    return s;
  }

  // barChart draws groups of bars: groups [{label, bars: [{value (0..1 or null), cls, title}]}]
  // with per-series targets (targets[j] for bar j) as short dashed marks.
  function barChart(opts) {
    var groups = opts.groups || [], n = groups.length ? groups[0].bars.length : 1;
    var W = opts.width || 420, H = opts.height || 170, L = 36, R = 8, T = 12, B = 26;
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'class': 'chart bar-chart' });
    s.appendChild(svg('title', {}, opts.title || ''));
    var y = function (v) { return T + (1 - v) * (H - T - B); };
    [0, 0.5, 1].forEach(function (v) {
      s.appendChild(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), 'class': 'grid' }));
      s.appendChild(svg('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end', 'class': 'axis' }, Math.round(v * 100) + '%'));
    });
    var gw = (W - L - R) / Math.max(1, groups.length), bw = Math.min(18, (gw - 10) / n);
    groups.forEach(function (g, i) {
      var gx = L + i * gw + (gw - bw * n) / 2;
      g.bars.forEach(function (b, j) {
        var bx = gx + j * bw;
        if (b.value !== null && b.value !== undefined) {
          var r = svg('rect', { x: bx + 1, y: y(b.value), width: bw - 2, height: Math.max(0, y(0) - y(b.value)), 'class': 'bar ' + (b.cls || '') });
          r.appendChild(svg('title', {}, b.title || ''));
          s.appendChild(r);
        } else {
          s.appendChild(svg('text', { x: bx + bw / 2, y: y(0) - 3, 'text-anchor': 'middle', 'class': 'axis' }, '–'));
        }
        if (opts.targets && opts.targets[j] !== undefined) {
          s.appendChild(svg('line', { x1: bx, x2: bx + bw, y1: y(opts.targets[j]), y2: y(opts.targets[j]), 'class': 'target' }));
        }
      });
      s.appendChild(svg('text', { x: L + i * gw + gw / 2, y: H - 8, 'text-anchor': 'middle', 'class': 'axis' }, g.label));
    });
    return s;
  }

  // legend: [[cls, en, zh]] as a small key under a chart.
  function legend(items) {
    var ul = el('ul', 'legend');
    items.forEach(function (it) {
      var li = el('li');
      li.appendChild(el('span', 'swatch ' + it[0]));
      li.appendChild(document.createTextNode(it[1] + ' '));
      if (it[2]) li.appendChild(zh(it[2]));
      ul.appendChild(li);
    });
    return ul;
  }

  root.CertledgerPages = {
    API: API, el: el, zh: zh, bi: bi, clear: clear, setState: setState, api: api, query: query,
    APIError: APIError, fmtTime: fmtTime, fmtRate: fmtRate, todayIn: todayIn, table: table,
    lineChart: lineChart, barChart: barChart, legend: legend
  };
})(window);
