using System.Runtime.CompilerServices;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

internal static class UsePostgres
{
    /// <summary>Every <see cref="TestServer"/> of this assembly runs on a fresh PostgreSQL database.</summary>
    [ModuleInitializer]
    internal static void Switch() => TestStorage.UsePostgres = true;
}
