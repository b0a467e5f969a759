using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Tether.EntityFrameworkCore.Internal.Capture;

/// <summary>What the capture knows of the transaction open on one of the app's connections.</summary>
internal sealed class CaptureState
{
    private readonly HashSet<(string Model, string Id)> _seen = [];

    /// <summary>This process's turn to write, held from before the transaction began until it ends.</summary>
    public IAsyncDisposable? Turn { get; set; }

    /// <summary>The head locked in this transaction, once it wrote a synced row.</summary>
    public long? Head { get; set; }

    /// <summary>Synced entries of a SaveChanges whose transaction EF has not begun yet.</summary>
    public List<EntityEntry>? Waiting { get; set; }

    /// <summary>The rows the transaction wrote, in the order it first wrote them, with what readers saw before.</summary>
    public List<(ICapturedModel Model, string Id, RowImage? Before)> Touched { get; } = [];

    /// <summary>Inserted entities whose key the database may give only when the row is written.</summary>
    public List<(ICapturedModel Model, object Entity)> Added { get; } = [];

    /// <summary>True once sync actions were appended, so the tailer is woken after the commit.</summary>
    public bool Appended { get; set; }

    public bool HasSeen(ICapturedModel model, string id) => _seen.Contains((model.Name, id));

    public void Touch(ICapturedModel model, string id, RowImage? before)
    {
        if (_seen.Add((model.Name, id)))
        {
            Touched.Add((model, id, before));
        }
    }
}
