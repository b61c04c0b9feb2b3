// The customer pages: select all on the page, the action bar's fields per action, and the
// owner-change confirmation as a modal dialog (Esc or Cancel closes it, focus comes back).
// Everything here is an enhancement: without it the forms post and answer with full pages.
"use strict";

(function () {
  function checkboxes(form) {
    return Array.from(form.querySelectorAll('input[name="customer_ids"]'));
  }

  function refreshSelection(form) {
    const boxes = checkboxes(form);
    const chosen = boxes.filter(function (box) { return box.checked; }).length;
    const all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = chosen > 0 && chosen === boxes.length;
      all.indeterminate = chosen > 0 && chosen < boxes.length;
    }
    const count = form.querySelector("[data-selected-template]");
    if (count) count.textContent = count.dataset.selectedTemplate.replace("{count}", String(chosen));
    const bar = form.querySelector(".action-bar");
    if (bar) bar.classList.toggle("has-selection", chosen > 0);
  }

  function refreshAction(form) {
    const action = form.querySelector('select[name="action"]');
    if (!action) return;
    form.querySelectorAll("[data-for-action]").forEach(function (field) {
      const shown = field.dataset.forAction.split(" ").indexOf(action.value) >= 0;
      field.hidden = !shown;
      field.querySelectorAll("select, input").forEach(function (input) { input.disabled = !shown; });
    });
  }

  function setUp(root) {
    const form = (root || document).querySelector("#bulk-form");
    if (!form || form.dataset.ready) return;
    form.dataset.ready = "1";
    refreshSelection(form);
    refreshAction(form);
  }

  document.addEventListener("change", function (event) {
    const target = event.target;
    const form = target instanceof Element && target.closest("#bulk-form");
    if (!form) return;
    // Not a filter: keep the list's own change handler (htmx on #filters) out of it.
    if (target.matches("[data-select-all]")) {
      checkboxes(form).forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches('select[name="action"]')) refreshAction(form);
    refreshSelection(form);
  });

  let opener = null;
  document.addEventListener("submit", function (event) {
    opener = event.submitter || document.activeElement;
  }, true);

  function openDialog() {
    const dialog = document.getElementById("owner-dialog");
    if (!dialog || dialog.open) return;
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    const first = dialog.querySelector("[autofocus], input:not([type=hidden]), button, a");
    if (first) first.focus();
    dialog.addEventListener("close", function () {
      if (opener && document.contains(opener)) opener.focus();
    }, { once: true });
  }

  document.addEventListener("click", function (event) {
    const close = event.target instanceof Element && event.target.closest("[data-close-dialog]");
    const dialog = close && close.closest("dialog");
    if (!dialog) return;
    event.preventDefault();
    dialog.close();
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    // A capacity or state conflict (409) answers with the confirmation and its problem.
    const target = event.detail.target;
    if (event.detail.xhr.status === 409 && target && target.id === "owner-dialog-slot") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    // The slot is about to be replaced: close an open dialog first so the page stays usable.
    if (target && target.id === "owner-dialog-slot") {
      const old = document.getElementById("owner-dialog");
      if (old && old.open) old.close();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const target = event.detail.target;
    if (target && target.id === "owner-dialog-slot") openDialog();
    if (target && target.id === "customer-results") setUp(target);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  } else {
    setUp(document);
  }
})();
