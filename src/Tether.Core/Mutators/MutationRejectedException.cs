using Tether.Protocol;

namespace Tether.Mutators;

/// <summary>Thrown by a mutator to refuse a mutation; the client rolls it back. Nothing of the mutation is written.</summary>
public sealed class MutationRejectedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;

    public ErrorBody ToError() => new(Code, Message);

    public static MutationRejectedException Forbidden(string message) => new(ErrorCodes.Forbidden, message);
    public static MutationRejectedException InvalidArgs(string message) => new(ErrorCodes.InvalidArgs, message);
    public static MutationRejectedException NotFound(string message) => new(ErrorCodes.NotFound, message);
}
