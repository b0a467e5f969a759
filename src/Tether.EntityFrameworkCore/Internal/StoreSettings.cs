using Tether.Server.PostgreSql;
using Tether.Server.Sqlite;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>The app's settings for the built-in store that keeps Tether's own tables, per provider.</summary>
internal sealed record StoreSettings(Action<SqliteStoreOptions>? Sqlite, Action<PostgreSqlStoreOptions>? PostgreSql);
