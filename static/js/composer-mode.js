/* The composer's reply/note toggle from the keyboard: Alt+N (Option+N on a Mac) switches between public reply
 * and internal note, also while typing in the message, and says which one is on (an aria-live line whose words
 * come from the page). Alt+N is free in Chrome, Firefox and Safari, unlike Ctrl/Cmd+Shift+N (a private window).
 * The key is matched by its position (`code`), so a keyboard layout or Option's dead key does not get in the way.
 */
(function () {
  "use strict";

  function start() {
    var group = document.querySelector("[data-mode-toggle]");
    var announce = document.querySelector("[data-mode-announce]");
    if (!group) return;
    var radios = Array.prototype.slice.call(group.querySelectorAll('input[type="radio"]'));
    if (radios.length < 2) return;

    function tell(value) {
      if (!announce) return;
      var key = "text" + value.charAt(0).toUpperCase() + value.slice(1);
      announce.textContent = announce.dataset[key] || value;
    }

    document.addEventListener("keydown", function (event) {
      if (event.code !== "KeyN" || !event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      if (document.querySelector("dialog[open]")) return; // the template picker has the keyboard
      event.preventDefault();
      var index = radios.findIndex(function (radio) { return radio.checked; });
      var next = radios[(index + 1) % radios.length];
      next.checked = true;
      next.dispatchEvent(new Event("change", { bubbles: true }));
      tell(next.value);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
