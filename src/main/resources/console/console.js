// Small enhancements; every page works without them: confirmations, copy buttons, the project switch.
document.addEventListener("submit", function (e) {
  var message = e.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    e.preventDefault();
    return;
  }
  // forms that a poll brought in carry no CSRF token (a poll's answer holds no secret): the page's
  var field = e.target.querySelector("input[name=csrf]");
  var page = document.querySelector("meta[name=csrf-token]");
  if (field && !field.value && page) {
    field.value = page.getAttribute("content");
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
