// fenpei's page behaviour: a keyboard-friendly confirm dialog and htmx settings.
// Loaded (deferred) by base.html after htmx; no build step, no external assets.
//
// Confirm before acting: put data-confirm="Delete this rule?" on a <form>, on one of its
// submit buttons, or on any clickable element (a link, an hx-post/hx-delete button).
// The dialog opens with focus on Cancel; Esc or Cancel does nothing; Confirm goes on.
"use strict";

(function () {
  const bypass = new WeakSet(); // elements whose next submit/click was already confirmed

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // --- the confirm dialog -------------------------------------------------------------------

  function confirmThen(message, proceed) {
    const dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      if (window.confirm(message)) proceed();
      return;
    }
    const opener = document.activeElement;
    dialog.querySelector("#confirm-message").textContent = message;
    dialog.returnValue = "";
    dialog.addEventListener(
      "close",
      function () {
        const confirmed = dialog.returnValue === "confirm";
        if (opener && typeof opener.focus === "function" && document.contains(opener)) {
          opener.focus();
        }
        if (confirmed) proceed();
      },
      { once: true },
    );
    dialog.showModal();
    dialog.querySelector("[data-cancel]").focus();
  }

  function isSubmitButton(element) {
    return (
      element.form != null &&
      ((element.tagName === "BUTTON" && (element.type || "submit") === "submit") ||
        (element.tagName === "INPUT" && (element.type === "submit" || element.type === "image")))
    );
  }

  // Capture phase: runs before htmx's own listeners on the element, so htmx and plain
  // forms are confirmed the same way.
  document.addEventListener(
    "submit",
    function (event) {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || form.method === "dialog") return;
      const submitter = event.submitter;
      const message =
        (submitter && submitter.dataset && submitter.dataset.confirm) || form.dataset.confirm;
      if (!message) return;
      if (bypass.has(form)) {
        bypass.delete(form);
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      confirmThen(message, function () {
        bypass.add(form);
        if (typeof form.requestSubmit === "function") {
          form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
        } else {
          form.submit();
        }
      });
    },
    true,
  );

  document.addEventListener(
    "click",
    function (event) {
      const element = event.target instanceof Element && event.target.closest("[data-confirm]");
      if (!element || element instanceof HTMLFormElement || isSubmitButton(element)) return;
      if (bypass.has(element)) {
        bypass.delete(element);
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      confirmThen(element.dataset.confirm, function () {
        bypass.add(element);
        element.click();
      });
    },
    true,
  );

  // --- htmx ---------------------------------------------------------------------------------

  function showError(text) {
    const flash = document.getElementById("flash");
    if (!flash) return;
    flash.textContent = text;
    flash.hidden = false;
    window.clearTimeout(showError.timer);
    showError.timer = window.setTimeout(function () {
      flash.hidden = true;
    }, 8000);
  }

  // The message of an error answer: the JSON error's, or the error page's, else a generic one.
  function errorMessage(xhr) {
    const flash = document.getElementById("flash");
    const generic = (flash && flash.dataset.generic) || "Error";
    const body = xhr && xhr.responseText;
    if (body) {
      try {
        const parsed = JSON.parse(body);
        if (parsed && parsed.message) return parsed.message;
      } catch (_notJson) {
        const page = new DOMParser().parseFromString(body, "text/html");
        const found = page.querySelector(".error-page .message, .error-page p");
        if (found && found.textContent.trim()) return found.textContent.trim();
      }
    }
    return generic + (xhr && xhr.status ? " (" + xhr.status + ")" : "");
  }

  function configureHtmx() {
    if (!window.htmx) return;
    // 422 carries a form re-rendered with its inline errors: swap it like a success.
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "[45]..", swap: false, error: true },
      { code: "...", swap: false },
    ];
    document.body.addEventListener("htmx:configRequest", function (event) {
      event.detail.headers["X-CSRF-Token"] = csrfToken();
    });
    document.body.addEventListener("htmx:responseError", function (event) {
      showError(errorMessage(event.detail.xhr));
    });
    document.body.addEventListener("htmx:sendError", function () {
      const flash = document.getElementById("flash");
      showError((flash && flash.dataset.network) || "Network error");
    });
    document.body.addEventListener("htmx:beforeRequest", function () {
      const flash = document.getElementById("flash");
      if (flash) flash.hidden = true;
    });
  }

  // --- sizes from data attributes ------------------------------------------------------------
  // The Content-Security-Policy forbids inline style attributes; templates say
  // data-width-percent="40" / data-height-px="300" and the sizes are set here (CSSOM).

  function applySizes(root) {
    const scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll("[data-width-percent]").forEach(function (element) {
      element.style.width = Number(element.dataset.widthPercent) + "%";
    });
    scope.querySelectorAll("[data-height-px]").forEach(function (element) {
      element.style.height = Number(element.dataset.heightPx) + "px";
    });
  }

  applySizes(document);
  document.addEventListener("htmx:load", function (event) { applySizes(event.target); });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", configureHtmx);
  } else {
    configureHtmx();
  }

  window.fenpei = { confirmThen: confirmThen, showError: showError, applySizes: applySizes };
})();
