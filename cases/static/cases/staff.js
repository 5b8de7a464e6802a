// Staff pages: copy buttons for prepared texts. Works without it: the text can be
// selected and copied by hand.
"use strict";

document.querySelectorAll("[data-copy]").forEach(function (button) {
  if (!navigator.clipboard) {
    return;
  }
  const id = button.getAttribute("data-copy");
  const source = document.getElementById(id);
  const done = document.querySelector('[data-copied="' + id + '"]');
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.value).then(function () {
      if (done) {
        done.hidden = false;
      }
    });
  });
});
