/* Campaign picker (components/_campaign_picker.html): choosing a campaign shows it at once.
   Progressive enhancement, with no inline handler (the CSP forbids them): without this
   script the form's <noscript> button "Afficher" does the same. */
document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
