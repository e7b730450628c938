// The terms region takes keyboard focus only when it scrolls, so that keyboard
// users can scroll it and nobody else meets a focus stop that does nothing.
(function () {
  var region = document.querySelector(".terms");
  if (!region) return;
  function fit() {
    if (region.scrollHeight > region.clientHeight + 1) region.setAttribute("tabindex", "0");
    else region.removeAttribute("tabindex");
  }
  window.addEventListener("resize", fit);
  fit();
})();
