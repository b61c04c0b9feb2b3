// The admin pages' copy buttons: <button data-copy="input-id" data-copied="已复制">.
// Copies the input's value (a one-time password, an API token's secret) and says so on
// the button; where the clipboard API is refused, selects the text for Ctrl+C instead.
"use strict";

(function () {
  document.addEventListener("click", function (event) {
    const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    const input = document.getElementById(button.dataset.copy);
    if (!input) return;
    const done = function () {
      button.textContent = button.dataset.copied || button.textContent;
    };
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        input.select();
      });
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    }
  });
})();
