using System.Text.Json.Nodes;

namespace Tether.Server.Storage;

/// <summary>
/// The models whose records live in the app's own tables rather than as Tether's JSON records
/// (<c>Tether.EntityFrameworkCore</c> registers one). A record such a model's mutator writes takes the shape its
/// table gives it: the JSON the row will serve, and the sync groups its columns put it in.
/// </summary>
public interface IAppRecordModels
{
    /// <summary>True when the records of <paramref name="modelName"/> live in the app's tables.</summary>
    bool Owns(string modelName);

    /// <summary>The record as its row will hold it: its JSON (the fields the model syncs, <c>id</c> included) and its
    /// sync groups by the model's rules. Throws <see cref="Tether.Mutators.MutationRejectedException"/>
    /// (<c>invalid_args</c>) when the data does not fit the row.</summary>
    AppRecordShape Shape(string modelName, string id, JsonObject data);
}

/// <summary>A record in the shape its row gives it: <paramref name="Data"/> is its JSON text, and
/// <paramref name="SyncGroups"/> the groups the model's rules put it in.</summary>
public sealed record AppRecordShape(string Data, IReadOnlyList<string> SyncGroups);
