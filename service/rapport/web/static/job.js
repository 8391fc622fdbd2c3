// Live progress of an upload: asks the job's state every 1.5 s and reloads the page (rendered
// on the server) when it changes. Without JavaScript the page refreshes itself instead.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) { return; }
  var shown = box.getAttribute("data-state");
  var url = "/ui/jobs/" + encodeURIComponent(box.getAttribute("data-job")) + "/state";
  var label = document.getElementById("state");
  function tick() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (body.state && body.state !== shown) {
          if (body.state === "complete" || body.state === "failed") {
            window.location.reload();
            return;
          }
          shown = body.state;
          if (label) { label.textContent = shown.charAt(0).toUpperCase() + shown.slice(1); }
        }
        window.setTimeout(tick, 1500);
      })
      .catch(function () { window.setTimeout(tick, 3000); });
  }
  window.setTimeout(tick, 1000);
})();
