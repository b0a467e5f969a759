using Tether.Server.Storage;

namespace Tether.Server.Specification;

/// <summary>Clients' lastMutationIds and the refusals kept for their retries.</summary>
public abstract partial class StoreSpecification
{
    [Fact]
    public async Task A_client_is_created_then_moved_and_keeps_its_owner()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, head => new WriteBatch { Clients = [new ClientState("c1", "u1", 1), new ClientState("c2", "u2", 9)] });
        await CommitAsync(store, head => new WriteBatch { Clients = [new ClientState("c1", "u1", 5)] });

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Assert.Equal(new ClientState("c1", "u1", 5), await snapshot.GetClientAsync("c1", Ct));
        Assert.Equal(new ClientState("c2", "u2", 9), await snapshot.GetClientAsync("c2", Ct));
        Assert.Null(await snapshot.GetClientAsync("c3", Ct));
    }

    [Fact]
    public async Task Refusals_are_kept_per_client_and_mutation_and_forgotten_below_a_mutation_id_before_new_ones_are_kept()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, head => new WriteBatch
        {
            Rejections =
            [
                new StoredRejection("c1", 1, "invalid_args", "One."),
                new StoredRejection("c1", 3, "not_found", "Three."),
                new StoredRejection("c2", 1, "forbidden", "Other client."),
            ],
        });
        await CommitAsync(store, head => new WriteBatch
        {
            // Forgetting comes first: the refusal kept in the same batch below the mark stays.
            ForgottenRejections = [new ForgottenRejections("c1", 3)],
            Rejections = [new StoredRejection("c1", 2, "internal", "Two, again.")],
        });

        await using ITetherWriteTransaction transaction = await store.BeginWriteAsync(Ct);
        Assert.Null(await transaction.GetRejectionAsync("c1", 1, Ct));
        Assert.Equal(new StoredRejection("c1", 2, "internal", "Two, again."), await transaction.GetRejectionAsync("c1", 2, Ct));
        Assert.Equal(new StoredRejection("c1", 3, "not_found", "Three."), await transaction.GetRejectionAsync("c1", 3, Ct));
        Assert.Equal(new StoredRejection("c2", 1, "forbidden", "Other client."), await transaction.GetRejectionAsync("c2", 1, Ct));
        Assert.Null(await transaction.GetRejectionAsync("c2", 2, Ct));
    }
}
