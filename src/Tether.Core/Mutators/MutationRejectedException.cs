using Tether.Protocol;

namespace Tether.Mutators;

/// <summary>Thrown by a mutator to refuse a mutation; the client rolls it back. Nothing of the mutation is written.</summary>
/// <param name="code">One of <see cref="ErrorCodes"/>, sent to the client as the rejection's code.</param>
/// <param name="message">A sentence for the client's developer; it is sent as it is, so it must not hold secrets.</param>
public sealed class MutationRejectedException(string code, string message) : Exception(message)
{
    /// <summary>The rejection's error code, one of <see cref="ErrorCodes"/>.</summary>
    public string Code { get; } = code;

    /// <summary>The error the client receives for this rejection.</summary>
    public ErrorBody ToError() => new(Code, Message);

    /// <summary>A refusal because the user may not make this change (<c>forbidden</c>).</summary>
    public static MutationRejectedException Forbidden(string message) => new(ErrorCodes.Forbidden, message);

    /// <summary>A refusal because the arguments are wrong (<c>invalid_args</c>).</summary>
    public static MutationRejectedException InvalidArgs(string message) => new(ErrorCodes.InvalidArgs, message);

    /// <summary>A refusal because a record the mutation needs does not exist (<c>not_found</c>).</summary>
    public static MutationRejectedException NotFound(string message) => new(ErrorCodes.NotFound, message);
}
