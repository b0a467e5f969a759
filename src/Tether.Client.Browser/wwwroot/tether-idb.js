// Tether's IndexedDB local store: the browser half of IndexedDbLocalStore.
// One database per store with three object stores:
//   records  key [modelName, id]   value {modelName, id, data}
//   pending  key id                value {id, name, args}
//   meta     key "metadata"        value the metadata object
// Every write is one readwrite transaction; its promise resolves on oncomplete only, so a write that fails or is
// aborted leaves the database as it was.

const SCHEMA_VERSION = 1;
const METADATA_KEY = "metadata";

function upgrade(db, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore("records", { keyPath: ["modelName", "id"] });
    db.createObjectStore("pending", { keyPath: "id" });
    db.createObjectStore("meta");
  }
  // Later schema versions add their steps here: if (oldVersion < 2) { ... }
}

/** Opens (creating or upgrading) the database `name`. */
export function open(name) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, SCHEMA_VERSION);
    request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
    request.onsuccess = () => {
      const db = request.result;
      // Another tab upgrading the schema: let it, this connection is stale.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => reject(request.error ?? new Error(`Could not open IndexedDB database ${name}.`));
    // onblocked: another tab still holds an older version open. Not an error: that tab closes its connection on
    // versionchange (above) and this request then succeeds; rejecting here would leak the connection it opens later.
  });
}

/** Closes a database opened by open(). */
export function close(db) {
  db.close();
}

/** Deletes the database `name` (tests and sign-out). */
export function remove(name) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error(`Could not delete IndexedDB database ${name}.`));
  });
}

function settle(transaction, result) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve(result());
    transaction.onerror = () => reject(transaction.error ?? new Error("IndexedDB transaction failed."));
    transaction.onabort = () => reject(transaction.error ?? new Error("IndexedDB transaction aborted."));
  });
}

/** Everything stored, read in one transaction: {metadata, records:[{modelName,id,data}], pending:[{id,name,args}]}. */
export function load(db) {
  const transaction = db.transaction(["records", "pending", "meta"], "readonly");
  let metadata = null;
  let records = [];
  let pending = [];
  transaction.objectStore("meta").get(METADATA_KEY).onsuccess = (e) => { metadata = e.target.result ?? null; };
  transaction.objectStore("records").getAll().onsuccess = (e) => { records = e.target.result; };
  // Keys are numbers, so getAll returns the queue in id order.
  transaction.objectStore("pending").getAll().onsuccess = (e) => { pending = e.target.result; };
  return settle(transaction, () => ({ metadata, records, pending }));
}

/** load() as JSON text, for callers that deserialize it themselves (IndexedDbLocalStore). */
export async function loadJson(db) {
  return JSON.stringify(await load(db));
}

/**
 * Applies one LocalWrite {clearRecords, records:[{modelName,id,data|null}], addPending:[{id,name,args}],
 * removePending:[id], metadata|null} in one readwrite transaction, in that order. Adding a pending id that is
 * already stored aborts the whole write (ids are never reused). `change` may also be that object as JSON text.
 */
export function write(db, change) {
  if (typeof change === "string") {
    change = JSON.parse(change);
  }
  const transaction = db.transaction(["records", "pending", "meta"], "readwrite");
  const done = settle(transaction, () => undefined);
  let failure = null;
  const fail = (error) => {
    if (failure === null) {
      failure = error;
      try { transaction.abort(); } catch { /* already finished */ }
    }
  };
  try {
    const records = transaction.objectStore("records");
    if (change.clearRecords) {
      records.clear();
    }
    for (const r of change.records ?? []) {
      if (r.data === null || r.data === undefined) {
        records.delete([r.modelName, r.id]);
      } else {
        records.put({ modelName: r.modelName, id: r.id, data: r.data });
      }
    }
    const pending = transaction.objectStore("pending");
    for (const p of change.addPending ?? []) {
      // add() fails with ConstraintError on an existing key, which aborts the transaction.
      const request = pending.add({ id: p.id, name: p.name, args: p.args });
      request.onerror = (event) => {
        event.preventDefault();
        fail(new Error(`Pending mutation ${p.id} is already stored; mutation ids are never reused.`));
      };
    }
    for (const id of change.removePending ?? []) {
      pending.delete(id);
    }
    if (change.metadata !== null && change.metadata !== undefined) {
      transaction.objectStore("meta").put(change.metadata, METADATA_KEY);
    }
  } catch (error) {
    fail(error);
  }
  return done.catch((error) => { throw failure ?? error; });
}
