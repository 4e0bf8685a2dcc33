/* Starts Swagger UI on /api/v1/docs (templates/swagger_ui.html) from the settings of its JSON
   block, as flask-smorest's own page does in an inline script, which our CSP refuses:
   OPENAPI_SWAGGER_UI_CONFIG ("override") wins over the defaults. */
(() => {
  const settings = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  const { override, ...config } = settings;
  window.ui = window.SwaggerUIBundle({ ...config, ...override });
})();
