/* The phone's own copy of every report and photo, in IndexedDB: written as the investigator
 * types, before anything goes over the network, and kept until the server acknowledged it.
 * Service-worker updates never touch it (caches and IndexedDB are separate stores).
 *
 * reports: one record per (user, mission): {key, user_id, mission_id, client_id, answers,
 *   started_at, ended_at, position, location_declined, base_version, revision, saved_revision,
 *   status, submit (the frozen payload of a queued submit, or null), conflict, errors}
 * photos: one record per (user, mission, SHA-256): {key, user_id, mission_id, question_id,
 *   sha256, blob, taken_at, uploaded}
 * writes: other queued JSON writes (a reply received): {id, user_id, mission_id, url, body} */
(function (root) {
  "use strict";

  const DB_NAME = "barometre";
  const DB_VERSION = 1;
  let opening = null;

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          if (!db.objectStoreNames.contains("reports")) {
            db.createObjectStore("reports", { keyPath: "key" }).createIndex("user", "user_id");
          }
          if (!db.objectStoreNames.contains("photos")) {
            const photos = db.createObjectStore("photos", { keyPath: "key" });
            photos.createIndex("mission", ["user_id", "mission_id"]);
          }
          if (!db.objectStoreNames.contains("writes")) {
            db.createObjectStore("writes", { keyPath: "id", autoIncrement: true })
              .createIndex("user", "user_id");
          }
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
        request.onblocked = () => reject(new Error("IndexedDB bloquée par un autre onglet"));
      });
    }
    return opening;
  }

  function promised(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(storeName, mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(storeName, mode);
      let result;
      Promise.resolve(work(transaction.objectStore(storeName))).then((value) => { result = value; });
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error || new Error("transaction annulée"));
    });
  }

  const reportKey = (userId, missionId) => userId + ":" + missionId;

  const Store = {
    reportKey,
    getReport: (userId, missionId) =>
      run("reports", "readonly", (store) => promised(store.get(reportKey(userId, missionId)))),
    putReport: (record) => run("reports", "readwrite", (store) => promised(store.put(record))),
    /* Read, change and write one report in a single transaction, so two tabs or a sync
     * finishing while the investigator types never undo each other's change. */
    updateReport: (userId, missionId, change) =>
      run("reports", "readwrite", async (store) => {
        const current = await promised(store.get(reportKey(userId, missionId)));
        const next = change(current);
        if (next) await promised(store.put(next));
        return next || current;
      }),
    reportsOf: (userId) =>
      run("reports", "readonly", (store) => promised(store.index("user").getAll(userId))),
    putPhoto: (record) => run("photos", "readwrite", (store) => promised(store.put(record))),
    deletePhoto: (key) => run("photos", "readwrite", (store) => promised(store.delete(key))),
    photosOf: (userId, missionId) =>
      run("photos", "readonly", (store) =>
        promised(store.index("mission").getAll([userId, missionId]))),
    addWrite: (record) => run("writes", "readwrite", (store) => promised(store.add(record))),
    putWrite: (record) => run("writes", "readwrite", (store) => promised(store.put(record))),
    deleteWrite: (id) => run("writes", "readwrite", (store) => promised(store.delete(id))),
    writesOf: (userId) =>
      run("writes", "readonly", (store) => promised(store.index("user").getAll(userId))),
  };

  root.BarometreStore = Store;
})(window);
