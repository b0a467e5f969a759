using Tether.Protocol;
using Tether.Server.Internal.Auth;

namespace Tether.Server.Internal.Pipeline;

/// <summary>Checks the shape of a push before it reaches the writer, so the writer only sees well-formed batches.</summary>
internal static class PushValidation
{

    public static ErrorBody? Validate(PushRequest request, TetherLimits limits)
    {
        if (!ClientIds.IsValid(request.ClientId))
        {
            return Bad(ClientIds.Rule);
        }
        if (request.Mutations.Count > limits.MaxBatchSize)
        {
            return new ErrorBody(ErrorCodes.PayloadTooLarge, $"A push carries at most {limits.MaxBatchSize} mutations.");
        }
        for (int i = 0; i < request.Mutations.Count; i++)
        {
            Mutation? mutation = request.Mutations[i];
            if (mutation is null)
            {
                return Bad("A mutation is an object, not null.");
            }
            if (mutation.Id < 1)
            {
                return Bad("Mutation ids start at 1.");
            }
            if (i > 0 && mutation.Id != request.Mutations[i - 1]!.Id + 1)
            {
                return Bad("Mutation ids of a push are consecutive and ascending.");
            }
            if (string.IsNullOrEmpty(mutation.Name) || mutation.Name.Length > limits.MaxMutatorNameLength)
            {
                return Bad($"A mutation name has 1 to {limits.MaxMutatorNameLength} characters.");
            }
        }
        return null;
    }

    private static ErrorBody Bad(string message) => new(ErrorCodes.BadRequest, message);
}
