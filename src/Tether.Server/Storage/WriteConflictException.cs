namespace Tether.Server.Storage;

/// <summary>
/// Thrown by a write transaction (a read, or <see cref="ITetherWriteTransaction.CommitAsync"/>) that lost a conflict
/// with a concurrent writer: the database could not order it with another transaction it overlapped (a serialization
/// failure, a deadlock, or a key the transaction read as absent that another one inserted meanwhile). Nothing of the
/// transaction was written, and running the same work again may succeed: the pipeline retries it, with backoff, a
/// push at a time and then a mutation at a time, and answers 503 only when it keeps losing.
/// </summary>
public sealed class WriteConflictException : Exception
{
    /// <summary>A conflict the database reported as <paramref name="innerException"/> (logged, never sent to a
    /// client).</summary>
    public WriteConflictException(Exception? innerException)
        : base("The write transaction conflicted with a concurrent writer; nothing of it was written.", innerException)
    {
    }

    /// <summary>A conflict described by <paramref name="message"/>.</summary>
    public WriteConflictException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
