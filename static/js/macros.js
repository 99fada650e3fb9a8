/* The ticket page's macro menu: search the macros, preview one into the form, let the agent edit, then Submit.
 *
 * Zendesk's semantics: applying a macro only fills the form (properties and composer); nothing is saved until the
 * agent presses Submit. The form then posts to the macro submit URL, which runs the page's ordinary submit and
 * records the applied macros. Every text from the server is inserted with textContent, never as HTML.
 */
(function () {
  "use strict";

  var CATEGORY_SEPARATOR = "::";
  // The form's fields a macro may set, named as the agent reads them when one is not available on this ticket.
  var FIELD_NAMES = {
    status: pgettext("macro field", "status"),
    priority: pgettext("macro field", "priority"),
    type: pgettext("macro field", "type"),
    group: pgettext("macro field", "group"),
    assignee: pgettext("macro field", "assignee"),
  };

  function quoted(title) {
    return interpolate(gettext("“%(title)s”"), { title: title }, true);
  }

  function init() {
    var root = document.querySelector("[data-macro-menu]");
    if (!root || !window.fetch) return;
    var form = root.closest("form");
    if (!form) return;
    var details = root.querySelector("details");
    var summary = details.querySelector("summary");
    var search = root.querySelector("[data-macro-search]");
    var list = root.querySelector("[data-macro-list]");
    var status = root.querySelector("[data-macro-status]");
    var appliedInput = root.querySelector("[data-macro-applied]");
    var appliedNote = root.querySelector("[data-macro-applied-note]");
    var subjectBox = root.querySelector("[data-macro-subject]");
    var subjectInput = subjectBox.querySelector("input");
    var macros = null;
    var loading = null;
    var appliedTitles = [];

    root.hidden = false;

    function announce(text) {
      status.textContent = "";
      // A fresh text node, so screen readers announce the same sentence twice in a row too.
      window.setTimeout(function () { status.textContent = text; }, 30);
    }

    function load() {
      if (macros) return Promise.resolve(macros);
      if (loading) return loading;
      list.setAttribute("aria-busy", "true");
      loading = fetch(root.dataset.availableUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          macros = data.macros || [];
          return macros;
        })
        .catch(function () {
          loading = null;
          showEmpty(gettext("The macros could not be loaded. Try again."));
          return null;
        })
        .finally(function () { list.removeAttribute("aria-busy"); });
      return loading;
    }

    function showEmpty(text) {
      list.textContent = "";
      var p = document.createElement("p");
      p.className = "macro-empty muted";
      p.textContent = text;
      list.appendChild(p);
    }

    function matches(macro, words) {
      var haystack = (macro.title + " " + (macro.description || "")).toLowerCase();
      return words.every(function (word) { return haystack.indexOf(word) !== -1; });
    }

    function render() {
      if (!macros) return;
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = macros.filter(function (macro) { return matches(macro, words); });
      list.textContent = "";
      if (!shown.length) {
        showEmpty(
          macros.length
            ? interpolate(gettext("No macro matches “%(words)s”."), { words: search.value.trim() }, true)
            : gettext("No macros available.")
        );
        return;
      }
      var groups = [];
      var byCategory = {};
      shown.forEach(function (macro) {
        var key = (macro.category_path || []).slice(0, -1).join(" \u203a ");
        if (!(key in byCategory)) {
          byCategory[key] = [];
          groups.push(key);
        }
        byCategory[key].push(macro);
      });
      groups.sort(function (a, b) { return a === "" ? -1 : b === "" ? 1 : a.localeCompare(b); });
      groups.forEach(function (key, index) {
        var section = document.createElement("div");
        section.className = "macro-group";
        section.setAttribute("role", "group");
        if (key) {
          var heading = document.createElement("p");
          heading.className = "macro-category";
          heading.id = "macro-category-" + index;
          heading.textContent = key;
          section.setAttribute("aria-labelledby", heading.id);
          section.appendChild(heading);
        } else {
          section.setAttribute("aria-label", gettext("Macros"));
        }
        var ul = document.createElement("ul");
        byCategory[key].forEach(function (macro) {
          var li = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.className = "macro-option";
          button.dataset.macroId = macro.id;
          button.textContent = macro.name || macro.title;
          if (macro.description) button.title = macro.description;
          button.setAttribute("aria-label", macro.title.split(CATEGORY_SEPARATOR).join(", "));
          li.appendChild(button);
          ul.appendChild(li);
        });
        section.appendChild(ul);
        list.appendChild(section);
      });
    }

    function options() {
      return Array.prototype.slice.call(list.querySelectorAll(".macro-option"));
    }

    function close(focusSummary) {
      details.open = false;
      if (focusSummary) summary.focus();
    }

    details.addEventListener("toggle", function () {
      if (!details.open) return;
      search.focus();
      load().then(render);
    });

    search.addEventListener("input", render);

    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); // never submit the ticket form from the search box
        var first = options()[0];
        if (first) choose(first);
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        var next = options()[0];
        if (next) next.focus();
      } else if (event.key === "Escape") {
        event.preventDefault();
        close(true);
      }
    });

    list.addEventListener("keydown", function (event) {
      var all = options();
      var index = all.indexOf(document.activeElement);
      if (index === -1) return;
      var target = null;
      if (event.key === "ArrowDown") target = all[Math.min(index + 1, all.length - 1)];
      else if (event.key === "ArrowUp") target = index === 0 ? search : all[index - 1];
      else if (event.key === "Home") target = all[0];
      else if (event.key === "End") target = all[all.length - 1];
      else if (event.key === "Escape") {
        event.preventDefault();
        close(true);
        return;
      }
      if (target) {
        event.preventDefault();
        target.focus();
      }
    });

    list.addEventListener("click", function (event) {
      var button = event.target.closest(".macro-option");
      if (button) choose(button);
    });

    document.addEventListener("click", function (event) {
      if (details.open && !root.contains(event.target)) close(false);
    });

    /* Ctrl+Alt+M opens the menu from anywhere on the page, as in Zendesk. */
    document.addEventListener("keydown", function (event) {
      if (event.altKey && event.ctrlKey && !event.metaKey && event.code === "KeyM") {
        event.preventDefault();
        details.open = true;
      }
    });

    function choose(button) {
      var id = button.dataset.macroId;
      var url = root.dataset.previewUrl + "?ticket=" + encodeURIComponent(root.dataset.ticketId) +
        "&macro=" + encodeURIComponent(id);
      button.setAttribute("aria-busy", "true");
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (result) {
          if (!result.ok) throw new Error(result.data.error || gettext("The macro could not be applied."));
          fill(result.data);
        })
        .catch(function (error) {
          announce(error.message || gettext("The macro could not be applied."));
          showNote(error.message || gettext("The macro could not be applied."), true);
        })
        .finally(function () { button.removeAttribute("aria-busy"); });
    }

    function field(name) {
      return form.elements.namedItem(name);
    }

    function mark(element) {
      if (!element) return;
      element.classList.add("macro-filled");
      element.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function setSelect(name, value) {
      var select = field(name);
      if (!select) return true;
      var wanted = value === null || value === undefined ? "" : String(value);
      var exists = Array.prototype.some.call(select.options, function (option) { return option.value === wanted; });
      if (!exists) return false;
      if (select.value !== wanted) {
        select.value = wanted;
        mark(select);
      }
      return true;
    }

    function applyTags(ops) {
      var input = field("tags");
      if (!input || !ops) return;
      var tags = ops.set ? ops.set.slice() : input.value.toLowerCase().split(/\s+/).filter(Boolean);
      (ops.add || []).forEach(function (tag) { if (tags.indexOf(tag) === -1) tags.push(tag); });
      tags = tags.filter(function (tag) { return (ops.remove || []).indexOf(tag) === -1; });
      var value = tags.join(" ");
      if (value !== input.value) {
        input.value = value;
        mark(input);
      }
    }

    function fill(preview) {
      var fields = preview.fields || {};
      var skipped = [];
      [["status", "status"], ["priority", "priority"], ["type", "type"], ["group_id", "group"], ["assignee_id", "assignee"]]
        .forEach(function (pair) {
          if (pair[0] in fields && !setSelect(pair[1], fields[pair[0]])) skipped.push(pair[1]);
        });
      Object.keys(fields).forEach(function (name) {
        // Admin-defined ticket fields: custom_fields_<id> (a checkbox is checked, anything else takes the value).
        if (name.indexOf("custom_fields_") !== 0) return;
        var input = field(name);
        if (!input) { skipped.push(name); return; }
        var value = fields[name];
        if (input.type === "checkbox") input.checked = Boolean(value);
        else input.value = value === null ? "" : String(value);
        mark(input);
      });
      applyTags(preview.tags);
      if ("subject" in fields) {
        subjectBox.hidden = false;
        subjectInput.value = fields.subject;
        mark(subjectInput);
      }
      var body = field("body");
      var comment = preview.comment;
      if (comment && body) {
        if (comment.body) {
          body.value = body.value.trim() ? body.value.replace(/\s+$/, "") + "\n\n" + comment.body : comment.body;
          mark(body);
        }
        var mode = form.querySelector('input[name="mode"][value="' + (comment.public ? "public" : "internal") + '"]');
        if (mode && !mode.checked) {
          mode.checked = true;
          mode.dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
      var ids = appliedInput.value.split(/[\s,]+/).filter(Boolean);
      var id = String(preview.macro.id);
      if (ids.indexOf(id) === -1) ids.push(id);
      appliedInput.value = ids.join(" ");
      form.action = root.dataset.submitUrl;
      if (appliedTitles.indexOf(preview.macro.title) === -1) appliedTitles.push(preview.macro.title);
      var text = interpolate(
        gettext("Applied %(macros)s: review the changes, then press Submit."),
        { macros: appliedTitles.map(quoted).join(", ") },
        true
      );
      if (skipped.length) {
        var names = skipped.map(function (name) { return FIELD_NAMES[name] || name; });
        text += " " + interpolate(gettext("Not available here: %(fields)s."), { fields: names.join(", ") }, true);
      }
      showNote(text, false);
      announce(text);
      close(false);
      if (comment && comment.body && body) {
        body.focus();
        body.setSelectionRange(body.value.length, body.value.length);
      } else {
        summary.focus();
      }
    }

    function showNote(text, isError) {
      appliedNote.hidden = false;
      appliedNote.textContent = text;
      appliedNote.classList.toggle("macro-applied-error", !!isError);
    }

    form.addEventListener("input", function (event) {
      if (event.target.classList) event.target.classList.remove("macro-filled");
    });

    /* After a refused submit the page comes back with the macros still chosen: keep posting where they count. */
    if (appliedInput.value.trim()) {
      form.action = root.dataset.submitUrl;
      showNote(gettext("Macros chosen before: review the changes, then press Submit."), false);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
