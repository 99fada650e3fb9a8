/* The WhatsApp composer asks before a free-form public reply goes into a closed window (it would be kept on the
 * ticket but not delivered). A template is never asked about: the server judges it and says why. Needs
 * composer-util.js and composer-check.js (publicMode).
 *
 * confirmClosedWindow(form, textarea, state, renderWindow): renderWindow() brings `state.open` up to date.
 */
(function () {
  "use strict";

  var composer = window.SupportDesk.composer;
  var CONFIRM_CLOSED = gettext(
    "The window is closed: this reply will be kept on the ticket but not delivered to the customer. Send anyway?"
  );

  function confirmClosedWindow(form, textarea, state, renderWindow) {
    var fileInput = form.querySelector("input[type=file]");
    // Registered on the form, so it runs before app.js's document-level double-submit guard; a cancelled send
    // stops there too, or the guard would block the next, real submit.
    form.addEventListener("submit", function (event) {
      if (!composer.publicMode(form)) return;
      var body = textarea.value;
      var hasFiles = !!(fileInput && fileInput.files && fileInput.files.length);
      if (!body.trim() && !hasFiles) return;
      if (body.indexOf(composer.SHORTHAND_MARK) !== -1) return; // a template: the server judges it and says why
      renderWindow();
      if (state.open) return;
      if (!window.confirm(CONFIRM_CLOSED)) {
        event.preventDefault();
        event.stopImmediatePropagation();
        event.stopPropagation();
        textarea.focus();
      }
    });
  }

  composer.confirmClosedWindow = confirmClosedWindow;
})();
