// Runs the report's script against a minimal DOM: argv = page script file,
// data blob file, URL fragment. Prints what was rendered as JSON.
"use strict";
const fs = require("fs");
const vm = require("vm");
const [script, blob, hash] = process.argv.slice(2).map((a, i) => (i < 2 ? fs.readFileSync(a, "utf8") : a));

function node(tag) {
  const n = {
    tagName: tag, children: [], attrs: {}, dataset: {}, hidden: false, className: "", checked: false, value: "", text: "",
    appendChild(c) { if (c.fragment) { this.children.push(...c.children); } else { this.children.push(c); } return c; },
    setAttribute(k, v) { this.attrs[k] = String(v); },
    addEventListener() {},
    querySelector() { return null; },
    classList: { toggle() {} },
  };
  Object.defineProperty(n, "textContent", {
    get() { return this.text; },
    set(v) { this.text = String(v); this.children = []; },
  });
  return n;
}
const ids = { data: node("script"), scenarios: node("div"), more: node("button"), "match-count": node("span"),
  "f-failed": node("input"), "f-feature": node("select"), "f-q": node("input") };
ids.data.text = blob;
const body = node("body");
const document = {
  body,
  getElementById: (id) => ids[id] || null,
  createElement: (tag) => node(tag),
  createDocumentFragment: () => Object.assign(node("#fragment"), { fragment: true }),
};
const window = { location: { hash, pathname: "/report.html", search: "" }, history: { replaceState() {} }, addEventListener() {} };
vm.runInNewContext(script, { document, window, performance, setTimeout, clearTimeout, JSON, Math, Number, String, Object });
const rows = ids.scenarios.children;
console.log(JSON.stringify({
  shown: body.dataset.shown,
  renderMs: body.dataset.renderMs,
  statuses: rows.map((r) => r.attrs["data-status"]),
  features: rows.map((r) => r.attrs["data-feature"]),
  messages: rows.filter((r) => r.children.some((c) => c.className === "message")).length,
  moreHidden: ids.more.hidden,
  failedBox: ids["f-failed"].checked,
  feature: ids["f-feature"].value,
  q: ids["f-q"].value,
}));
