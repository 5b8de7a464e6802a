// The security page: once a passkey has been added, show the page again so that it is
// listed (the server has queued a message saying so).
"use strict";

document.addEventListener("otp_webauthn.register_complete", function () {
  window.location.reload();
});
