// Deadlines an item waits for count down once a second: <time class="countdown" datetime="ISO">.
(function () {
  function tick() {
    document.querySelectorAll("time.countdown[datetime]").forEach(function (el) {
      var left = Math.round((Date.parse(el.getAttribute("datetime")) - Date.now()) / 1000);
      el.dataset.left = left;
      el.textContent = left > 0 ? left + " s left" : "deadline passed";
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
  document.addEventListener("DOMContentLoaded", tick);
})();
