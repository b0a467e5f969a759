namespace Tether.Mutators;

/// <summary>A <see cref="Record"/> in its stored form, its JSON not parsed: what a server store streams for bootstrap
/// and what a client's local store holds as confirmed.</summary>
/// <param name="ModelName">The record's model.</param>
/// <param name="Id">The record's id within its model.</param>
/// <param name="Data">The record's JSON object as text.</param>
public sealed record StoredRecord(string ModelName, string Id, string Data);
