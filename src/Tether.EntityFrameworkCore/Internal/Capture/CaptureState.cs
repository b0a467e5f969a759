using System.Data.Common;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Tether.EntityFrameworkCore.Internal.Capture;

/// <summary>What the capture knows of the transaction open on one of the app's connections, from before it begins
/// until it ends.</summary>
internal sealed class CaptureState
{
    private readonly HashSet<(string Model, string Id)> _seen = [];

    /// <summary>This process's turn to write, held from before the transaction began until it ends; null when the
    /// transaction began before Tether's tables were ready.</summary>
    public IAsyncDisposable? Turn { get; set; }

    /// <summary>The transaction, once EF Core began it.</summary>
    public DbTransaction? Transaction { get; set; }

    /// <summary>The head locked in this transaction, once it wrote a synced row.</summary>
    public long? Head { get; set; }

    /// <summary>The rows the transaction wrote, in the order it first wrote them, with what readers saw before.</summary>
    public List<(ICapturedModel Model, string Id, RowImage? Before)> Touched { get; } = [];

    /// <summary>Entities the running SaveChanges inserts, whose key the database may give only when it writes the
    /// row: they are noted once it has.</summary>
    public List<(ICapturedModel Model, EntityEntry Entry)> Inserted { get; } = [];

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

    /// <summary>Notes the inserts of a SaveChanges that wrote them: their rows did not exist before (a key taken
    /// then would have refused them), unless this transaction deleted them first, which it noted then.</summary>
    public void NoteInserted()
    {
        foreach ((ICapturedModel model, EntityEntry entry) in Inserted)
        {
            Touch(model, model.IdOf(entry), null);
        }
        Inserted.Clear();
    }
}
