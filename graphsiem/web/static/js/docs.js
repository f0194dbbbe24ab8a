// The API explorer at /docs: Swagger UI over /openapi.json, started from this
// file rather than an inline script so the page's CSP (script-src 'self') holds.
//
// The explorer runs on the analysts' page's origin: persistAuthorization stays
// off, so a key typed into "Authorize" lives in this tab's memory only.

window.SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  layout: 'BaseLayout',
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  persistAuthorization: false,
  // The default sends the schema's URL to validator.swagger.io for a badge.
  validatorUrl: null,
  oauth2RedirectUrl: `${window.location.origin}/docs/oauth2-redirect`,
  presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset],
});
