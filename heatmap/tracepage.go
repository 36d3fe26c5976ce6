package heatmap

import "html/template"

// tracePageTemplate is the zoomable trace page. html/template escapes
// every label in the HTML and writes the data as JSON fit for a script
// element; the script draws labels with fillText and textContent only, so
// no text from the trace is ever parsed as markup.
var tracePageTemplate = template.Must(template.New("trace").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { margin: 1em; background: #fff; color: #222; font-family: ` + fontFamily + `; font-size: 12px; }
h1 { font-size: 15px; margin: 0 0 4px 0; }
p { margin: 2px 0; }
.lost { font-weight: bold; color: #b00; }
#bar button { font: inherit; margin-right: 6px; }
#status { margin-left: 8px; color: #444; }
#wrap { display: flex; align-items: flex-start; gap: 18px; margin-top: 6px; }
canvas { cursor: grab; display: block; }
canvas.dragging { cursor: grabbing; }
.legend h2 { font-size: 12px; font-weight: normal; margin: 0 0 4px 0; }
.legend ul { list-style: none; padding: 0; margin: 0 0 10px 0; }
.legend li { margin: 2px 0; white-space: nowrap; }
.sw { display: inline-block; width: 11px; height: 11px; margin-right: 6px; vertical-align: -1px; }
.sw.mark { width: 0; height: 0; border-left: 5px solid transparent; border-right: 5px solid transparent; margin-right: 7px; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>Upper lanes: CPUs, each slice coloured by its thread. Lower lanes: threads, coloured by the CPU they ran on. Wheel: zoom about the pointer · drag: pan.</p>
{{if .Subtitle}}<p>{{.Subtitle}}</p>{{end}}
{{if .Lost}}<p class="lost">{{.Lost}}</p>{{end}}
<div id="bar"><button id="whole" type="button">whole trace</button><button id="default" type="button">default window</button><span id="status"></span></div>
<div id="wrap">
<canvas id="lanes"></canvas>
<div class="legend">
<h2>threads</h2>
<ul>{{range .Threads}}<li><span class="sw" style="background: {{.Hue}}"></span>{{.Label}}</li>{{end}}</ul>
<h2>CPUs</h2>
<ul>{{range .CPUs}}<li><span class="sw" style="background: {{.Hue}}"></span>{{.Label}}</li>{{end}}</ul>
<h2>thread states</h2>
<ul>
<li><span class="sw" style="background: #999999; height: 6px; vertical-align: 1px"></span>runnable: waiting for a CPU</li>
<li><span class="sw" style="background: #cccccc; height: 1px; vertical-align: 3px"></span>asleep</li>
{{if .GIL}}<li><span class="sw" style="background: #333333"></span>holds the GIL</li>
<li><span class="sw" style="background: #bbbbbb"></span>wants the GIL</li>
<li><span class="sw" style="background: #e41a1c; width: 2px; margin-right: 15px"></span>failed wake-up: lock taken again</li>{{end}}
{{if .DropRequests}}<li><span class="sw mark" style="border-top: 5px solid #6a3d9a"></span>drop request: a waiter asks the holder to drop the GIL</li>{{end}}
{{if .ForcedSwitches}}<li><span class="sw mark" style="border-bottom: 5px solid #8c510a"></span>forced switch: the holder dropped it on request, waits for a taker</li>{{end}}
</ul>
</div>
</div>
<script type="application/json" id="trace-data">{{.Data}}</script>
<script>
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("trace-data").textContent);
  var PAD = 12, GAP = 6, FONT = "12px ` + fontFamily + `";
  var MINSPAN = 100; // ns

  // unpack reads the zig-zag varints of a base64 string (Go's
  // binary.AppendVarint), with arithmetic rather than bit operations so
  // that values past 2^31 survive.
  function unpack(b64) {
    var bin = atob(b64 || ""), out = [], v = 0, mult = 1;
    for (var i = 0; i < bin.length; i++) {
      var c = bin.charCodeAt(i);
      v += (c & 127) * mult;
      if (c < 128) {
        out.push(v % 2 ? -(v + 1) / 2 : v / 2);
        v = 0; mult = 1;
      } else {
        mult *= 128;
      }
    }
    return out;
  }

  // lanesOf decodes flattened (start difference, length, kind) triples.
  // m is the running maximum of the ends, so that a binary search finds
  // the first span that can reach a time even if spans overlap.
  function lanesOf(b64) {
    var flat = unpack(b64);
    var n = flat.length / 3, s = new Float64Array(n), e = new Float64Array(n),
        k = new Int32Array(n), m = new Float64Array(n), at = 0, mx = -Infinity;
    for (var i = 0; i < n; i++) {
      at += flat[3 * i];
      s[i] = at; e[i] = at + flat[3 * i + 1]; k[i] = flat[3 * i + 2];
      mx = Math.max(mx, e[i]); m[i] = mx;
    }
    return { s: s, e: e, k: k, m: m, n: n };
  }
  function first(L, from) {
    var lo = 0, hi = L.n;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (L.m[mid] >= from) { hi = mid; } else { lo = mid + 1; }
    }
    return lo;
  }
  var cpus = D.slices.map(lanesOf);
  // timesOf decodes a list of time differences.
  function timesOf(b64) {
    var out = [], at = 0;
    unpack(b64).forEach(function (d) { at += d; out.push(at); });
    return out;
  }
  var lanes = D.lanes.map(function (l) {
    return { label: l.label, st: lanesOf(l.states), lock: lanesOf(l.lock),
             fw: timesOf(l.fw), dr: timesOf(l.dr), fs: timesOf(l.fs) };
  });

  var canvas = document.getElementById("lanes"), ctx = canvas.getContext("2d");
  ctx.font = FONT;
  var labelW = 0;
  D.cpus.concat(D.lanes.map(function (l) { return l.label; })).forEach(function (s) {
    labelW = Math.max(labelW, Math.ceil(ctx.measureText(s).width));
  });
  var gx = PAD + labelW + GAP, gw = D.width, top = PAD;
  var laneH = Math.min(Math.max(Math.floor(D.height / D.cpus.length), 2), 16);
  var laneGap = laneH >= 8 ? 2 : 0;
  var cpuY = [], y = top;
  D.cpus.forEach(function () { cpuY.push(y); y += laneH + laneGap; });
  var cpuBottom = y - laneGap;
  var stateH = 14, gilH = 6, threadGap = 4, laneY = [];
  y = cpuBottom + 3 * GAP;
  lanes.forEach(function () {
    laneY.push(y);
    y += stateH + (D.gil ? 1 + gilH : 0) + threadGap;
  });
  var bottom = lanes.length ? y - threadGap : cpuBottom;
  var W = gx + gw + 3 * PAD, H = bottom + 46 + PAD;
  var dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
  canvas.style.width = W + "px"; canvas.style.height = H + "px";

  var st = window.corescope = { from: D.win[0], to: D.win[1], drawn: 0, draws: 0,
    marks: { fw: 0, dr: 0, fs: 0 }, setWindow: setWindow };

  function trim(x) {
    var dec = x < 10 ? 2 : x < 100 ? 1 : 0;
    var s = x.toFixed(dec);
    if (dec > 0) { s = s.replace(/0+$/, "").replace(/\.$/, ""); }
    return s;
  }
  function fmtDur(d) {
    if (d < 1e3) { return Math.round(d) + " ns"; }
    if (d < 1e6) { return trim(d / 1e3) + " µs"; }
    if (d < 1e9) { return trim(d / 1e6) + " ms"; }
    return trim(d / 1e9) + " s";
  }
  function windowUnit(to) { return to < 1e6 ? ["µs", 1e3] : to < 1e9 ? ["ms", 1e6] : ["s", 1e9]; }
  function windowLabel(from, to) {
    var u = windowUnit(to), res = (to - from) / 10 / u[1], dec = 0;
    while (dec < 9 && res < 1) { res *= 10; dec++; }
    return [(from / u[1]).toFixed(dec), (to / u[1]).toFixed(dec), u[0]];
  }
  function axisUnit(span) { return span < 2e6 ? ["µs", 1e3] : span < 2e9 ? ["ms", 1e6] : ["s", 1e9]; }

  function setWindow(from, to) {
    from = +from; to = +to;
    if (!(to > from)) { return; }
    var span = Math.min(Math.max(to - from, MINSPAN), D.dur);
    var mid = (from + to) / 2;
    from = Math.min(Math.max(mid - span / 2, 0), D.dur - span);
    st.from = from; st.to = from + span;
    var h = "#from=" + (st.from / 1e3).toFixed(3) + "us&to=" + (st.to / 1e3).toFixed(3) + "us";
    if (location.hash !== h) { history.replaceState(null, "", h); }
    draw();
  }
  function parseDur(s) {
    var m = /^([0-9]+(?:\.[0-9]*)?)(ns|us|µs|ms|s)?$/.exec(decodeURIComponent(s || "").trim());
    if (!m) { return NaN; }
    var mult = { "ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9 }[m[2] || "us"];
    return parseFloat(m[1]) * mult;
  }
  function fromHash() {
    var q = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) { q[kv.slice(0, i)] = kv.slice(i + 1); }
    });
    var f = parseDur(q.from), t = parseDur(q.to);
    if (isFinite(f) && isFinite(t) && t > f) { setWindow(f, t); return true; }
    return false;
  }

  function overlaps(s, e) { return s === e ? s >= st.from && s < st.to : s < st.to && e > st.from; }
  function draw() {
    var from = st.from, to = st.to, span = to - from;
    function X(t) { return gx + (t - from) / span * gw; }
    function rect(s, e, y, h, col) {
      var a = Math.floor(X(Math.max(s, from))), b = Math.max(Math.ceil(X(Math.min(e, to))), a + 1);
      ctx.fillStyle = col;
      ctx.fillRect(a, y, b - a, h);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, W, H);
    var drawn = 0, marks = { fw: 0, dr: 0, fs: 0 };
    cpus.forEach(function (L, i) {
      ctx.fillStyle = "#f6f6f6";
      ctx.fillRect(gx, cpuY[i], gw, laneH);
      for (var j = first(L, from); j < L.n && L.s[j] < to; j++) {
        if (!overlaps(L.s[j], L.e[j])) { continue; }
        drawn++;
        rect(L.s[j], L.e[j], cpuY[i], laneH, D.threadHue[L.k[j]]);
      }
    });
    lanes.forEach(function (ln, i) {
      var y0 = laneY[i], mid = y0 + stateH / 2, L = ln.st, j;
      for (j = first(L, from); j < L.n && L.s[j] < to; j++) {
        if (!overlaps(L.s[j], L.e[j])) { continue; }
        var k = L.k[j];
        if (k >= 0) { rect(L.s[j], L.e[j], y0, stateH, D.cpuHue[k] || "#444444"); }
        else if (k === -1) { rect(L.s[j], L.e[j], mid - 3, 6, "#999999"); }
        else { rect(L.s[j], L.e[j], mid, 1, "#cccccc"); }
      }
      if (!D.gil) { return; }
      var G = ln.lock, gy = y0 + stateH + 1;
      for (j = first(G, from); j < G.n && G.s[j] < to; j++) {
        if (!overlaps(G.s[j], G.e[j])) { continue; }
        rect(G.s[j], G.e[j], gy, gilH, G.k[j] === 0 ? "#333333" : "#bbbbbb");
      }
      // inWindow returns the indices [lo, hi) of the sorted times ts
      // inside the window.
      function inWindow(ts) {
        var lo = 0, hi = ts.length;
        while (lo < hi) { var m = (lo + hi) >> 1; if (ts[m] >= from) { hi = m; } else { lo = m + 1; } }
        for (hi = lo; hi < ts.length && ts[hi] < to; hi++) { }
        return [lo, hi];
      }
      var r = inWindow(ln.fw), bot = y0 + stateH + 1 + gilH;
      ctx.fillStyle = "#e41a1c";
      for (j = r[0]; j < r[1]; j++) {
        ctx.fillRect(Math.round(X(ln.fw[j])) - 1, y0, 2, stateH + 1 + gilH);
      }
      marks.fw += r[1] - r[0];
      // Drop requests point down from the lane's top, forced switches up
      // from its lock band's bottom: a stem and a head of 4 rows, 9 to 3
      // pixels wide, cut to the time axis, as in the PNG.
      [["dr", "#6a3d9a", false], ["fs", "#8c510a", true]].forEach(function (m) {
        var ts = ln[m[0]], w = inWindow(ts);
        ctx.fillStyle = m[1];
        for (var q = w[0]; q < w[1]; q++) {
          var c = Math.floor(X(ts[q]));
          ctx.fillRect(c, y0, 1, bot - y0);
          for (var k = 0; k < 4; k++) {
            var half = 4 - k, yy = m[2] ? bot - 1 - k : y0 + k;
            var a = Math.max(c - half, gx), b = Math.min(c + half + 1, gx + gw);
            if (a < b) { ctx.fillRect(a, yy, b - a, 1); }
          }
        }
        marks[m[0]] += w[1] - w[0];
      });
    });

    // Labels, frame and time axis.
    ctx.fillStyle = "#222222";
    ctx.font = FONT;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    var step = 1;
    while (step * (laneH + laneGap) < 14) { step++; }
    for (var i = 0; i < D.cpus.length; i += step) { ctx.fillText(D.cpus[i], gx - GAP, cpuY[i] + laneH / 2); }
    lanes.forEach(function (ln, i) {
      ctx.fillText(ln.label, gx - GAP, laneY[i] + (stateH + (D.gil ? 1 + gilH : 0)) / 2);
    });
    ctx.strokeStyle = "#888888";
    ctx.lineWidth = 1;
    ctx.strokeRect(gx - 0.5, top - 0.5, gw + 1, bottom - top + 1);
    var u = axisUnit(span), spanU = span / u[1], ticks = null;
    ctx.textAlign = "center";
    ctx.textBaseline = "alphabetic";
    for (var e = -3; e <= 9 && !ticks; e++) {
      [1, 2, 5].forEach(function (mm) {
        if (ticks) { return; }
        var stp = mm * Math.pow(10, e), dec = Math.max(0, -e);
        if (stp / spanU * gw < ctx.measureText(spanU.toFixed(dec)).width + 3 * GAP) { return; }
        ticks = [];
        for (var k = 0; k * stp <= spanU * (1 + 1e-9); k++) { ticks.push([k * stp, (k * stp).toFixed(dec)]); }
      });
    }
    ctx.beginPath();
    (ticks || []).forEach(function (tk) {
      var x = Math.min(gx + Math.round(tk[0] / spanU * gw), gx + gw - 1) + 0.5;
      ctx.moveTo(x, bottom + 1); ctx.lineTo(x, bottom + 5);
      ctx.fillText(tk[1], x, bottom + 18);
    });
    ctx.stroke();
    var wl = windowLabel(from, to);
    ctx.fillText("time (" + u[0] + ") from " + wl[0] + " " + wl[2] + " into the trace", gx + gw / 2, bottom + 36);
    st.drawn = drawn;
    st.marks = marks;
    st.draws++;
    document.getElementById("status").textContent =
      "window " + wl[0] + "–" + wl[1] + " " + wl[2] + " of " + fmtDur(D.dur) + " · " + drawn + " slices";
  }

  // Wheel zooms about the pointer; drag pans.
  canvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var span = st.to - st.from, f = Math.min(Math.max((ev.offsetX - gx) / gw, 0), 1);
    var at = st.from + f * span, ns = span * Math.exp(ev.deltaY * 0.002);
    ns = Math.min(Math.max(ns, MINSPAN), D.dur);
    setWindow(at - f * ns, at - f * ns + ns);
  }, { passive: false });
  var drag = null;
  canvas.addEventListener("mousedown", function (ev) {
    if (ev.button !== 0) { return; }
    drag = { x: ev.clientX, from: st.from, to: st.to };
    canvas.classList.add("dragging");
  });
  window.addEventListener("mousemove", function (ev) {
    if (drag) {
      var dt = (ev.clientX - drag.x) / gw * (drag.to - drag.from);
      setWindow(drag.from - dt, drag.to - dt);
    }
  });
  window.addEventListener("mouseup", function () { drag = null; canvas.classList.remove("dragging"); });
  canvas.addEventListener("mousemove", function (ev) {
    if (drag) { return; }
    var t = st.from + (ev.offsetX - gx) / gw * (st.to - st.from), y = ev.offsetY, msg = "";
    function at(L) {
      for (var j = first(L, t); j < L.n && L.s[j] <= t; j++) { if (L.e[j] > t) { return j; } }
      return -1;
    }
    cpus.forEach(function (L, i) {
      if (y < cpuY[i] || y >= cpuY[i] + laneH) { return; }
      var j = at(L);
      if (j >= 0) { msg = D.cpus[i] + " · " + D.threadName[L.k[j]] + " · " + fmtDur(L.s[j]) + "–" + fmtDur(L.e[j]) + " (" + fmtDur(L.e[j] - L.s[j]) + ")"; }
    });
    lanes.forEach(function (ln, i) {
      if (y < laneY[i] || y >= laneY[i] + stateH) { return; }
      var j = at(ln.st);
      if (j >= 0) {
        var k = ln.st.k[j], what = k >= 0 ? "running on " + D.cpus[k] : k === -1 ? "runnable" : "asleep";
        msg = ln.label + " · " + what + " · " + fmtDur(ln.st.s[j]) + "–" + fmtDur(ln.st.e[j]);
      }
    });
    canvas.title = msg;
  });
  document.getElementById("whole").addEventListener("click", function () { setWindow(0, D.dur); });
  document.getElementById("default").addEventListener("click", function () { setWindow(D.def[0], D.def[1]); });
  window.addEventListener("hashchange", fromHash);
  if (!fromHash()) { setWindow(D.win[0], D.win[1]); }
})();
</script>
</body>
</html>
`))
