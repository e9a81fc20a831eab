// Two-step verification set-up: once the browser has registered a passkey (django-otp-webauthn's
// event), carry on to the recovery codes. A file, not an inline script: the CSP allows none.
const target = document.getElementById("mfa-passkey-added");
if (target) {
  document.addEventListener("otp_webauthn.register_complete", () => {
    window.location.assign(target.dataset.url);
  });
}
