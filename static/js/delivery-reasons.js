/* Why a WhatsApp message was not delivered, in plain words, and what to do. Keyed by the error code of the
   `delivery.failed` frame: the Cloud API's number as a string, or one of SupportDesk's own refusals. */
(function () {
  "use strict";

  var WINDOW = "More than 24 hours since the customer's last message: only a template can reach them now.";
  var REASONS = {
    window_closed: "The reply was kept on the ticket but not sent. " + WINDOW,
    "131047": WINDOW,
    "470": WINDOW,
    "131026": "WhatsApp could not deliver it: the number may not use WhatsApp, or the customer must update the app or accept its terms. Reach them another way.",
    "131049": "WhatsApp held back this marketing message to protect the customer's experience. Don't resend it within 24 hours.",
    "131050": "The customer has stopped marketing messages from this business. Don't resend.",
    "131051": "WhatsApp does not support this kind of message. Send text or a supported file.",
    "131052": "The customer's file could not be downloaded. Ask them to send it another way.",
    "131053": "WhatsApp could not use the attached file (type or size not accepted). Send a JPEG, PNG, PDF or another supported file.",
    "130429": "WhatsApp's sending limit was reached and retries ran out. Try again in a minute.",
    "131056": "Too many messages to this customer in a short time. Wait a moment, then resend.",
    "131000": "WhatsApp reported an unknown error. Try again; if it keeps happening, tell an admin.",
    "132000": "The template's number of parameters does not match. Fill in every parameter.",
    "132001": "This template does not exist in that language or is not approved. Pick an approved template.",
    "132005": "The filled-in template is too long. Shorten the parameters.",
    "132007": "WhatsApp refused the template's content under its policy. Use another template.",
    "132012": "A template parameter has the wrong format (for example a header expects an image). Check the template.",
    "132015": "This template is paused for low quality. Use another template.",
    "132016": "This template has been disabled. Use another template or ask an admin to create a new one.",
    "100": "WhatsApp refused the request as invalid. An admin should check the account settings.",
    "190": "The WhatsApp access token has expired or is invalid. An admin must update the account's token.",
    "368": "The WhatsApp Business Account is restricted for a policy violation. An admin must check WhatsApp Manager.",
    "131031": "The WhatsApp account is locked. An admin must check WhatsApp Manager.",
    timeout: "WhatsApp did not confirm the message: it may or may not have arrived, and it was not resent. Check with the customer before resending.",
    connect_error: "WhatsApp could not be reached and the retries ran out. Try again shortly.",
    network_error: "WhatsApp could not be reached and the retries ran out. Try again shortly.",
    templates_not_enabled: "Templates are not enabled for this WhatsApp number. An admin can turn them on.",
    template_not_approved: "This template is not approved in that language. Pick an approved template.",
    template_params: "The template's parameters do not match it. Fill in every parameter.",
    not_opted_in: "The customer has not opted in to marketing messages. Use a utility template or ask for their consent.",
    no_whatsapp_conversation: "This ticket is not linked to a WhatsApp number and contact, so nothing was sent.",
  };

  function reasonFor(error) {
    error = error || {};
    var code = String(error.code || "");
    if (REASONS[code]) return REASONS[code];
    if (/^132\d{3}$/.test(code)) return "WhatsApp refused the template (" + (error.title || code) + "). Check it in WhatsApp Manager.";
    var text = [error.title, error.detail].filter(Boolean).join(": ");
    return text || "WhatsApp reported an error" + (code ? " (" + code + ")" : "") + ".";
  }

  window.SupportDeskReasons = { reasonFor: reasonFor };
})();
