/* The WhatsApp composer's 24-hour window: the window line with a live countdown, the closed notice, and the page
 * header's chip when the window closes while the agent is on the page. Needs composer-util.js.
 *
 * createWindow(root, state, onClosed): `state` is the composer's shared state ({expiresAt, open, ...}); the server's
 * clock (the root's data-server-now) decides when the window closes. `onClosed()` runs when it closes in front of
 * the agent.
 */
(function () {
  "use strict";

  var composer = window.SupportDesk.composer;
  var TICK_MS = 30000;
  var SOON_MS = 2 * 60 * 60 * 1000;
  var MAX_TIMEOUT_MS = 2147483647;

  function createWindow(root, state, onClosed) {
    var windowLine = root.querySelector("[data-wa-window]");
    var windowText = root.querySelector("[data-wa-window-text]");
    var notice = root.querySelector("[data-wa-closed-notice]");
    var serverNow = Date.parse(root.dataset.serverNow || "");
    var skew = isNaN(serverNow) ? 0 : serverNow - Date.now(); // the server's clock decides when the window closes
    var expiryTimer = null;

    function now() {
      return Date.now() + skew;
    }

    function isOpen() {
      // No customer message yet (or ever): closed, whatever the page said.
      return state.expiresAt !== null && now() < state.expiresAt;
    }

    function render() {
      var open = isOpen();
      var wasOpen = state.open;
      state.open = open;
      windowLine.classList.remove("wa-window-open", "wa-window-soon", "wa-window-closed");
      if (open) {
        var left = state.expiresAt - now();
        windowLine.classList.add(left < SOON_MS ? "wa-window-soon" : "wa-window-open");
        windowText.textContent = interpolate(
          gettext("Window open · closes in %(left)s"),
          { left: composer.formatLeft(left) },
          true
        );
        windowLine.title = interpolate(
          gettext("The customer's 24-hour window closes at %(when)s"),
          { when: composer.formatDateTime(new Date(state.expiresAt - skew)) },
          true
        );
      } else {
        windowLine.classList.add("wa-window-closed");
        windowText.textContent = gettext("Window closed");
        windowLine.title = gettext("More than 24 hours since the customer's last message");
      }
      notice.hidden = open;
      if (wasOpen === true && !open) {
        onClosed();
        closeHeaderChips();
      }
      scheduleExpiry();
    }

    /* The page header's window chip follows app.js's 30-second sweep; bring it along at once (same markup). */
    function closeHeaderChips() {
      document.querySelectorAll(".ticket-meta [data-expires-at]").forEach(function (chip) {
        var at = Date.parse(chip.dataset.expiresAt);
        if (isNaN(at) || at > now()) return;
        chip.className = "chip chip-window-closed";
        chip.textContent = gettext("WhatsApp window closed");
        chip.removeAttribute("data-expires-at");
      });
    }

    function scheduleExpiry() {
      if (expiryTimer) clearTimeout(expiryTimer);
      expiryTimer = null;
      if (!state.open || state.expiresAt === null) return;
      var wait = state.expiresAt - now() + 50;
      if (wait > 0 && wait < MAX_TIMEOUT_MS) expiryTimer = setTimeout(render, wait);
    }

    /* A new expiry from the server (an ISO date, or "" when there is no window), shown at once. */
    function update(expiresAt) {
      var at = Date.parse(expiresAt || "");
      state.expiresAt = isNaN(at) ? null : at;
      render();
    }

    function start() {
      render();
      setInterval(render, TICK_MS);
    }

    return { render: render, update: update, start: start };
  }

  composer.createWindow = createWindow;
})();
