namespace Tether.Server.Extensibility;

/// <summary>Who a unit of work runs as and who pays for it.</summary>
public sealed record WriteOptions
{
    /// <summary>The user the unit's mutations run as: their sync groups decide what they may read and write.</summary>
    public required string UserId { get; init; }

    /// <summary>Whose fair share of the writer the unit uses: the authenticated caller; <see cref="UserId"/> when
    /// null. A front end that writes as one identity of its own charges each caller here.</summary>
    public string? Owner { get; init; }

    /// <summary>What the unit costs its owner's share, in mutations (at least 1): it counts against the owner's queue
    /// limit and turn. A unit is never split: a costly one uses its owner's turn whole.</summary>
    public int Cost { get; init; } = 1;
}
