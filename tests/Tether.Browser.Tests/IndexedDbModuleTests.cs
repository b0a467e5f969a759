using System.Text.Json;
using Microsoft.Playwright;
using Tether.Browser.Tests.Harness;

namespace Tether.Browser.Tests;

/// <summary>tether-idb.js in a real Chromium, on the server's origin (IndexedDB is kept per origin): the module is
/// read from the library's wwwroot and imported into the page from a blob URL.</summary>
public sealed class IndexedDbModuleTests
{
    private const string Import =
        "async source => { window.idb = await import(URL.createObjectURL(new Blob([source], { type: 'text/javascript' }))); }";

    private static async Task OpenOriginAsync(BrowserSession browser, BrowserServer server)
    {
        await browser.Page.GotoAsync(server.BaseAddress.ToString());
        await browser.Page.EvaluateAsync(Import, await File.ReadAllTextAsync(RepoPaths.IndexedDbModule));
    }

    /// <summary>Runs an async function in the page and parses its result as JSON (stringified in the page, so the
    /// comparison sees plain JSON and no Playwright serialization details).</summary>
    private static async Task<JsonElement> EvaluateJsonAsync(IPage page, string function)
    {
        string json = await page.EvaluateAsync<string>($"async () => JSON.stringify(await ({function})())");
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task Writes_load_back_a_failed_write_leaves_nothing_and_data_survives_a_reload()
    {
        await using BrowserSession browser = await Browsers.LaunchAsync();
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken);
        await browser.RunAsync(async () =>
        {
            IPage page = browser.Page;
            await OpenOriginAsync(browser, server);

            // A new database loads empty.
            JsonElement empty = await EvaluateJsonAsync(
                page,
                "async () => { const db = await idb.open('t1'); const s = await idb.load(db); idb.close(db); return s; }");
            Assert.Equal(JsonValueKind.Null, empty.GetProperty("metadata").ValueKind);
            Assert.Equal(0, empty.GetProperty("records").GetArrayLength());
            Assert.Equal(0, empty.GetProperty("pending").GetArrayLength());

            // One write: records, pending and metadata together; then a second one deleting and removing.
            JsonElement loaded = await EvaluateJsonAsync(page, """
                async () => {
                  const db = await idb.open('t1');
                  await idb.write(db, {
                    clearRecords: true,
                    records: [
                      { modelName: 'Issue', id: 'i1', data: '{"title":"one"}' },
                      { modelName: 'Issue', id: 'i2', data: '{"title":"two"}' },
                      { modelName: 'Team', id: 'i1', data: '{"name":"t"}' },
                    ],
                    addPending: [{ id: 1, name: 'createIssue', args: '{}' }, { id: 2, name: 'updateIssue', args: '{"a":1}' }],
                    removePending: [],
                    metadata: { clientId: 'c', userId: 'u', lastSyncId: 7, nextMutationId: 3, syncGroups: ['g'] },
                  });
                  await idb.write(db, JSON.stringify({
                    clearRecords: false,
                    records: [{ modelName: 'Issue', id: 'i2', data: null }],
                    addPending: [],
                    removePending: [1],
                    metadata: null,
                  }));
                  const s = await idb.load(db);
                  idb.close(db);
                  return s;
                }
                """);
            Assert.Equal(7, loaded.GetProperty("metadata").GetProperty("lastSyncId").GetInt64());
            string[] keys = [.. loaded.GetProperty("records").EnumerateArray()
                .Select(r => $"{r.GetProperty("modelName").GetString()}/{r.GetProperty("id").GetString()}={r.GetProperty("data").GetString()}")
                .Order(StringComparer.Ordinal)];
            Assert.Equal(["Issue/i1={\"title\":\"one\"}", "Team/i1={\"name\":\"t\"}"], keys);
            JsonElement pending = Assert.Single(loaded.GetProperty("pending").EnumerateArray());
            Assert.Equal(2, pending.GetProperty("id").GetInt64());
            Assert.Equal("updateIssue", pending.GetProperty("name").GetString());

            // A write adding an existing pending id fails as a whole: its record, removal and metadata are not applied.
            JsonElement failed = await EvaluateJsonAsync(page, """
                async () => {
                  const db = await idb.open('t1');
                  let error = null;
                  try {
                    await idb.write(db, {
                      clearRecords: true,
                      records: [{ modelName: 'Issue', id: 'i3', data: '{}' }],
                      addPending: [{ id: 3, name: 'x', args: '{}' }, { id: 2, name: 'again', args: '{}' }],
                      removePending: [],
                      metadata: { lastSyncId: 99, nextMutationId: 4 },
                    });
                  } catch (e) { error = String(e && e.message || e); }
                  const s = await idb.load(db);
                  idb.close(db);
                  return { error, snapshot: s };
                }
                """);
            Assert.Contains("already stored", failed.GetProperty("error").GetString());
            Assert.Equal(loaded.GetRawText(), failed.GetProperty("snapshot").GetRawText());

            // IndexedDB persists per origin: after a reload (a new page load, module imported again) the data is there.
            await page.ReloadAsync();
            await page.EvaluateAsync(Import, await File.ReadAllTextAsync(RepoPaths.IndexedDbModule));
            JsonElement reloaded = await EvaluateJsonAsync(
                page,
                "async () => { const db = await idb.open('t1'); const s = await idb.load(db); idb.close(db); return s; }");
            Assert.Equal(loaded.GetRawText(), reloaded.GetRawText());
            await browser.ScreenshotAsync("after-reload");
        });
    }
}
