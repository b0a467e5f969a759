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
  return inTransaction(db, (transaction, fail) => {
    const records = transaction.objectStore("records");
    if (change.clearRecords) {
      records.clear();
    }
    for (const r of change.records ?? []) {
      putOrDelete(records, r);
    }
    applyRest(transaction, change, fail);
  });
}

// How many record requests a bulk commit has outstanding at once: the next batch is issued from the success of the
// last request of the one before, which keeps the transaction active without queueing 100,000 requests at once.
const BULK_BATCH = 1000;

/**
 * Starts a bulk write: one LocalWrite whose records arrive in chunks. An IndexedDB transaction cannot stay open
 * while .NET awaits between chunks, so the chunks are staged in page memory and written by bulkCommit in one
 * transaction; a bulk write dropped before its commit writes nothing.
 */
export function beginBulk(clearRecords) {
  return { clearRecords: clearRecords === true, chunks: [], open: true };
}

/** Stages one chunk of record changes, [{modelName,id,data|null}] as JSON text (one call per chunk, not per row). */
export function bulkAdd(bulk, chunk) {
  if (!bulk.open) {
    throw new Error("The bulk write is finished.");
  }
  bulk.chunks.push(typeof chunk === "string" ? JSON.parse(chunk) : chunk);
}

/** Drops a bulk write's staged rows (it ends uncommitted, or its commit has taken them). */
export function bulkDrop(bulk) {
  bulk.open = false;
  bulk.chunks = [];
}

/**
 * Commits a bulk write in one readwrite transaction: the clear (if asked), the staged record changes in order, then
 * `last` (a LocalWrite without clearRecords, as JSON text or object) like write(). All of it or nothing.
 */
export function bulkCommit(db, bulk, last) {
  if (!bulk.open) {
    return Promise.reject(new Error("The bulk write is finished."));
  }
  if (typeof last === "string") {
    last = JSON.parse(last);
  }
  const chunks = bulk.chunks;
  const clearRecords = bulk.clearRecords;
  bulkDrop(bulk);
  return inTransaction(db, (transaction, fail) => {
    const records = transaction.objectStore("records");
    if (clearRecords) {
      records.clear();
    }
    let chunkIndex = 0;
    let rowIndex = 0;
    const issueBatch = () => {
      try {
        let request = null;
        for (let issued = 0; issued < BULK_BATCH && chunkIndex < chunks.length;) {
          const chunk = chunks[chunkIndex];
          if (rowIndex >= chunk.length) {
            // Written chunks are let go as the commit moves on, so the staged rows are freed while it runs.
            chunks[chunkIndex] = null;
            chunkIndex++;
            rowIndex = 0;
            continue;
          }
          request = putOrDelete(records, chunk[rowIndex]);
          rowIndex++;
          issued++;
        }
        if (chunkIndex < chunks.length) {
          request.onsuccess = issueBatch;
        } else {
          for (const r of last.records ?? []) {
            putOrDelete(records, r);
          }
          applyRest(transaction, last, fail);
        }
      } catch (error) {
        fail(error);
      }
    };
    issueBatch();
  });
}

function putOrDelete(records, r) {
  return r.data === null || r.data === undefined
    ? records.delete([r.modelName, r.id])
    : records.put({ modelName: r.modelName, id: r.id, data: r.data });
}

/** The pending and metadata part of a LocalWrite. */
function applyRest(transaction, change, fail) {
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
}

/**
 * Runs `body(transaction, fail)` in one readwrite transaction over all stores; resolves once it committed, rejects
 * with the first failure passed to `fail` (which aborts the transaction) or with the transaction's own error.
 */
function inTransaction(db, body) {
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
    body(transaction, fail);
  } catch (error) {
    fail(error);
  }
  return done.catch((error) => { throw failure ?? error; });
}
