using Tether.Client;
using Tether.Client.Sqlite;

string user = args[0];
await using TetherClient client = await TetherClient.StartAsync(new TetherClientOptions
{
    ServerUrl = new Uri(Environment.GetEnvironmentVariable("TODO_SYNC_URL") ?? "http://localhost:5000/sync/"),
    UserId = user,
    TokenProvider = _ => ValueTask.FromResult("dev:" + user),       // your sign-in's JWT outside Development
    Mutators = [new AddTodo()],
    Store = await SqliteLocalStore.OpenAsync($"{user}.db"),         // the offline queue survives restarts
});
using ILiveQuery<Todo> todos = client.Query("todo", TodoJson.Default.Todo);
todos.Changed += (_, _) => Console.WriteLine($"{user}'s to-dos: {string.Join(", ", todos.Current.Select(t => t.Title))}");
if (args.Length > 1)
{
    MutationHandle added = await client.MutateAsync("addTodo", new AddTodoArgs(Guid.NewGuid().ToString("N"), args[1]), TodoJson.Default.AddTodoArgs);
    Console.WriteLine($"Saved by the server at syncId {await added.Confirmed}.");
}
Console.ReadLine();
