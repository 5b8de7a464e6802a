// Passkeys on the second-step and security pages, around django-otp-webauthn's script:
// - while the browser waits for a key or a fingerprint, say so, and keep the keyboard
//   focus on that message (the library disables the button, which drops the focus);
// - once a passkey is added, show the page again so that it is listed, with the focus
//   on the message saying it was added;
// - if adding is refused because the last second step is too old, offer the link to
//   confirm it is you.
"use strict";

(function () {
  const ADDED = "passkey-added";

  function waiting(event) {
    const status = document.getElementById(
      event.type === "otp_webauthn.register_start"
        ? "passkey-register-status-message"
        : "passkey-verification-status-message"
    );
    if (status && !(event.detail && event.detail.fromAutofill)) {
      status.textContent = status.getAttribute("data-waiting");
      status.focus();
    }
  }

  document.addEventListener("otp_webauthn.register_start", waiting);
  document.addEventListener("otp_webauthn.verification_start", waiting);

  document.addEventListener("otp_webauthn.register_complete", function () {
    try {
      window.sessionStorage.setItem(ADDED, "1");
    } catch (error) {
      // Private browsing without storage: the page still shows the new passkey.
    }
    window.location.reload();
  });

  document.addEventListener("otp_webauthn.register_failed", function (event) {
    const response = event.detail && event.detail.response;
    const link = document.querySelector("[data-confirm-link]");
    if (link && response && response.status === 403) {
      link.hidden = false;
    }
  });

  try {
    if (window.sessionStorage.getItem(ADDED)) {
      window.sessionStorage.removeItem(ADDED);
      const message = document.querySelector("main .alert");
      if (message) {
        message.setAttribute("tabindex", "-1");
        message.focus();
      }
    }
  } catch (error) {
    // No storage: nothing to move the focus to.
  }
})();
