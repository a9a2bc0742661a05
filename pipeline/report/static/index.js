(function () {
  "use strict";
  var table = document.getElementById("subs");
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr[data-status]"));
  var text = document.getElementById("q");
  var status = document.getElementById("f-status");
  var track = document.getElementById("f-track");
  var direction = document.getElementById("f-direction");
  var rule = document.getElementById("f-rule");
  var shown = document.getElementById("shown");
  var none = document.getElementById("no-rows");

  function apply() {
    var terms = text.value.toLowerCase().split(/\s+/).filter(Boolean);
    var n = 0;
    rows.forEach(function (row) {
      var hay = row.getAttribute("data-search");
      var ok = (!status.value || row.getAttribute("data-status") === status.value) &&
        (!track.value || row.getAttribute("data-track") === track.value) &&
        (!direction.value || row.getAttribute("data-direction") === direction.value) &&
        (!rule.value || row.getAttribute("data-rules").indexOf(" " + rule.value + " ") !== -1) &&
        terms.every(function (t) { return hay.indexOf(t) !== -1; });
      row.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = "显示 " + n + " / " + rows.length + " 份";
    none.hidden = n !== 0;
  }

  function sortBy(th) {
    var col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.getAttribute("data-type") === "num";
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = a.children[col].getAttribute("data-v") || a.children[col].textContent;
      var y = b.children[col].getAttribute("data-v") || b.children[col].textContent;
      var c = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y, "zh-Hans-CN");
      return c * dir;
    });
    rows.forEach(function (row) { tbody.insertBefore(row, none); });
  }

  text.addEventListener("input", apply);
  status.addEventListener("change", apply);
  track.addEventListener("change", apply);
  direction.addEventListener("change", apply);
  rule.addEventListener("change", apply);
  Array.prototype.forEach.call(document.querySelectorAll("[data-filter-rule]"), function (row) {
    row.addEventListener("click", function () {
      rule.value = row.getAttribute("data-filter-rule");
      apply();
      table.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
  Array.prototype.forEach.call(table.querySelectorAll("th[data-type] button"), function (btn) {
    btn.addEventListener("click", function () { sortBy(btn.parentNode); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-filter-status]"), function (card) {
    card.addEventListener("click", function () {
      status.value = card.getAttribute("data-filter-status");
      apply();
      table.scrollIntoView({ behavior: "smooth", block: "start" });
    });
  });
  apply();
}());
