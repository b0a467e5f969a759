using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tether.Protocol;
using Tether.Server.Internal;
using Tether.Server.Internal.Pipeline;

namespace Tether.Server.Tests;

/// <summary>Several writer loops take batches from one queue. A user with a slice in a transaction that has not ended
/// stays out of every batch until that batch is released, so one user's mutations reach the store in order, while
/// other users' go to other writers meanwhile.</summary>
public sealed class WriterQueueTests : IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly TetherMetrics _metrics;

    public WriterQueueTests() => _metrics = new TetherMetrics(_services.GetRequiredService<IMeterFactory>());

    public void Dispose()
    {
        _metrics.Dispose();
        _services.Dispose();
    }

    private WriterQueue Queue(int perUser = 1_000) => new(Options.Create(new TetherServerOptions { Limits = { MaxMutationsPerUserPerCommit = perUser } }), _metrics);

    private static WriterWork Push(string user, string clientId, int firstId, int count = 1)
        => new(user, new PushRequest(clientId, [.. Enumerable.Range(firstId, count).Select(id => new Mutation(id, "m", default(JsonElement)))]), user, CancellationToken.None);

    private static List<WriterSlice> Take(WriterQueue queue, int maxMutations = 1_000)
    {
        var batch = new List<WriterSlice>();
        queue.TakeBatch(batch, maxMutations);
        return batch;
    }

    /// <summary>What the pipeline does once a batch's transaction ended: the rest of a sliced push goes back first,
    /// then its users are released.</summary>
    private static void Ended(WriterQueue queue, List<WriterSlice> batch)
    {
        foreach (WriterSlice slice in batch.Where(slice => slice.Work.Remaining > 0))
        {
            queue.Requeue(slice.Work);
        }
        queue.Release(batch);
    }

    private static string[] Owners(List<WriterSlice> batch) => [.. batch.Select(slice => slice.Work.Owner)];

    [Fact]
    public void A_user_with_a_slice_in_flight_is_left_out_of_the_next_batch_until_the_first_is_released()
    {
        WriterQueue queue = Queue();
        Assert.Null(queue.TryEnqueue(Push("alice", "a1", 1)));
        List<WriterSlice> first = Take(queue);
        Assert.Null(queue.TryEnqueue(Push("alice", "a1", 2)));
        Assert.Null(queue.TryEnqueue(Push("bob", "b1", 1)));

        List<WriterSlice> second = Take(queue);
        queue.Release(first);
        List<WriterSlice> third = Take(queue);

        Assert.Equal(["alice"], Owners(first));
        Assert.Equal(["bob"], Owners(second));
        Assert.Equal(["alice"], Owners(third));
        Assert.Equal(2, third[0].Request!.Mutations[0].Id);
    }

    [Fact]
    public void The_rest_of_a_sliced_push_put_back_before_the_release_comes_before_the_users_later_push()
    {
        WriterQueue queue = Queue(perUser: 2);
        WriterWork longPush = Push("alice", "a1", 1, count: 5);
        Assert.Null(queue.TryEnqueue(longPush));
        List<WriterSlice> first = Take(queue);
        Assert.Null(queue.TryEnqueue(Push("alice", "a1", 6)));
        Assert.Empty(Take(queue));

        Ended(queue, first);
        List<WriterSlice> second = Take(queue);
        Ended(queue, second);
        List<WriterSlice> third = Take(queue);
        Ended(queue, third);
        List<WriterSlice> fourth = Take(queue);

        long[] ids = [.. new[] { first, second, third, fourth }.SelectMany(batch => batch).SelectMany(slice => slice.Request!.Mutations).Select(m => m.Id)];
        Assert.Equal([1, 2, 3, 4, 5, 6], ids);
    }

    [Fact]
    public void A_released_user_goes_back_behind_the_users_who_waited_meanwhile()
    {
        WriterQueue queue = Queue();
        Assert.Null(queue.TryEnqueue(Push("alice", "a1", 1)));
        List<WriterSlice> first = Take(queue);
        Assert.Null(queue.TryEnqueue(Push("alice", "a1", 2)));
        Assert.Null(queue.TryEnqueue(Push("bob", "b1", 1)));
        Assert.Null(queue.TryEnqueue(Push("carol", "c1", 1)));

        queue.Release(first);
        List<WriterSlice> next = Take(queue, maxMutations: 3);

        Assert.Equal(["bob", "carol", "alice"], Owners(next));
    }

    [Fact]
    public void A_release_after_the_queue_completed_puts_nothing_back()
    {
        WriterQueue queue = Queue();
        Assert.Null(queue.TryEnqueue(Push("alice", "a1", 1)));
        List<WriterSlice> first = Take(queue);
        Assert.Null(queue.TryEnqueue(Push("alice", "a1", 2)));

        List<WriterWork> left = queue.Complete();
        queue.Release(first);

        Assert.Single(left);
        Assert.Empty(Take(queue));
        Assert.Equal(0, queue.QueuedPushes);
    }

    [Fact]
    public async Task Two_waiting_writers_both_get_work_when_two_users_queue()
    {
        WriterQueue queue = Queue();
        using var stop = new CancellationTokenSource(HangGuard);
        Task<bool> firstWaits = queue.WaitAsync(stop.Token).AsTask();
        Task<bool> secondWaits = queue.WaitAsync(stop.Token).AsTask();
        Assert.Null(queue.TryEnqueue(Push("alice", "a1", 1)));
        Assert.Null(queue.TryEnqueue(Push("bob", "b1", 1)));

        Task<bool> woken = await Task.WhenAny(firstWaits, secondWaits);
        Assert.True(await woken);
        List<WriterSlice> one = Take(queue, maxMutations: 1);
        Task<bool> other = woken == firstWaits ? secondWaits : firstWaits;
        Assert.True(await other);
        List<WriterSlice> two = Take(queue, maxMutations: 1);

        Assert.Equal(["alice", "bob"], Owners([.. one, .. two]));
    }

    [Fact]
    public async Task A_writer_waiting_while_the_only_queued_user_is_in_flight_is_woken_by_the_release()
    {
        WriterQueue queue = Queue();
        Assert.Null(queue.TryEnqueue(Push("alice", "a1", 1)));
        List<WriterSlice> first = Take(queue);
        Assert.Null(queue.TryEnqueue(Push("alice", "a1", 2)));
        using var stop = new CancellationTokenSource(HangGuard);
        Task<bool> waits = queue.WaitAsync(stop.Token).AsTask();
        Assert.Empty(Take(queue));

        queue.Release(first);

        Assert.True(await waits);
        Assert.Equal(["alice"], Owners(Take(queue)));
    }
}
