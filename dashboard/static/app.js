// Progressive enhancement only: every page works without this file (tabs are links,
// point values are SVG <title>s, the details search is a form). With it:
// - changing the interval select submits the report form at once;
// - a card's tabs switch in place (the URL keeps ?tab= so a reload shows the same),
//   with arrow keys between tabs as the ARIA tabs pattern has it;
// - the main chart shows the value of the point under the pointer, and of the point
//   chosen with the arrow keys once the chart has keyboard focus;
// - the details table narrows to the rows matching the search box as one types;
// - a collapsed <details> card named by the URL's #fragment (e.g. #shares, where
//   revoking a shared link returns) opens.
(function () {
  "use strict";

  function interval() {
    var sel = document.getElementById("interval");
    if (sel && sel.form) {
      sel.addEventListener("change", function () { sel.form.submit(); });
    }
  }

  function select(tab, focus) {
    var list = tab.closest("[role=tablist]");
    var card = tab.closest("section");
    list.querySelectorAll("[role=tab]").forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      var panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel && card.contains(panel)) { panel.hidden = !on; }
    });
    if (focus) { tab.focus(); }
    var url = tab.getAttribute("href");
    if (url && window.history && history.replaceState) {
      history.replaceState(null, "", url.split("#")[0]);
    }
  }

  function tabs() {
    document.querySelectorAll("[role=tablist]").forEach(function (list) {
      var all = Array.prototype.slice.call(list.querySelectorAll("[role=tab]"));
      all.forEach(function (t) {
        t.tabIndex = t.getAttribute("aria-selected") === "true" ? 0 : -1;
        t.addEventListener("click", function (e) {
          if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) { return; }
          e.preventDefault();
          select(t, false);
        });
        t.addEventListener("keydown", function (e) {
          var i = all.indexOf(t);
          var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: all.length - 1 }[e.key];
          if (next === undefined) { return; }
          e.preventDefault();
          select(all[(next + all.length) % all.length], true);
        });
      });
    });
  }

  function chart() {
    document.querySelectorAll("[data-chart]").forEach(function (fig) {
      var svg = fig.querySelector("svg");
      var tip = fig.querySelector(".tip");
      var pts = Array.prototype.slice.call(fig.querySelectorAll(".pts circle"));
      if (!svg || !tip || pts.length === 0) { return; }
      var cur = -1;
      function show(i) {
        if (cur >= 0) { pts[cur].classList.remove("hot"); }
        cur = i;
        if (i < 0) { tip.textContent = ""; return; }
        pts[i].classList.add("hot");
        tip.textContent = pts[i].getAttribute("data-t") + ": " + pts[i].getAttribute("data-v");
      }
      function nearest(clientX) {
        var best = 0, dist = Infinity;
        pts.forEach(function (p, i) {
          var r = p.getBoundingClientRect();
          var d = Math.abs(r.left + r.width / 2 - clientX);
          if (d < dist) { dist = d; best = i; }
        });
        return best;
      }
      svg.addEventListener("mousemove", function (e) { show(nearest(e.clientX)); });
      svg.addEventListener("mouseleave", function () { show(-1); });
      fig.tabIndex = 0;
      fig.setAttribute("aria-label", svg.getAttribute("aria-label") || "");
      fig.setAttribute("aria-keyshortcuts", "ArrowLeft ArrowRight");
      fig.addEventListener("focus", function () { show(cur >= 0 ? cur : pts.length - 1); });
      fig.addEventListener("blur", function () { show(-1); });
      fig.addEventListener("keydown", function (e) {
        var step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
        if (!step) { return; }
        e.preventDefault();
        show(Math.max(0, Math.min(pts.length - 1, cur + step)));
      });
    });
  }

  function rowFilter() {
    document.querySelectorAll("input[data-filter-rows]").forEach(function (input) {
      var table = document.getElementById(input.getAttribute("data-filter-rows"));
      if (!table) { return; }
      input.addEventListener("input", function () {
        var q = input.value.trim().toLowerCase();
        table.querySelectorAll("tbody tr").forEach(function (tr) {
          var th = tr.querySelector("th");
          tr.hidden = q !== "" && th && th.textContent.toLowerCase().indexOf(q) < 0;
        });
      });
    });
  }

  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") { el.open = true; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    interval();
    tabs();
    chart();
    rowFilter();
    openTarget();
  });
})();
