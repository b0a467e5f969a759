using Tether.Mutators;
using Tether.Protocol;

namespace Tether.Server.Extensibility;

/// <summary>What a unit of work (<see cref="ITetherWriter.WriteAsync{T}"/>) can do inside the writer's open
/// transaction. Valid only while the unit runs.</summary>
public interface IWriteScope
{
    /// <summary>The user the unit runs as (<see cref="WriteOptions.UserId"/>).</summary>
    string UserId { get; }

    /// <summary>The transaction's clock: the same instant for every write of the commit.</summary>
    DateTimeOffset Now { get; }

    /// <summary>The last syncId written so far, by this commit included. On a store that gives syncIds after the
    /// commit (<see cref="Storage.CommittedBatch.SequencedLater"/>) it is provisional: the actions may end elsewhere.</summary>
    long Head { get; }

    /// <summary>Runs a client's mutations under its mutation-id sequence, as <see cref="ITetherWriter.PushAsync"/> does
    /// but never sliced. A refusal of the whole push (the client belongs to another user, or a gap in its ids) is
    /// thrown as <see cref="WriteRejectedException"/> carrying the protocol's error.</summary>
    ValueTask<PushResult> PushAsync(PushRequest request, CancellationToken cancellationToken);

    /// <summary>Runs a write of the front end's own, not a registered mutator: <paramref name="mutation"/> reads and
    /// writes records through the <see cref="IMutationContext"/> (every write appends its sync action, attributed to
    /// <paramref name="clientId"/>). When it throws, what it wrote is undone and the exception goes on to the
    /// caller.</summary>
    ValueTask<T> MutateAsync<T>(string clientId, Func<IMutationContext, CancellationToken, ValueTask<T>> mutation, CancellationToken cancellationToken);
}
