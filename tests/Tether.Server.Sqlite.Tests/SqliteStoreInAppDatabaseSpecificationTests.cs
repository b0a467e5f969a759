namespace Tether.Server.Sqlite.Tests;

/// <summary>The store specification on a file that was an app's database first, with tables named like the store's
/// own were before they had a prefix.</summary>
public sealed class SqliteStoreInAppDatabaseSpecificationTests() : SqliteStoreSpecificationTests(inAppDatabase: true);
