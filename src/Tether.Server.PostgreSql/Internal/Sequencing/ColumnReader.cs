using Npgsql.Replication.PgOutput;

namespace Tether.Server.PostgreSql.Internal.Sequencing;

/// <summary>Reads the values of one column as the CLR type a table asks for. Made once per column, so the value read
/// is a plain generic call, with no reflection per value.</summary>
internal abstract class ColumnReader(string name, Type clrType)
{
    public string Name => name;

    public Type ClrType => clrType;

    /// <summary>Reads a value that is neither NULL nor an unchanged TOAST value.</summary>
    public abstract ValueTask<object?> ReadAsync(ReplicationValue value, CancellationToken cancellationToken);

    public static ColumnReader For(string name, Type clrType)
    {
        // A nullable column's values arrive as the underlying type; NULL is told apart before the read.
        Type read = Nullable.GetUnderlyingType(clrType) ?? clrType;
        return (ColumnReader)Activator.CreateInstance(typeof(ColumnReader<>).MakeGenericType(read), name)!;
    }
}

internal sealed class ColumnReader<T>(string name) : ColumnReader(name, typeof(T))
{
    public override async ValueTask<object?> ReadAsync(ReplicationValue value, CancellationToken cancellationToken)
        => await value.Get<T>(cancellationToken).ConfigureAwait(false);
}
