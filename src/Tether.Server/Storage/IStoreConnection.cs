using System.Data.Common;

namespace Tether.Server.Storage;

/// <summary>
/// A store's write transaction or read snapshot that runs on one ADO.NET connection. An extension that keeps records
/// in the app's own tables (<c>Tether.EntityFrameworkCore</c>) runs its statements here, so that they read the same
/// snapshot and commit atomically with the store's own. The connection goes back to the store's pool as it is: change
/// settings for the transaction only (<c>SET LOCAL</c>), never for the session.
/// </summary>
public interface IStoreConnection
{
    /// <summary>The open connection; it belongs to the store, and is valid until the transaction or snapshot ends.</summary>
    DbConnection Connection { get; }

    /// <summary>The ADO.NET transaction to give commands, or null when the store began its transaction with SQL and
    /// commands need none (SQLite, whose transactions belong to the connection).</summary>
    DbTransaction? Transaction { get; }
}
