// Shows each <time datetime="…"> in the reader's own time zone; without
// JavaScript the server's UTC text stays.
(function () {
  document.querySelectorAll("time[datetime]").forEach(function (element) {
    var at = new Date(element.getAttribute("datetime"));
    if (!isNaN(at)) element.textContent = at.toLocaleString(document.documentElement.lang || undefined);
  });
})();
