/* The ticket page: anchored at the newest message on load (and so after a Submit, which reloads the page), and the
 * "Submit as <status>" button following the status select. */
(function () {
  "use strict";

  function anchorAtNewest() {
    if (window.location.hash) return; // a link to one comment or section wins
    var comments = document.querySelectorAll("#comments > .comment");
    if (!comments.length) return;
    var newest = comments[comments.length - 1];
    var composer = document.querySelector(".composer") || document.querySelector(".closed-notice");
    var top = newest.getBoundingClientRect().top + window.scrollY - 16;
    var target = top;
    if (composer) {
      // The newest message just above the composer, unless that would hide the message's beginning.
      var bottom = composer.getBoundingClientRect().bottom + window.scrollY + 16;
      target = Math.min(top, Math.max(0, bottom - window.innerHeight));
    }
    if (target > window.scrollY) window.scrollTo(0, target);
  }

  function followStatus() {
    var select = document.querySelector("#ticket-form select[name=status]");
    var label = document.querySelector("[data-submit-status]");
    if (!select || !label) return;
    select.addEventListener("change", function () {
      label.textContent = select.options[select.selectedIndex].text;
    });
  }

  function closeMenuOnEscape() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      document.querySelectorAll("details.submit-menu[open]").forEach(function (menu) {
        menu.open = false;
        menu.querySelector("summary").focus();
      });
    });
  }

  function start() {
    anchorAtNewest();
    followStatus();
    closeMenuOnEscape();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
