/* "Imprimer la fiche": the print dialog, from a button (no inline script on our pages). */
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
