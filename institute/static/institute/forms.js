// Forms on both sides: after a failed submit the focus goes to the list of problems,
// and each of its links puts the cursor in the input it is about, with its question in
// view. Without this script the links still lead to the inputs.
"use strict";

(function () {
  document.querySelectorAll("[data-error-summary] a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) {
        return;
      }
      event.preventDefault();
      var question = target.closest("fieldset") || target.closest(".mb-3") || target;
      question.scrollIntoView();
      target.focus({ preventScroll: true });
    });
  });

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
})();
