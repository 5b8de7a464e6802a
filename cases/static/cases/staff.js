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

// Message templates: put the chosen one into the message box without leaving the page,
// after what is already typed there (nothing written is lost). Without this script the
// link reloads the page with the template in an empty box.
document.querySelectorAll("[data-template-text]").forEach(function (link) {
  const box = document.querySelector("[data-form=message] textarea");
  if (!box) {
    return;
  }
  link.addEventListener("click", function (event) {
    event.preventDefault();
    const text = link.getAttribute("data-template-text");
    box.value = box.value.trim() ? box.value.trimEnd() + "\n\n" + text : text;
    box.focus();
  });
});
