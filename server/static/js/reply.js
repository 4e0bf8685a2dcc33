/* The site's reply to an email or letter test, recorded from the phone when it arrives. Like
 * a report, it is written to IndexedDB first and sent by sync.js's queue, so a reply typed in
 * a train without signal is sent later, once. */
(function (root) {
  "use strict";

  const Store = root.BarometreStore;
  const Sync = root.BarometreSync;
  const form = document.getElementById("reply-form");
  if (!form) return;
  const data = JSON.parse(document.getElementById("phone-data").textContent);
  const status = document.getElementById("reply-status");

  /* "2026-03-04T10:15" read in the site's zone, as an instant (ISO 8601, UTC). */
  function zonedToUtc(local, zone) {
    const guess = new Date(local + ":00Z");
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(guess).map((part) => [part.type, part.value]));
    const seen = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
    return new Date(guess.getTime() - (seen - guess.getTime())).toISOString();
  }

  async function show() {
    const writes = (await Store.writesOf(data.user_id)).filter((w) => w.mission_id === data.mission_id);
    const refused = writes.find((w) => w.refused);
    status.textContent = refused ? "Réponse refusée : " + refused.refused
      : writes.length ? "Réponse en attente d’envoi : elle partira dès que le réseau revient." : status.textContent;
  }

  let waiting = false;

  root.addEventListener("barometre:sync", async () => {
    const left = (await Store.writesOf(data.user_id)).filter((w) => w.mission_id === data.mission_id);
    if (waiting && !left.length) {
      waiting = false;
      status.textContent = "Réponse enregistrée. Merci.";
      form.hidden = true;
    } else {
      await show();
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const received = form.elements.received_at.value;
    if (!received) {
      status.textContent = "Indiquez quand la réponse est arrivée.";
      form.elements.received_at.focus();
      return;
    }
    for (const old of (await Store.writesOf(data.user_id)).filter((w) => w.mission_id === data.mission_id)) {
      await Store.deleteWrite(old.id);
    }
    await Store.addWrite({
      user_id: data.user_id, mission_id: data.mission_id,
      url: "/missions/" + data.mission_id + "/reply",
      body: { received_at: zonedToUtc(received, data.time_zone), text: form.elements.text.value.trim() || null },
    });
    waiting = true;
    await show();
    Sync.syncAll(data.user_id);
  });
  show().then(async () => {
    waiting = (await Store.writesOf(data.user_id)).some((w) => w.mission_id === data.mission_id);
  });
})(window);
