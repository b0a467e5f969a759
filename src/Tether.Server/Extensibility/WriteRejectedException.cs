using Tether.Protocol;

namespace Tether.Server.Extensibility;

/// <summary>Rejects a unit of work (or a push inside one) with a protocol error; nothing of the unit is written.</summary>
public sealed class WriteRejectedException(ErrorBody error) : Exception(error.Message)
{
    /// <summary>The error the writer answers with.</summary>
    public ErrorBody Error { get; } = error;
}
