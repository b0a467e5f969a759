using Tether.Protocol;

namespace Tether.Server.Extensibility;

/// <summary>How a write ended.</summary>
public enum WriteStatus
{
    /// <summary>Committed; <see cref="WriteOutcome{T}.Value"/> holds the result.</summary>
    Applied,

    /// <summary>Refused for a reason the same request would meet again; nothing was written.</summary>
    Rejected,

    /// <summary>Not run, or not committed: the store failed, the server is stopping or overloaded, the user has too
    /// much queued, the write kept conflicting with concurrent ones, or the caller left. Nothing was written; a retry
    /// later may succeed. Also a write a store with concurrent writers committed but could not place in its log in
    /// time: that one was written, and a client's retry of it is answered as a duplicate.</summary>
    Unavailable,
}

/// <summary>The typed answer of <see cref="ITetherWriter"/>: applied with a value, rejected with an error, or
/// unavailable with an error and a suggested wait.</summary>
public sealed record WriteOutcome<T>
{
    private WriteOutcome(WriteStatus status, T? value, ErrorBody? error)
    {
        Status = status;
        Value = value;
        Error = error;
    }

    /// <summary>How the write ended.</summary>
    public WriteStatus Status { get; }

    /// <summary>The unit's result when <see cref="Status"/> is <see cref="WriteStatus.Applied"/>.</summary>
    public T? Value { get; }

    /// <summary>Why it was not applied (<c>rate_limited</c> and <c>unavailable</c> for <see cref="WriteStatus.Unavailable"/>);
    /// null when applied.</summary>
    public ErrorBody? Error { get; }

    /// <summary>How long a client should wait before retrying an unavailable write.</summary>
    public TimeSpan? RetryAfter => Status == WriteStatus.Unavailable ? ErrorResults.RetryAfter : null;

    /// <summary>A committed write and its result.</summary>
    public static WriteOutcome<T> Applied(T value) => new(WriteStatus.Applied, value, null);

    /// <summary>A refused write.</summary>
    public static WriteOutcome<T> Rejected(ErrorBody error) => new(WriteStatus.Rejected, default, error);

    /// <summary>A write that was not run or not committed.</summary>
    public static WriteOutcome<T> Unavailable(ErrorBody error) => new(WriteStatus.Unavailable, default, error);

    /// <summary>The same failure for a result of another type.</summary>
    public WriteOutcome<TOther> Cast<TOther>() => Status == WriteStatus.Applied
        ? throw new InvalidOperationException("An applied outcome has a value of its own type.")
        : new WriteOutcome<TOther>(Status, default, Error);
}
