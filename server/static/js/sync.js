/* Sending what the phone holds, once, whatever the network does (DESIGN.md §3.11).
 *
 * For each report, in order: the draft (PUT, when it changed since the server last saw it),
 * its photos (by SHA-256), then the queued submit. Every step is idempotent on the server
 * (client UUID, photo hash, submission fingerprint), so a step whose answer was lost is
 * simply replayed. One report is synced by one task at a time (Web Locks), so a double tap,
 * the `online` event and the pending button cannot race each other. Replays happen on
 * `online`, at each page opening, from the "en attente d'envoi" button, and on a timer
 * while a failure lasts. A 401 means the session expired: nothing is dropped, the page asks
 * the investigator to sign in again and the queue is replayed after. */
(function (root) {
  "use strict";

  const Store = root.BarometreStore;
  const API = "/api/v1";
  const RETRY_SECONDS = [5, 15, 30, 60];

  class SessionExpired extends Error {}
  class Offline extends Error {}

  let csrfToken = null;
  let retryIndex = 0;
  let retryTimer = null;
  const tails = {};

  function notify(detail) {
    root.dispatchEvent(new CustomEvent("barometre:sync", { detail }));
  }

  /* One task at a time per name (a promise chain when Web Locks are missing). */
  function exclusive(name, task) {
    if (navigator.locks) return navigator.locks.request(name, task);
    const run = (tails[name] || Promise.resolve()).then(task, task);
    tails[name] = run.catch(() => null);
    return run;
  }

  async function request(method, path, body, { form } = {}) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken || "";
    let payload;
    if (form) {
      payload = form;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(API + path, {
        method, headers, body: payload, credentials: "same-origin", cache: "no-store",
      });
    } catch (error) {
      throw new Offline(error.message);
    }
    if (response.status === 401) throw new SessionExpired();
    if (response.status >= 500 || response.status === 0) throw new Offline("HTTP " + response.status);
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    return { status: response.status, ok: response.ok, data: data || {} };
  }

  /* The session is alive (and its CSRF token known) before any write is tried. */
  async function ensureSession() {
    if (!navigator.onLine) throw new Offline("hors ligne");
    const { ok, data } = await request("GET", "/auth/me");
    if (!ok || !data.csrf_token) throw new SessionExpired();
    csrfToken = data.csrf_token;
    return data;
  }

  async function write(method, path, body, options) {
    let answer = await request(method, path, body, options);
    if (answer.status === 403 && /CSRF/.test(answer.data.message || "")) {
      await ensureSession(); /* a token from before a new sign-in: fetch the current one */
      answer = await request(method, path, body, options);
    }
    return answer;
  }

  function payloadOf(record, visibleAnswers) {
    return {
      client_id: record.client_id,
      answers: visibleAnswers,
      base_version: record.base_version || null,
      started_at: record.started_at || null,
      ended_at: record.ended_at || null,
      position: record.position || null,
      location_declined: Boolean(record.location_declined),
      client_time: new Date().toISOString(),
    };
  }

  function update(record, change) {
    return Store.updateReport(record.user_id, record.mission_id, (current) => {
      if (!current) return null;
      return Object.assign(current, change(current));
    });
  }

  /* Problems only the investigator can settle: shown on the page, not retried. */
  function settle(record, answer) {
    const errors = answer.data.errors || {};
    if (answer.status === 409 && errors.server) {
      return update(record, () => ({ conflict: errors.server }));
    }
    if (answer.status === 422 && errors.answers) {
      return update(record, () => ({ errors: errors.answers, submit: null, refused: answer.data.message }));
    }
    return update(record, () => ({ refused: answer.data.message || ("Refusé (" + answer.status + ")"), submit: null }));
  }

  async function saveDraft(record) {
    const revision = record.revision;
    const answer = await write("PUT", "/missions/" + record.mission_id + "/report",
      payloadOf(record, record.sent_answers || {}));
    if (!answer.ok) return settle(record, answer).then(() => false);
    await update(record, (current) => ({
      base_version: answer.data.version,
      server_status: answer.data.status,
      saved_revision: Math.max(current.saved_revision || 0, revision),
      errors: current.revision === revision ? {} : current.errors,
      refused: null,
    }));
    return true;
  }

  async function sendPhotos(record) {
    const photos = await Store.photosOf(record.user_id, record.mission_id);
    for (const photo of photos.filter((p) => !p.uploaded && !p.refused)) {
      const form = new FormData();
      form.append("file", photo.blob, photo.sha256 + ".jpg");
      form.append("sha256", photo.sha256);
      if (photo.question_id) form.append("question_id", photo.question_id);
      if (photo.taken_at) form.append("taken_at", photo.taken_at);
      const answer = await write("POST", "/missions/" + record.mission_id + "/report/photos",
        undefined, { form });
      photo.uploaded = answer.ok;
      photo.refused = answer.ok ? null : (answer.data.message || "Photo refusée.");
      if (answer.ok) photo.photo_id = answer.data.id;
      await Store.putPhoto(photo);
    }
    const left = (await Store.photosOf(record.user_id, record.mission_id)).filter((p) => !p.uploaded);
    return left;
  }

  async function sendSubmit(record) {
    const body = Object.assign({}, record.submit, { base_version: record.base_version || null,
      client_time: new Date().toISOString() });
    const answer = await write("POST", "/missions/" + record.mission_id + "/report/submit", body);
    if (!answer.ok) return settle(record, answer);
    /* The server holds the photos of a submitted report: the phone's copies can go. */
    for (const photo of await Store.photosOf(record.user_id, record.mission_id)) {
      if (photo.uploaded) await Store.deletePhoto(photo.key);
    }
    return update(record, () => ({
      submit: null, status: "submitted", server_status: answer.data.status,
      base_version: answer.data.version, submitted_at: answer.data.submitted_at,
      saved_revision: record.revision, errors: {}, refused: null, review: null,
    }));
  }

  async function syncRecord(userId, missionId) {
    return exclusive("barometre-report-" + userId + "-" + missionId, async () => {
      let record = await Store.getReport(userId, missionId);
      if (!record || record.conflict) return record;
      const unsaved = record.revision !== record.saved_revision;
      /* A page merely opened sends nothing: a report exists once something was typed. */
      if (record.status !== "submitted" && record.revision > 0 && (unsaved || !record.base_version)) {
        if (!(await saveDraft(record))) return Store.getReport(userId, missionId);
        record = await Store.getReport(userId, missionId);
      }
      if (!record.base_version) return record;
      const left = await sendPhotos(record);
      record = await Store.getReport(userId, missionId);
      if (record.submit) {
        if (left.length) {
          return update(record, () => ({
            refused: left.some((p) => p.refused)
              ? "Une photo a été refusée : retirez-la ou remplacez-la, puis renvoyez."
              : null,
          }));
        }
        record = await sendSubmit(record);
      }
      return record;
    });
  }

  async function sendWrites(userId) {
    for (const item of await Store.writesOf(userId)) {
      if (item.refused) continue;
      const answer = await write("POST", item.url, item.body);
      if (answer.ok) {
        await Store.deleteWrite(item.id);
      } else {
        item.refused = answer.data.message || ("Refusé (" + answer.status + ")");
        await Store.putWrite(item);
      }
    }
  }

  function scheduleRetry(userId) {
    clearTimeout(retryTimer);
    const seconds = RETRY_SECONDS[Math.min(retryIndex, RETRY_SECONDS.length - 1)];
    retryIndex += 1;
    retryTimer = setTimeout(() => syncAll(userId), seconds * 1000);
  }

  /* Send everything this investigator's phone holds; resolves with a summary for the page. */
  async function syncAll(userId, onlyMission) {
    const summary = { sessionExpired: false, offline: false };
    try {
      await ensureSession();
      const records = await Store.reportsOf(userId);
      for (const record of records) {
        if (onlyMission && record.mission_id !== onlyMission) continue;
        await syncRecord(userId, record.mission_id);
      }
      await sendWrites(userId);
      retryIndex = 0;
    } catch (error) {
      if (error instanceof SessionExpired) {
        summary.sessionExpired = true;
      } else if (error instanceof Offline) {
        summary.offline = true;
        scheduleRetry(userId);
      } else {
        summary.offline = true;
        scheduleRetry(userId);
        console.error(error);
      }
    }
    summary.pending = await pendingCount(userId);
    notify(summary);
    return summary;
  }

  /* Reports whose submission waits, and replies not yet sent. */
  async function pendingCount(userId) {
    const records = await Store.reportsOf(userId);
    const writes = await Store.writesOf(userId);
    return records.filter((r) => r.submit).length + writes.filter((w) => !w.refused).length;
  }

  /* The server's copy of the report, or null before any (or offline). */
  async function serverReport(missionId) {
    try {
      const answer = await request("GET", "/missions/" + missionId + "/report");
      return answer.ok ? answer.data : null;
    } catch (error) {
      return null;
    }
  }

  root.BarometreSync = { syncAll, pendingCount, serverReport, SessionExpired };
})(window);
