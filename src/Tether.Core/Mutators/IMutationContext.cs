using System.Text.Json.Nodes;

namespace Tether.Mutators;

/// <summary>
/// What a mutator may read and write. On the server every call runs inside the mutation's transaction; on the client
/// it runs on the optimistic view. Writes create the sync actions; a mutator never creates them itself.
/// </summary>
public interface IMutationContext
{
    /// <summary>The authenticated user who sent the mutation.</summary>
    string UserId { get; }

    /// <summary>True on the server (the result is the truth), false for the client's optimistic run.</summary>
    bool IsAuthoritative { get; }

    /// <summary>The time of this run; on the server, the commit batch's clock.</summary>
    DateTimeOffset Now { get; }

    /// <summary>The sync groups the calling user may read, as resolved at the start of this mutation.</summary>
    IReadOnlySet<string> UserSyncGroups { get; }

    /// <summary>Reads a record, or null when there is none.</summary>
    ValueTask<Record?> GetAsync(string modelName, string id, CancellationToken cancellationToken = default);

    /// <summary>Reads every record of a model that belongs to a sync group.</summary>
    ValueTask<IReadOnlyList<Record>> ListAsync(string modelName, string syncGroup, CancellationToken cancellationToken = default);

    /// <summary>Creates a record in the given sync groups. Refused with <c>invalid_args</c> if the id exists.</summary>
    ValueTask InsertAsync(string modelName, string id, JsonObject data, IReadOnlyCollection<string> syncGroups, CancellationToken cancellationToken = default);

    /// <summary>Sets the fields of <paramref name="patch"/> on an existing record (other fields stay). Refused with
    /// <c>not_found</c> if it does not exist. <paramref name="syncGroups"/>, when given, replaces the record's groups.</summary>
    ValueTask UpdateAsync(string modelName, string id, JsonObject patch, IReadOnlyCollection<string>? syncGroups = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes a record. Refused with <c>not_found</c> if it does not exist.</summary>
    ValueTask DeleteAsync(string modelName, string id, CancellationToken cancellationToken = default);

    /// <summary>Says that the sync groups of <paramref name="userId"/> change with this mutation (a membership was
    /// added or removed), so that their live connections re-resolve them at this point of the log: right before the
    /// mutation's first sync action. A mutation that calls it must also write a record (the membership), or no
    /// connection learns of the change until it reconnects.</summary>
    void SyncGroupsChanged(string userId);

    /// <summary>As <see cref="SyncGroupsChanged(string)"/>, and says exactly which groups <paramref name="userId"/>
    /// gains and loses. For a change that only grants, the server then adds the groups to the user's set instead of
    /// asking the app's group resolver again, which costs as much as the user has groups: prefer this form whenever
    /// the mutator knows the change (a membership of one team is one group). A revocation is always resolved again.</summary>
    void SyncGroupsChanged(string userId, IReadOnlyCollection<string> granted, IReadOnlyCollection<string> revoked)
        => SyncGroupsChanged(userId);
}
