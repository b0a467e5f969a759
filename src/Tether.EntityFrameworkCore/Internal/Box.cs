namespace Tether.EntityFrameworkCore.Internal;

/// <summary>A value a hand-built query reads from an object, as a C# closure would: EF Core then sends it as a
/// parameter (one cached query for every value) instead of writing it into the SQL as a constant.</summary>
internal sealed class Box<T>(T value)
{
    public readonly T Value = value;
}
