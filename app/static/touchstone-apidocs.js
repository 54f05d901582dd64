// Starts the vendored Swagger UI on /api/docs (app/apidocs.py). A file rather than an inline
// script, because the Content-Security-Policy allows only this app's own script files.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    deepLinking: true,
    // The default sends the schema to an outside validator service; nothing leaves the site.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
