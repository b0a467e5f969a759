namespace Tether.Server.Internal.Pipeline;

/// <summary>A failure of the store seen while a mutator ran. It must not be mistaken for a bug of the mutator (which
/// would consume the mutation as <c>internal</c>): the whole batch is abandoned and answered with 503.</summary>
internal sealed class StoreFailureException(Exception inner) : Exception("The store failed during a mutation.", inner);
