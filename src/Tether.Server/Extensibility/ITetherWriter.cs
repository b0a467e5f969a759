using Tether.Protocol;

namespace Tether.Server.Extensibility;

/// <summary>
/// The server's writer, for front ends: every write of every front end runs in one of its group commits, so
/// all writes share one total order (<c>syncId</c>) and one fair share per user. Resolve it from the host's services
/// after <c>AddTether()</c>.
/// </summary>
public interface ITetherWriter
{
    /// <summary>Runs a client's push under its mutation-id sequence (ids at or below the client's last one are answered
    /// as duplicates, a gap is refused) with the registered mutators. A long push may be committed in several slices,
    /// in order; <paramref name="callerGone"/> withdraws what has not run yet.</summary>
    Task<WriteOutcome<PushResult>> PushAsync(string userId, PushRequest request, CancellationToken callerGone = default);

    /// <summary>Runs <paramref name="unit"/> once, whole, in the next group commit: everything it writes is committed
    /// together or not at all. The unit rejects itself by throwing <see cref="WriteRejectedException"/> or
    /// <see cref="Tether.Mutators.MutationRejectedException"/>; any other exception is the unit's bug and answers
    /// <c>internal</c>. The unit may run more than once (a failed commit is retried), so it must only write through
    /// <see cref="IWriteScope"/>.</summary>
    Task<WriteOutcome<T>> WriteAsync<T>(WriteOptions options, Func<IWriteScope, CancellationToken, ValueTask<T>> unit, CancellationToken callerGone = default);
}
