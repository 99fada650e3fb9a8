/* Why a WhatsApp message was not delivered, in plain words, and what to do. Keyed by the error code of the
   `delivery.failed` frame: the Cloud API's number as a string, or one of SupportDesk's own refusals.
   The words come from the server (channels_whatsapp/failure_reasons.py, in the page's #delivery-reasons-data JSON),
   the same table the failed bubbles are rendered with; the rules below are that module's `reason_for`. */
(function () {
  "use strict";

  var words = null;

  function table() {
    if (words === null) {
      var node = document.getElementById("delivery-reasons-data");
      try {
        words = (node && JSON.parse(node.textContent)) || {};
      } catch (e) {
        words = {};
      }
    }
    return words;
  }

  function fill(text, key, value) {
    return String(text || "").replace("{" + key + "}", function () { return value; }); // no $-patterns
  }

  function reasonFor(error) {
    error = error || {};
    var data = table();
    var reasons = data.reasons || {};
    var code = String(error.code || "");
    if (Object.prototype.hasOwnProperty.call(reasons, code)) return reasons[code];
    if (/^132\d{3}$/.test(code) && data.template_refused) return fill(data.template_refused, "title", error.title || code);
    var text = [error.title, error.detail].filter(Boolean).join(": ");
    if (text) return text;
    if (code && data.unknown_with_code) return fill(data.unknown_with_code, "code", code);
    return data.unknown || code;
  }

  window.SupportDeskReasons = { reasonFor: reasonFor };
})();
