namespace Tether.Server.Storage;

/// <summary>
/// Thrown by <see cref="ITetherWriteTransaction.CommitAsync"/> when the database refused a record for good: the row
/// breaks a rule of the table that holds it (a NOT NULL, length, check, unique or foreign-key constraint of an app's
/// table, or a trigger that raises). Nothing of the batch was written. The same batch would be refused again, so the
/// pipeline commits the batch's mutations one by one and rejects the one the database refuses (<c>invalid_args</c>)
/// instead of answering every retry 503; any other failure of a commit is taken as transient.
/// </summary>
public sealed class RecordRefusedException : Exception
{
    /// <summary>The database refused the record <paramref name="id"/> of <paramref name="modelName"/>; the database's
    /// own error is <paramref name="innerException"/>, which is logged but never sent to a client.</summary>
    public RecordRefusedException(string modelName, string id, Exception? innerException)
        : base($"The database refused the {modelName} '{id}'.", innerException)
    {
        ModelName = modelName;
        Id = id;
    }

    /// <summary>The model of the refused record.</summary>
    public string ModelName { get; }

    /// <summary>The id of the refused record.</summary>
    public string Id { get; }
}
