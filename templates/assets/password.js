// Ticks off the password rules while the user types: a sign and a colour on
// each rule, its state in words for screen readers, and a short count read out
// politely once typing pauses. The server checks every rule again; without
// JavaScript the list is simply static.
(function () {
  var field = document.getElementById("password");
  var list = document.querySelector(".rules[data-met]");
  if (!field || !list) return;
  var status = document.getElementById("rules-status");
  var tests = {
    rule_min_length: function (v) { return Array.from(v).length >= 8; },
    rule_uppercase: function (v) { return v !== v.toLowerCase(); },
    rule_lowercase: function (v) { return v !== v.toUpperCase(); },
    rule_digit: function (v) { return /[0-9]/.test(v); },
    rule_special: function (v) { return /[^\p{L}\p{N}\s]/u.test(v); }
  };
  var pending;
  function update(announce) {
    var met = 0, total = 0;
    list.querySelectorAll("[data-rule]").forEach(function (item) {
      var test = tests[item.getAttribute("data-rule")];
      if (!test) return;
      var ok = test(field.value);
      total += 1;
      if (ok) met += 1;
      item.classList.toggle("met", ok);
      // The server's "broken" mark stays only while the rule is still unmet.
      if (ok) item.classList.remove("broken");
      var state = item.querySelector(".rule-state");
      if (state) state.textContent = " – " + list.getAttribute(ok ? "data-met" : "data-unmet");
    });
    if (announce && status) {
      clearTimeout(pending);
      pending = setTimeout(function () {
        status.textContent = list.getAttribute("data-summary").replace("{met}", met).replace("{total}", total);
      }, 800);
    }
  }
  field.addEventListener("input", function () { update(true); });
  update(false);
})();
