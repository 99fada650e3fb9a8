// The simulator's phone: keep the conversation scrolled to the newest message (unless the tester scrolled up),
// and submit the business-number picker on change. No HTML is built here: htmx swaps server-rendered,
// autoescaped partials.
(function () {
  "use strict";

  function nearBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 60;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var scroller = document.getElementById("sim-scroll");
    if (scroller) {
      scroller.scrollTop = scroller.scrollHeight;
      var stick = true;
      scroller.addEventListener("scroll", function () { stick = nearBottom(scroller); });
      document.body.addEventListener("htmx:afterSwap", function (event) {
        if (event.target && event.target.id === "sim-conversation" && stick) {
          scroller.scrollTop = scroller.scrollHeight;
        }
      });
    }
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  });
})();
