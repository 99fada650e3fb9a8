/* The WhatsApp composer's checks as the agent types: template shorthand is judged by the server (what the customer
 * will receive, or why it cannot be sent), and a free-form reply into a closed window says it will not be
 * delivered. The outcome shows in a live region right below the textarea. Needs composer-util.js.
 *
 * createChecker(root, form, textarea, state): `state.open` is the window's (composer-window.js).
 */
(function () {
  "use strict";

  var composer = window.SupportDesk.composer;
  var el = composer.el;
  var renderCheck = composer.renderCheck;
  var SHORTHAND_MARK = composer.SHORTHAND_MARK;
  var CHECK_DELAY_MS = 400;

  function publicMode(form) {
    var mode = form.querySelector('input[name="mode"]:checked');
    return !mode || mode.value === "public";
  }

  function createChecker(root, form, textarea, state) {
    var checkTimer = null;
    var checkSeq = 0;
    var lastCheck = null; // {body, result}

    // The check's live region sits right below the textarea.
    var region = el("div", "wa-check");
    region.setAttribute("aria-live", "polite");
    region.dataset.waCheck = "";
    textarea.insertAdjacentElement("afterend", region);

    function freeFormHint() {
      region.textContent = "";
      region.className = "wa-check wa-check-warning";
      region.appendChild(
        el(
          "p",
          "wa-check-title",
          gettext("Free-form reply: the window is closed, so it will be kept on the ticket but not delivered.")
        )
      );
    }

    function runCheck() {
      var body = textarea.value;
      var seq = ++checkSeq;
      region.setAttribute("aria-busy", "true");
      composer
        .postJSON(root.dataset.checkUrl, { body: body })
        .then(function (result) {
          if (seq !== checkSeq || textarea.value !== body) return; // a newer text is on its way
          if (!result.ok) {
            renderCheck(region, {
              problems: [{ code: "error", message: result.data.error || gettext("The reply could not be checked.") }],
            });
            return;
          }
          lastCheck = { body: body, result: result.data };
          renderCheck(region, result.data);
        })
        .catch(function () {
          if (seq === checkSeq) region.textContent = "";
        })
        .finally(function () {
          if (seq === checkSeq) region.removeAttribute("aria-busy");
        });
    }

    function schedule(immediately) {
      if (checkTimer) clearTimeout(checkTimer);
      checkTimer = null;
      var body = textarea.value;
      if (!publicMode(form)) {
        checkSeq++;
        region.textContent = "";
        region.className = "wa-check";
        return;
      }
      if (body.indexOf(SHORTHAND_MARK) === -1) {
        checkSeq++;
        lastCheck = null;
        if (body.trim() && state.open === false) freeFormHint();
        else {
          region.textContent = "";
          region.className = "wa-check";
        }
        return;
      }
      if (lastCheck && lastCheck.body === body) return;
      checkTimer = setTimeout(runCheck, immediately ? 0 : CHECK_DELAY_MS);
    }

    /* The window closed while the agent was here: re-judge what is in the composer, or say so when it is empty. */
    function windowClosed() {
      lastCheck = null;
      schedule(true);
      if (!region.textContent) {
        region.className = "wa-check wa-check-warning";
        region.appendChild(
          el(
            "p",
            "wa-check-title",
            gettext("The 24-hour window has just closed: only an approved template can reach the customer now.")
          )
        );
      }
    }

    /* A check the server already made (the picker's insert): show it and do not ask again for the same text. */
    function show(body, check) {
      lastCheck = { body: body, result: check };
      renderCheck(region, check);
    }

    textarea.addEventListener("input", function () { schedule(false); });
    textarea.addEventListener("change", function () { schedule(false); }); // e.g. a macro filled it
    form.addEventListener("change", function (event) {
      if (event.target.name === "mode") schedule(true);
    });

    return { schedule: schedule, windowClosed: windowClosed, show: show };
  }

  composer.publicMode = publicMode;
  composer.createChecker = createChecker;
})();
