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
        // An empty live region that is always there, filled anew: announced every time.
        done.textContent = "";
        window.setTimeout(function () {
          done.textContent = done.getAttribute("data-message");
        }, 100);
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

// Evidence previews: "Show clearly" puts the clear picture in place of the blurred one
// (the server logs it), and "Blur again" puts the blurred one back. Without this script
// the link opens the picture on its own. A picture that cannot be drawn (or a file
// refused as altered) gives way to a line pointing to the download.
document.querySelectorAll(".evidence-preview").forEach(function (box) {
  const image = box.querySelector("[data-preview]");
  const reveal = box.querySelector("[data-reveal]");
  const blur = box.querySelector("[data-blur]");
  const failed = box.querySelector("[data-preview-failed]");
  if (!image || !reveal || !blur) {
    return;
  }
  const blurred = image.getAttribute("src");
  const blurredAlt = image.getAttribute("alt");
  image.setAttribute("tabindex", "-1");
  image.addEventListener("error", function () {
    image.hidden = true;
    reveal.hidden = true;
    blur.hidden = true;
    if (failed) {
      failed.hidden = false;
    }
  });
  reveal.addEventListener("click", function (event) {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
      return; // a new tab or window: the browser's own way
    }
    event.preventDefault();
    image.src = reveal.href;
    image.alt = image.getAttribute("data-clear-alt");
    image.classList.add("revealed");
    reveal.hidden = true;
    blur.hidden = false;
    image.focus();
  });
  blur.addEventListener("click", function () {
    image.src = blurred;
    image.alt = blurredAlt;
    image.classList.remove("revealed");
    blur.hidden = true;
    reveal.hidden = false;
    reveal.focus();
  });
});
