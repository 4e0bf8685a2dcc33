/* What every phone page does: install the service worker, ask the browser to keep our storage
 * (so a full phone does not evict unsent reports), show how many reports wait to be sent with
 * a button that sends them now, replay the queue on `online` and at opening, and keep the
 * agenda's mission pages for offline use. */
(function (root) {
  "use strict";

  const Sync = root.BarometreSync;
  const Store = root.BarometreStore;

  function pageData() {
    const node = document.getElementById("phone-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  const data = pageData();
  if (!data) return;
  const userId = data.user_id;

  function showPending(count) {
    const button = document.getElementById("pending-button");
    if (!button) return;
    button.hidden = count === 0;
    button.textContent = count + " en attente d’envoi";
    button.setAttribute("aria-label", count + " en attente d’envoi : envoyer maintenant");
  }

  function showSessionExpired(expired) {
    const banner = document.getElementById("session-expired");
    if (banner) banner.hidden = !expired;
  }

  function showNetwork() {
    const badge = document.getElementById("network-state");
    if (badge) badge.hidden = navigator.onLine;
  }

  root.addEventListener("barometre:sync", async (event) => {
    showSessionExpired(event.detail.sessionExpired);
    /* Counted again from IndexedDB: two syncs may end in any order. */
    showPending(await Sync.pendingCount(userId));
  });

  async function sendNow() {
    const summary = await Sync.syncAll(userId);
    const status = document.getElementById("sync-status");
    if (status) {
      status.textContent = summary.sessionExpired
        ? "Session expirée : reconnectez-vous pour envoyer."
        : summary.offline
          ? "Pas de réseau : l’envoi reprendra tout seul dès son retour."
          : summary.pending
            ? "Certains rapports attendent une correction."
            : "Tout est envoyé.";
    }
  }

  async function markAgenda() {
    /* The agenda shows what this phone holds: a draft not yet sent, a queued submit. */
    const records = await Store.reportsOf(userId);
    for (const record of records) {
      const mark = document.querySelector('[data-local-state="' + record.mission_id + '"]');
      if (!mark) continue;
      const label = record.submit
        ? "En attente d’envoi"
        : record.conflict
          ? "Conflit à régler"
          : record.revision !== record.saved_revision
            ? "Brouillon sur ce téléphone"
            : "";
      mark.textContent = label;
      mark.hidden = !label;
    }
  }

  /* The agenda's first missions (returned, overdue, today's, the next ones) are kept for
   * offline use; the others are kept once opened. */
  const KEEP_OFFLINE = 40;

  function keepPagesOffline(registration) {
    const links = Array.from(document.querySelectorAll("[data-mission-link]"), (a) => a.getAttribute("href"))
      .slice(0, KEEP_OFFLINE);
    /* This page too: opened before the worker took control, it did not pass through it. */
    links.unshift(location.pathname);
    const worker = navigator.serviceWorker.controller || (registration && registration.active);
    if (worker && links.length) worker.postMessage({ type: "keep-pages", urls: links });
  }

  async function start() {
    document.getElementById("pending-button")?.addEventListener("click", sendNow);
    root.addEventListener("online", () => { showNetwork(); Sync.syncAll(userId); });
    root.addEventListener("offline", showNetwork);
    showNetwork();
    document.querySelector("form.account")?.addEventListener("submit", () => {
      navigator.serviceWorker?.controller?.postMessage({ type: "forget-pages" });
    });
    if ("serviceWorker" in navigator) {
      try {
        await navigator.serviceWorker.register("/sw.js", { scope: "/" });
        const registration = await navigator.serviceWorker.ready;
        keepPagesOffline(registration);
      } catch (error) {
        console.warn("service worker indisponible", error);
      }
    }
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persisted().then((kept) => kept || navigator.storage.persist()).catch(() => null);
    }
    showPending(await Sync.pendingCount(userId));
    if (document.querySelector("[data-local-state]")) await markAgenda();
    root.addEventListener("barometre:sync", markAgenda);
    /* A report page sends what waits itself, once its copy is reconciled with the server's. */
    if (!document.getElementById("report-form")) Sync.syncAll(userId);
  }

  root.BarometrePhone = { userId, data, sendNow };
  start();
})(window);
