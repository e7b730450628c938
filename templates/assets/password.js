// Ticks off the password rules while the user types. The server checks every rule
// again; without JavaScript the list is simply static.
(function () {
  var field = document.getElementById("password");
  if (!field) return;
  var tests = {
    rule_min_length: function (v) { return Array.from(v).length >= 8; },
    rule_uppercase: function (v) { return v !== v.toLowerCase(); },
    rule_lowercase: function (v) { return v !== v.toUpperCase(); },
    rule_digit: function (v) { return /[0-9]/.test(v); },
    rule_special: function (v) { return /[^\p{L}\p{N}\s]/u.test(v); }
  };
  function update() {
    document.querySelectorAll("[data-rule]").forEach(function (item) {
      var test = tests[item.getAttribute("data-rule")];
      if (test) item.classList.toggle("met", test(field.value));
    });
  }
  field.addEventListener("input", update);
  update();
})();
