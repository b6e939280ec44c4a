// Renders the run report's scenarios from the JSON blob in #data: filters
// (failed only, feature, text; also read from the URL fragment as #failed,
// #feature=ID, #q=TEXT joined by &), rows drawn PAGE at a time, and a row's
// steps and HTTP exchanges drawn only when it is expanded.
(function () {
  "use strict";
  var PAGE = 200;
  var BAD = { failed: true, errored: true, interrupted: true, flaky: true };
  var data = JSON.parse(document.getElementById("data").textContent);
  var scenarios = data.scenarios || [];
  var list = document.getElementById("scenarios");
  var more = document.getElementById("more");
  var count = document.getElementById("match-count");
  var failedBox = document.getElementById("f-failed");
  var featureSel = document.getElementById("f-feature");
  var qBox = document.getElementById("f-q");
  var matches = [];
  var shown = 0;
  var firstDone = false;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function ms(v) {
    var n = Number(v) || 0;
    if (n < 10) { return n.toFixed(1) + " ms"; }
    if (n < 1000) { return Math.round(n) + " ms"; }
    return (n / 1000).toFixed(1) + " s";
  }

  function haystack(s) {
    if (s._h === undefined) {
      var parts = [s.id, s.name];
      for (var i = 0; i < s.attempts.length; i++) {
        var steps = s.attempts[i].steps;
        for (var j = 0; j < steps.length; j++) { parts.push(steps[j][1]); }
      }
      s._h = parts.join("\n").toLowerCase();
    }
    return s._h;
  }

  function decode(v) {
    try { return decodeURIComponent(v.replace(/\+/g, " ")); } catch (e) { return v; }
  }

  function readHash() {
    var state = { failed: false, feature: "", q: "" };
    var h = window.location.hash.replace(/^#/, "");
    if (!h) { return state; }
    var parts = h.split("&");
    for (var i = 0; i < parts.length; i++) {
      var p = parts[i];
      var eq = p.indexOf("=");
      var key = eq < 0 ? p : p.slice(0, eq);
      var val = eq < 0 ? "" : decode(p.slice(eq + 1));
      if (key === "failed") { state.failed = val !== "0" && val !== "false"; }
      else if (key === "feature") { state.feature = val; }
      else if (key === "q") { state.q = val; }
    }
    return state;
  }

  function writeHash(state) {
    var parts = [];
    if (state.failed) { parts.push("failed"); }
    if (state.feature) { parts.push("feature=" + encodeURIComponent(state.feature)); }
    if (state.q) { parts.push("q=" + encodeURIComponent(state.q)); }
    var h = parts.length ? "#" + parts.join("&") : "";
    if (window.location.hash !== h && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", h || window.location.pathname + window.location.search);
    }
  }

  function current() {
    return { failed: failedBox.checked, feature: featureSel.value, q: qBox.value.trim() };
  }

  function setControls(state) {
    failedBox.checked = state.failed;
    if (state.feature && !featureSel.querySelector("option[value=\"" + state.feature.replace(/["\\]/g, "\\$&") + "\"]")) {
      featureSel.appendChild(el("option", null, state.feature)).value = state.feature;
    }
    featureSel.value = state.feature;
    qBox.value = state.q;
  }

  function filter(state) {
    var q = state.q.toLowerCase();
    var out = [];
    for (var i = 0; i < scenarios.length; i++) {
      var s = scenarios[i];
      if (state.failed && !BAD[s.status]) { continue; }
      if (state.feature && s.feature !== state.feature) { continue; }
      if (q && haystack(s).indexOf(q) < 0) { continue; }
      out.push(s);
    }
    return out;
  }

  function headers(list) {
    var lines = [];
    for (var i = 0; i < (list || []).length; i++) { lines.push(list[i][0] + ": " + list[i][1]); }
    return lines.join("\n");
  }

  function exchange(x) {
    var box = el("div", "exchange");
    var line = (x.method || "") + " " + (x.url || "") + "  →  " +
      (x.status === null || x.status === undefined ? "no response" : x.status) +
      (x.ms !== null && x.ms !== undefined ? "  (" + ms(x.ms) + ")" : "");
    box.appendChild(el("div", "mono", line));
    if (x.step) { box.appendChild(el("div", "meta", "step: " + x.step + (x.step_line ? " (line " + x.step_line + ")" : ""))); }
    if (x.error) { box.appendChild(el("pre", "failed", x.error)); }
    if (x.req_headers && x.req_headers.length) { box.appendChild(el("pre", "req-headers", headers(x.req_headers))); }
    if (x.req_body) { box.appendChild(el("pre", "req-body", x.req_body)); }
    if (x.res_headers && x.res_headers.length) { box.appendChild(el("pre", "res-headers", headers(x.res_headers))); }
    if (x.res_body) { box.appendChild(el("pre", "res-body", x.res_body)); }
    return box;
  }

  function details(s) {
    var box = el("div", "body");
    if (s.reason) { box.appendChild(el("p", "meta", s.reason)); }
    if (s.outline) {
      var o = [];
      for (var k in s.outline) { if (Object.prototype.hasOwnProperty.call(s.outline, k)) { o.push(k + " = " + s.outline[k]); } }
      box.appendChild(el("p", "meta", "examples: " + o.join(", ")));
    }
    for (var i = 0; i < s.attempts.length; i++) {
      var a = s.attempts[i];
      box.appendChild(el("h4", a.status, "attempt " + a.n + ": " + a.status + " (" + ms(a.ms) + ")"));
      var table = el("table", "steps");
      for (var j = 0; j < a.steps.length; j++) {
        var st = a.steps[j];
        var tr = el("tr", "step " + st[2]);
        tr.appendChild(el("td", "badge " + st[2], st[2]));
        var td = el("td", null, st[0] + " " + st[1]);
        if (st[5]) { td.appendChild(el("pre", "step-message", st[5])); }
        tr.appendChild(td);
        tr.appendChild(el("td", "meta", "line " + st[4]));
        tr.appendChild(el("td", "meta", ms(st[3])));
        table.appendChild(tr);
      }
      box.appendChild(table);
    }
    if (s.exchanges) {
      box.appendChild(el("h4", null, "HTTP exchanges of the failing attempt (" + s.exchanges.length + ")"));
      for (var m = 0; m < s.exchanges.length; m++) { box.appendChild(exchange(s.exchanges[m])); }
      if (s.transcript) { box.appendChild(el("p", "meta", "full transcript: " + s.transcript)); }
    } else if (s.transcript) {
      box.appendChild(el("p", "meta", "transcript: " + s.transcript + " (not included in this report)"));
    }
    return box;
  }

  function row(s) {
    var div = el("div", "scenario " + s.status);
    div.setAttribute("data-status", s.status);
    div.setAttribute("data-id", s.id);
    if (s.feature) { div.setAttribute("data-feature", s.feature); }
    var head = el("div", "head");
    head.appendChild(el("span", "badge " + s.status, s.status));
    head.appendChild(el("span", "name", s.name));
    head.appendChild(el("span", "feature", s.feature || "(no feature)"));
    if (s.critical) { head.appendChild(el("span", "crit", "critical")); }
    head.appendChild(el("span", "meta mono", s.file + ":" + s.line));
    head.appendChild(el("span", "meta", ms(s.ms)));
    var n = s.attempts.length;
    var att = el("span", "meta attempts" + (s.status === "flaky" ? " flaky" : ""),
      n + (n === 1 ? " attempt" : " attempts") + (s.status === "flaky" ? " (flaky)" : ""));
    head.appendChild(att);
    div.appendChild(head);
    if (s.message) { div.appendChild(el("pre", "message", s.message)); }
    var body = null;
    head.addEventListener("click", function () {
      if (body) {
        body.hidden = !body.hidden;
      } else {
        body = details(s);
        div.appendChild(body);
      }
      div.classList.toggle("open", !body.hidden);
    });
    return div;
  }

  function renderMore() {
    var end = Math.min(matches.length, shown + PAGE);
    var frag = document.createDocumentFragment();
    for (var i = shown; i < end; i++) { frag.appendChild(row(matches[i])); }
    list.appendChild(frag);
    shown = end;
    more.hidden = shown >= matches.length;
    more.textContent = "show more (" + (matches.length - shown) + " left)";
    count.textContent = shown + " of " + matches.length + " matching (" + scenarios.length + " in all)";
    document.body.dataset.shown = String(shown);
    if (!firstDone) {
      firstDone = true;
      document.body.dataset.renderMs = String(Math.round(performance.now()));
    }
  }

  function apply(state) {
    matches = filter(state);
    list.textContent = "";
    shown = 0;
    renderMore();
  }

  function fromControls() {
    var state = current();
    writeHash(state);
    apply(state);
  }

  var timer = null;
  failedBox.addEventListener("change", fromControls);
  featureSel.addEventListener("change", fromControls);
  qBox.addEventListener("input", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(fromControls, 150);
  });
  window.addEventListener("hashchange", function () {
    var state = readHash();
    setControls(state);
    apply(state);
  });
  more.addEventListener("click", renderMore);
  if (typeof IntersectionObserver === "function") {
    new IntersectionObserver(function (entries) {
      for (var i = 0; i < entries.length; i++) {
        if (entries[i].isIntersecting && !more.hidden) { renderMore(); }
      }
    }, { rootMargin: "600px" }).observe(more);
  }

  var initial = readHash();
  setControls(initial);
  apply(initial);
})();
