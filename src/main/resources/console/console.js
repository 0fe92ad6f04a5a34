// Small enhancements; every page works without them: confirmations, copy buttons, the project switch.
document.addEventListener("submit", function (e) {
  var message = e.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    e.preventDefault();
  }
});
document.addEventListener("click", function (e) {
  var button = e.target.closest("[data-copy]");
  if (!button) {
    return;
  }
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (source && navigator.clipboard) {
    navigator.clipboard.writeText(source.textContent).then(function () {
      button.textContent = "Copied";
    });
  }
});
document.addEventListener("change", function (e) {
  if (e.target.hasAttribute("data-autosubmit")) {
    e.target.form.submit();
  }
});
