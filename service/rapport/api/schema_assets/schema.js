// Starts Swagger UI on this page's OpenAPI document (service/rapport/api/schema_page.py).
// A file, not an inline script, so that the page's Content-Security-Policy allows no inline
// script at all.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    domNode: root,
    deepLinking: true,
    // Never send the document to swagger.io's online validator: nothing leaves this origin.
    validatorUrl: null,
    // A key given to "Authorize" lives in this page only, never in the browser's storage.
    persistAuthorization: false,
  });
})();
