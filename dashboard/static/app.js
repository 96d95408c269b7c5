// Progressive enhancement only: every page works without this file.
// Changing the interval select submits the report form at once.
document.addEventListener("DOMContentLoaded", function () {
  var sel = document.getElementById("interval");
  if (sel && sel.form) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  }
});
