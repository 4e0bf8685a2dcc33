/* The report form of one mission. Every answer is written to IndexedDB as it is typed (before
 * any network), questions appear and disappear with the skip logic evaluated from the server's
 * trees (conditions.js), and "Envoyer" queues the submission, which sync.js sends once the
 * network and the session allow. Nothing typed is ever discarded by this script: a server
 * refusal is shown on its question, a newer copy on the server is shown for the investigator
 * to choose, never silently taken or overwritten. */
(function (root) {
  "use strict";

  const Store = root.BarometreStore;
  const Sync = root.BarometreSync;
  const Photos = root.BarometrePhotos;
  const Conditions = root.BarometreConditions;
  const node = document.getElementById("phone-data");
  const form = document.getElementById("report-form");
  if (!node || !form) return;
  const data = JSON.parse(node.textContent);
  const userId = data.user_id;
  const missionId = data.mission_id;
  const questions = data.questions;
  const byId = Object.fromEntries(questions.map((q) => [q.id, q]));
  const INTEGER = /^[+-]?\d+$/;
  const DECIMAL = /^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$/;
  let record = null;
  let saveTimer = null;
  let syncTimer = null;
  const objectUrls = [];

  const $ = (id) => document.getElementById(id);
  const wrapperOf = (id) => form.querySelector('[data-question="' + id + '"]');

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function localTime(iso) {
    if (!iso) return "—";
    return new Date(iso).toLocaleString("fr-FR", { timeZone: data.time_zone, dateStyle: "short", timeStyle: "short" });
  }

  // --- answers in the form ----------------------------------------------------------------

  function readAnswer(question) {
    const wrapper = wrapperOf(question.id);
    if (!wrapper) return null;
    const type = question.type;
    if (type === "multiple_choice") {
      return Array.from(wrapper.querySelectorAll("input[type=checkbox]:checked"), (i) => i.value);
    }
    if (["yes_no", "yes_no_na", "single_choice"].includes(type)) {
      const checked = wrapper.querySelector("input[type=radio]:checked");
      return checked ? checked.value : null;
    }
    if (type === "photo") return (record.answers[question.id] || []).slice();
    if (type === "position") return record.answers[question.id] || null;
    const input = wrapper.querySelector("input, textarea");
    const raw = input ? input.value.trim() : "";
    if (raw === "") return null;
    if (["integer", "rings", "duration_minutes"].includes(type) && INTEGER.test(raw)) return parseInt(raw, 10);
    if (type === "decimal" && DECIMAL.test(raw)) return parseFloat(raw.replace(",", "."));
    return raw;
  }

  function writeAnswer(question, value) {
    const wrapper = wrapperOf(question.id);
    if (!wrapper) return;
    const type = question.type;
    if (["yes_no", "yes_no_na", "single_choice", "multiple_choice"].includes(type)) {
      const ticked = Array.isArray(value) ? value : [value];
      wrapper.querySelectorAll("input").forEach((input) => { input.checked = ticked.includes(input.value); });
    } else if (type === "photo") {
      renderPhotos(question);
    } else if (type === "position") {
      const out = wrapper.querySelector(".position-value");
      if (out) out.textContent = value ? positionText(value.latitude, value.longitude, value.accuracy) : "";
    } else {
      const input = wrapper.querySelector("input, textarea");
      if (input) input.value = value === null || value === undefined ? "" : String(value);
    }
  }

  function positionText(latitude, longitude, accuracy) {
    const precision = accuracy ? " (à " + Math.round(accuracy) + " m près)" : "";
    return "Position relevée : " + latitude.toFixed(5) + ", " + longitude.toFixed(5) + precision;
  }

  function visibleAnswers(answers) {
    const visible = Conditions.visibleQuestionIds(questions, answers);
    const kept = {};
    for (const id of visible) {
      if (!Conditions.isEmpty(answers[id])) kept[id] = answers[id];
    }
    return { visible, kept };
  }

  function applyVisibility() {
    const { visible } = visibleAnswers(record.answers);
    const shown = new Set(visible);
    for (const question of questions) {
      const wrapper = wrapperOf(question.id);
      if (wrapper) wrapper.hidden = !shown.has(question.id);
    }
    form.querySelectorAll("[data-section]").forEach((section) => {
      section.hidden = !section.querySelector("[data-question]:not([hidden])");
    });
  }

  // --- saving -------------------------------------------------------------------------------

  function setState(text) {
    const state = $("save-state");
    if (state) state.textContent = text;
  }

  async function persist(change) {
    record = await Store.updateReport(userId, missionId, (current) => Object.assign(current, change(current)));
    render();
    clearTimeout(syncTimer);
    syncTimer = setTimeout(() => Sync.syncAll(userId, missionId), 1500);
  }

  function collect() {
    const answers = Object.assign({}, record.answers);
    for (const question of questions) answers[question.id] = readAnswer(question);
    for (const id of Object.keys(answers)) if (Conditions.isEmpty(answers[id])) delete answers[id];
    return answers;
  }

  function answersChanged() {
    if (!editable()) return;
    const answers = collect();
    const now = new Date().toISOString();
    record.answers = answers; /* questions appear or hide at once, before IndexedDB answers */
    applyVisibility();
    persist((current) => ({
      answers,
      /* A message stays on its question until that answer changes. */
      errors: Object.fromEntries(Object.entries(current.errors || {}).filter(
        ([id]) => JSON.stringify(current.answers[id]) === JSON.stringify(answers[id]))),
      sent_answers: visibleAnswers(answers).kept,
      revision: (current.revision || 0) + 1,
      started_at: current.started_at || now,
      edited_at: now,
    }));
  }

  function editable() {
    return record && !record.submit && record.status !== "submitted";
  }

  // --- photos -------------------------------------------------------------------------------

  async function renderPhotos(question) {
    const list = $("photos-" + question.id);
    if (!list) return;
    const stored = await Store.photosOf(userId, missionId);
    const refs = record.answers[question.id] || [];
    list.replaceChildren();
    refs.forEach((sha, index) => {
      const photo = stored.find((p) => p.sha256 === sha);
      const item = document.createElement("li");
      if (photo && photo.blob) {
        const img = document.createElement("img");
        const url = URL.createObjectURL(photo.blob);
        objectUrls.push(url);
        img.src = url;
        img.alt = "Photo " + (index + 1) + " de « " + question.label + " »";
        item.append(img);
      }
      const state = document.createElement("span");
      state.textContent = !photo ? "Photo " + (index + 1) + " (enregistrée sur le serveur)"
        : photo.refused ? "Refusée : " + photo.refused
          : photo.uploaded ? "Photo " + (index + 1) + " envoyée" : "Photo " + (index + 1) + " en attente d’envoi";
      item.append(state);
      if (editable()) {
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button";
        remove.textContent = "Retirer la photo " + (index + 1);
        remove.addEventListener("click", async () => {
          if (photo && !photo.uploaded) await Store.deletePhoto(photo.key);
          record.answers[question.id] = refs.filter((r) => r !== sha);
          answersChanged();
          renderPhotos(question);
        });
        item.append(remove);
      }
      list.append(item);
    });
  }

  async function addPhotos(question, input) {
    const files = Array.from(input.files || []);
    input.value = "";
    const refs = (record.answers[question.id] || []).slice();
    const error = $("q-" + question.id + "-erreur");
    for (const file of files) {
      try {
        const reduced = await Photos.reduce(file);
        if (!refs.includes(reduced.sha256)) refs.push(reduced.sha256);
        await Store.putPhoto({
          key: userId + ":" + missionId + ":" + reduced.sha256, user_id: userId, mission_id: missionId,
          question_id: question.id, sha256: reduced.sha256, blob: reduced.blob,
          taken_at: new Date(file.lastModified || Date.now()).toISOString(), uploaded: false,
        });
      } catch (problem) {
        if (error) { error.textContent = problem.message; error.hidden = false; }
      }
    }
    record.answers[question.id] = refs;
    answersChanged();
    renderPhotos(question);
  }

  // --- evidence -----------------------------------------------------------------------------

  function locate() {
    return new Promise((resolve, reject) => {
      if (!navigator.geolocation) return reject(new Error("Ce téléphone ne donne pas sa position."));
      navigator.geolocation.getCurrentPosition(resolve, () => reject(new Error("Position indisponible (refusée ou sans signal GPS).")),
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
    });
  }

  async function capturePosition() {
    const status = $("position-status");
    status.textContent = "Recherche de la position…";
    try {
      const { coords } = await locate();
      persist(() => ({
        position: { latitude: coords.latitude, longitude: coords.longitude, accuracy_m: coords.accuracy },
        location_declined: false, revision: record.revision + 1,
      }));
    } catch (problem) {
      status.textContent = problem.message;
    }
  }

  async function positionAnswer(question) {
    const out = wrapperOf(question.id).querySelector(".position-value");
    try {
      const { coords } = await locate();
      record.answers[question.id] = { latitude: coords.latitude, longitude: coords.longitude, accuracy: coords.accuracy };
      writeAnswer(question, record.answers[question.id]);
      answersChanged();
    } catch (problem) {
      out.textContent = problem.message;
    }
  }

  // --- rendering ----------------------------------------------------------------------------

  function showErrors(errors) {
    for (const question of questions) {
      const box = $("q-" + question.id + "-erreur");
      const messages = (errors || {})[question.id];
      if (!box) continue;
      box.hidden = !messages;
      box.textContent = messages ? messages.join(" ; ") : "";
      const target = wrapperOf(question.id).querySelector("fieldset, input, textarea, button");
      if (!target) continue;
      const field = target.matches("fieldset") ? null : target; /* a group takes no aria-invalid */
      if (field && messages) field.setAttribute("aria-invalid", "true");
      else if (field) field.removeAttribute("aria-invalid");
      /* The message is read with the field: tied by aria-describedby, next to its hint. */
      const described = (target.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== box.id);
      if (messages) described.push(box.id);
      if (described.length) target.setAttribute("aria-describedby", described.join(" "));
      else target.removeAttribute("aria-describedby");
    }
  }

  function renderConflict() {
    const panel = $("conflict");
    panel.hidden = !record.conflict;
    if (!record.conflict) return;
    const server = record.conflict;
    const mine = record.sent_answers || {};
    const theirs = server.answers || {};
    const differing = questions.filter((q) => JSON.stringify(mine[q.id] ?? null) !== JSON.stringify(theirs[q.id] ?? null));
    $("conflict-summary").textContent = "Le serveur a une autre version de ce rapport (version " + server.version +
      ", enregistrée le " + localTime(server.updated_at) + ", sans doute depuis un autre appareil). " +
      differing.length + " réponse(s) diffèrent : choisissez celle à garder.";
    const list = $("conflict-details");
    list.replaceChildren(...differing.map((q) => {
      const item = document.createElement("li");
      item.textContent = q.label + " — ici : " + display(mine[q.id]) + " ; serveur : " + display(theirs[q.id]);
      return item;
    }));
  }

  function display(value) {
    if (value === undefined || value === null) return "sans réponse";
    if (Array.isArray(value)) return value.join(", ") || "sans réponse";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function render() {
    applyVisibility();
    const fields = $("report-fields");
    fields.disabled = !editable();
    $("started-at").textContent = localTime(record.started_at);
    $("ended-at").textContent = localTime(record.ended_at);
    const status = $("position-status");
    if (status && record.position) {
      status.textContent = positionText(record.position.latitude, record.position.longitude, record.position.accuracy_m);
    } else if (status && record.location_declined) {
      status.textContent = "Position non relevée (refusée par vous) : ce sera noté dans le rapport.";
    }
    showErrors(record.errors);
    renderConflict();
    const banner = $("report-banner");
    const review = record.review;
    let message = "";
    if (record.status === "submitted") {
      message = "Rapport envoyé" + (record.submitted_at ? " le " + localTime(record.submitted_at) : "") + ". Il ne peut plus être modifié, sauf s’il vous est renvoyé pour correction.";
    } else if (record.submit) {
      message = "Rapport en attente d’envoi : il partira tout seul dès que le réseau revient.";
    } else if (record.refused) {
      message = record.refused;
    }
    banner.textContent = message;
    banner.hidden = !message;
    const returned = $("returned-comment");
    returned.hidden = !(record.status === "returned" && review);
    if (review) $("returned-text").textContent = review.comment || "";
    $("submit-report").hidden = !editable();
    $("cancel-submit").hidden = !record.submit;
    const unsaved = record.revision !== record.saved_revision;
    setState(record.status === "submitted" ? "Envoyé."
      : record.submit ? "En attente d’envoi."
        : unsaved ? "Enregistré sur ce téléphone (pas encore sur le serveur)."
          : record.base_version ? "Brouillon enregistré sur le serveur." : "");
  }

  function fill() {
    for (const question of questions) writeAnswer(question, record.answers[question.id] ?? null);
    render();
  }

  // --- opening: the local copy, then what the server holds --------------------------------

  function adopt(server) {
    return {
      client_id: server.client_id, answers: Object.assign({}, server.answers),
      sent_answers: Object.assign({}, server.answers), base_version: server.version,
      started_at: server.started_at, ended_at: server.ended_at,
      position: server.position, location_declined: server.location_declined,
      status: ["draft", "returned"].includes(server.status) ? server.status : "submitted",
      submitted_at: server.submitted_at, review: server.review, conflict: null, submit: null,
      errors: {}, refused: null,
    };
  }

  async function reconcile() {
    const server = await Sync.serverReport(missionId);
    if (!server) return;
    await Store.updateReport(userId, missionId, (current) => {
      const pristine = !current.revision && !current.base_version;
      const unsaved = current.revision !== current.saved_revision;
      if (server.client_id !== current.client_id) {
        return pristine ? Object.assign(current, adopt(server), { saved_revision: current.revision }) : null;
      }
      if (current.submit) return null; /* our queued submit goes first */
      if (server.status === "returned" && current.status !== "returned") {
        return Object.assign(current, adopt(server), { saved_revision: current.revision });
      }
      if (!["draft", "returned"].includes(server.status)) {
        return Object.assign(current, { status: "submitted", submitted_at: server.submitted_at, base_version: server.version });
      }
      if (!unsaved && server.version > (current.base_version || 0)) {
        return Object.assign(current, adopt(server), { saved_revision: current.revision });
      }
      return Object.assign(current, { review: server.review });
    });
    record = await Store.getReport(userId, missionId);
  }

  async function open() {
    record = await Store.getReport(userId, missionId);
    if (!record) {
      record = {
        key: Store.reportKey(userId, missionId), user_id: userId, mission_id: missionId,
        client_id: uuid(), questionnaire_id: data.questionnaire_id, answers: {}, sent_answers: {},
        revision: 0, saved_revision: 0, base_version: null, status: "draft", submit: null,
        conflict: null, errors: {}, started_at: null, ended_at: null, position: null,
        location_declined: false,
      };
      await Store.putReport(record);
    }
    fill();
    await reconcile();
    fill();
  }

  /* Ready once the local copy and the server's are reconciled; sending what waits follows. */
  async function sendWaiting() {
    await opened;
    const summary = await Sync.syncAll(userId, missionId);
    record = await Store.getReport(userId, missionId);
    render();
    return summary;
  }

  // --- the investigator's actions ----------------------------------------------------------

  function firstMissing() {
    const { visible } = visibleAnswers(record.answers);
    const errors = {};
    for (const id of visible) {
      if (byId[id].required && Conditions.isEmpty(record.answers[id])) errors[id] = ["Réponse obligatoire."];
    }
    return errors;
  }

  async function submit(event) {
    event.preventDefault();
    if (!editable()) return; /* a second tap: the submission is already queued */
    answersChanged();
    const missing = firstMissing();
    if (Object.keys(missing).length) {
      await persist(() => ({ errors: missing }));
      const first = wrapperOf(Object.keys(missing)[0]).querySelector("input, textarea");
      if (first) first.focus();
      setState(Object.keys(missing).length + " réponse(s) obligatoire(s) manquante(s).");
      return;
    }
    const now = new Date().toISOString();
    await persist((current) => {
      const ended = current.ended_at || now;
      return {
        ended_at: ended, errors: {}, refused: null,
        submit: {
          client_id: current.client_id, answers: visibleAnswers(current.answers).kept,
          started_at: current.started_at || ended, ended_at: ended, position: current.position || null,
          location_declined: Boolean(current.location_declined),
        },
      };
    });
    clearTimeout(syncTimer);
    await Sync.syncAll(userId, missionId);
    record = await Store.getReport(userId, missionId);
    render();
    $("report-banner").focus();
  }

  function bind() {
    form.addEventListener("input", (event) => {
      if (event.target.type === "file") return;
      clearTimeout(saveTimer);
      saveTimer = setTimeout(answersChanged, 250);
    });
    form.addEventListener("change", (event) => {
      if (event.target.type === "file") return;
      clearTimeout(saveTimer);
      answersChanged();
    });
    form.addEventListener("submit", submit);
    for (const question of questions) {
      const wrapper = wrapperOf(question.id);
      if (!wrapper) continue;
      if (question.type === "photo") {
        wrapper.querySelector("input[type=file]").addEventListener("change", (event) => addPhotos(question, event.target));
      } else if (question.type === "position") {
        wrapper.querySelector("button").addEventListener("click", () => positionAnswer(question));
      }
    }
    $("capture-position")?.addEventListener("click", capturePosition);
    $("decline-position")?.addEventListener("click", () =>
      persist(() => ({ position: null, location_declined: true, revision: record.revision + 1 })));
    $("cancel-submit").addEventListener("click", () => persist(() => ({ submit: null })));
    $("conflict-take-server").addEventListener("click", async () => {
      await persist((current) => Object.assign(adopt(current.conflict), { saved_revision: current.revision }));
      fill();
    });
    $("conflict-keep-mine").addEventListener("click", () =>
      persist((current) => ({ base_version: current.conflict.version, client_id: current.conflict.client_id, conflict: null, revision: current.revision + 1 })));
    root.addEventListener("barometre:sync", async () => {
      record = await Store.getReport(userId, missionId);
      if (record) render();
    });
    const flush = () => { if (saveTimer) { clearTimeout(saveTimer); answersChanged(); } };
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flush(); });
    root.addEventListener("pagehide", flush);
  }

  bind();
  const opened = open();
  root.BarometreReport = { ready: opened, synced: sendWaiting(), current: () => record };
})(window);
